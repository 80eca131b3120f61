/* The ONE validation mechanism for what people hand in: zod 4 schemas for CLI
 * options (harness/plan/run-options.ts), scenario files
 * (scenarios/scenario-file.ts) and lab configs (harness/plan/lab-config.ts).
 * The pieces here say what is expected in every message
 * ("hosts.dut.port: expected an integer 1..65535, got 70000"), and
 * problemsOf() turns zod's issues into every problem at once, each with its
 * field path. Numbers typed as text are decimal only (ground/values.ts). */
import { z } from 'zod';
import { parseDecimal, parseRate, type RateSpec } from './values.ts';

export interface Problem {
  /** Field path: `hosts.dut.port`, `roles.dut.interfaces.port0.mac`, `scenarios[2]`; "" for the document (or a CLI flag's own message). */
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function joinPath(base: string, key: PropertyKey): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const k = String(key);
  const safe = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : JSON.stringify(k);
  return base ? `${base}.${safe}` : safe;
}

export const pathOf = (segments: readonly PropertyKey[]): string => segments.reduce<string>(joinPath, '');

/** A short rendering of a bad value for messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

/** How a leaf words its problem: "expected X, got Y", or "missing: expected X" when the field is absent. */
export function expecting(expected: string) {
  return (iss: { input?: unknown }): string =>
    iss.input === undefined ? `missing: expected ${expected}` : `expected ${expected}, got ${describeValue(iss.input)}`;
}

type Issue = z.core.$ZodIssue;

/** Every problem of a failed parse, unknown fields first within their mapping (as they are read). */
export function problemsOf(error: z.ZodError): Problem[] {
  const issues = error.issues;
  const within = (outer: readonly PropertyKey[], inner: readonly PropertyKey[]) => outer.length <= inner.length && outer.every((k, i) => k === inner[i]);
  // zod reports a mapping's unknown fields after its fields' problems: move them before the first problem inside that mapping.
  const rank = (iss: Issue, i: number) => (iss.code === 'unrecognized_keys' ? issues.findIndex((o) => within(iss.path, o.path)) - 0.5 : i);
  const ordered = issues.map((iss, i) => ({ iss, r: rank(iss, i) })).sort((a, b) => a.r - b.r).map((x) => x.iss);
  return ordered.flatMap((iss: Issue) =>
    iss.code === 'unrecognized_keys'
      ? iss.keys.map((k) => ({ path: joinPath(pathOf(iss.path), k), message: iss.message }))
      : [{ path: pathOf(iss.path), message: iss.message }],
  );
}

/** Runs a schema over a document: the value, or every problem found. */
export function validate<S extends z.ZodType>(schema: S, doc: unknown): { ok: true; value: z.output<S> } | { ok: false; problems: Problem[] } {
  const r = schema.safeParse(doc);
  return r.success ? { ok: true, value: r.data } : { ok: false, problems: problemsOf(r.error) };
}

/** Inside a transform or refinement: reports a problem at `path` (relative to the value checked). */
export function report(ctx: z.RefinementCtx, message: string, path: PropertyKey[] = []): void {
  ctx.addIssue({ code: 'custom', message, path: path as (string | number)[] });
}

/** Inside a transform: reports the problems of a nested parse, at their paths (relative to the value checked). */
export function reissue(ctx: z.RefinementCtx, error: z.ZodError, prefix: PropertyKey[] = []): void {
  // As they are (code, keys, message): unknown fields stay unknown fields for problemsOf.
  for (const iss of error.issues) ctx.addIssue({ ...iss, path: [...prefix, ...iss.path] } as Parameters<z.RefinementCtx['addIssue']>[0]);
}

/* ---- what a schema expects, for messages of the containers around it ---- */

const EXPECTED = new WeakMap<z.ZodType, string>();

/** Records what `schema` expects ("an integer 1..65535") for the messages of lists and mappings of it. */
export function withExpected<S extends z.ZodType>(schema: S, expected: string): S {
  EXPECTED.set(schema, expected);
  return schema;
}

function describeSchema(s: z.ZodType): string {
  return EXPECTED.get(s) ?? 'values';
}

/* ---- leaves ---- */

/** A leaf from a converter: the value, or a problem (its own words, or "expected ..., got ..."). */
export function custom<T>(expected: string, convert: (value: unknown, ctx: z.RefinementCtx) => T | { problem: string } | undefined) {
  return withExpected(z.unknown().transform((v, ctx): T => {
    if (v === undefined) return (report(ctx, `missing: expected ${expected}`), z.NEVER);
    const out = convert(v, ctx);
    if (out === undefined) return (report(ctx, expecting(expected)({ input: v })), z.NEVER);
    if (isPlainObject(out) && typeof out['problem'] === 'string' && Object.keys(out).length === 1) return (report(ctx, out['problem']), z.NEVER);
    return out as T;
  }), expected);
}

/** Any value `inner` accepts; every problem with it is this one message at the field (scenario files word fields so). */
export function oneMessage<S extends z.ZodType>(inner: S, message: string | ((input: unknown) => string)) {
  return z.unknown().transform((v, ctx): z.output<S> => {
    const r = inner.safeParse(v);
    if (r.success) return r.data;
    report(ctx, typeof message === 'string' ? message : message(v));
    return z.NEVER;
  });
}

export function text(opts: { pattern?: RegExp; expected?: string; maxLength?: number } = {}) {
  const error = expecting(opts.expected ?? 'text');
  const s = z.string({ error }).min(1, { error }).max(opts.maxLength ?? 4096, { error });
  return withExpected(opts.pattern ? s.regex(opts.pattern, { error }) : s, opts.expected ?? 'text');
}

export function integer(lo: number, hi: number, expected = `an integer ${lo}..${hi}`) {
  const error = expecting(expected);
  return withExpected(z.int({ error }).min(lo, { error }).max(hi, { error }), expected);
}

/** A finite number in [lo, hi] (YAML's .nan and .inf are refused). */
export function decimal(lo: number, hi: number, expected = `a number ${lo}..${hi}`) {
  const error = expecting(expected);
  return withExpected(z.number({ error }).min(lo, { error }).max(hi, { error }), expected);
}

export function oneOf<const V extends readonly [string, ...string[]]>(values: V, expected = `one of ${values.join(', ')}`) {
  return withExpected(z.enum(values, { error: expecting(expected) }), expected);
}

export function literal<const V extends string | number>(value: V) {
  return z.literal(value, { error: expecting(JSON.stringify(value)) });
}

/** "0" = full speed, pps 1..1e9, or "50%": the rate as written (trimmed), or undefined. Numbers from YAML count as their text. */
export function rateText(v: unknown): string | undefined {
  const t = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : undefined;
  if (t === undefined) return undefined;
  const errors: string[] = [];
  parseRate(t, errors);
  return errors.length ? undefined : t;
}

/* ---- containers ---- */

/** A list; `unique`: the same entry twice (as written) is a problem at the second. */
export function list<T extends z.ZodType>(item: T, opts: { min?: number; max?: number; unique?: boolean; expected?: string } = {}) {
  const min = opts.min ?? 0;
  const max = opts.max ?? 10_000;
  const expected = opts.expected ?? `a list of ${describeSchema(item)}${min > 0 ? ` (at least ${min})` : ''}`;
  const size = (iss: { input?: unknown }) => `expected ${min === max ? min : `${min}..${max}`} entries, got ${(iss.input as unknown[]).length}`;
  const arr = z.array(item, { error: expecting(expected) }).min(min, { error: size }).max(max, { error: size });
  if (!opts.unique) return withExpected(arr, expected);
  // Duplicates are judged on the entries as written ("drop-all" twice), after every entry passed.
  const checked = z.unknown().transform((raw, ctx): z.output<typeof arr> => {
    const r = arr.safeParse(raw);
    if (!r.success) return (reissue(ctx, r.error), z.NEVER);
    const seen = new Set<string>();
    let ok = true;
    (raw as unknown[]).forEach((v, i) => {
      const key = JSON.stringify(v);
      if (seen.has(key)) (report(ctx, `duplicate entry ${describeValue(v)}`, [i]), (ok = false));
      seen.add(key);
    });
    return ok ? r.data : z.NEVER;
  });
  return withExpected(checked, expected);
}

const nullIsAbsent = (v: unknown) => (v === null ? undefined : v);
type Shape = Record<string, z.ZodType>;
type NullTolerant<S extends Shape> = { [K in keyof S]: z.ZodPipe<z.ZodTransform<unknown, unknown>, S[K]> };

/** YAML's `key:` with no value (null) counts as the key not given, as for optional fields. */
function nullTolerant<S extends Shape>(shape: S): NullTolerant<S> {
  return Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, z.preprocess(nullIsAbsent, s)])) as unknown as NullTolerant<S>;
}

/** The messages of a mapping: its unknown fields named with the known ones, else what it should be. */
function mappingError(expected: string, known: string[]) {
  return (iss: { code?: string; input?: unknown }) => (iss.code === 'unrecognized_keys' ? `unknown field (known: ${known.join(', ')})` : expecting(expected)(iss));
}

/** A mapping with exactly these fields. */
export function fields<const S extends Shape>(shape: S, expected = `a mapping of ${Object.keys(shape).join(', ')}`) {
  return withExpected(z.strictObject(nullTolerant(shape), { error: mappingError(expected, Object.keys(shape)) }), expected);
}

/** A mapping whose `tag` field picks its fields: `{kind: ssh, user, host}` or `{kind: local}`. */
export function tagged<const K extends string, const V extends Record<string, Shape>>(tag: K, variants: V) {
  const tags = Object.keys(variants) as [keyof V & string, ...(keyof V & string)[]];
  const expected = `a mapping with ${tag}: ${tags.join(' or ')}`;
  const head = z.looseObject({ [tag]: z.enum(tags, { error: (iss) => `${iss.input === undefined ? 'missing' : `got ${describeValue(iss.input)}`}: expected one of ${tags.join(', ')}` }) }, { error: expecting(expected) });
  type Variant<T extends keyof V & string> = z.ZodObject<{ [P in K]: z.ZodLiteral<T> } & NullTolerant<V[T]>, z.core.$strict>;
  const options = tags.map((t) =>
    z.strictObject({ [tag]: z.literal(t), ...nullTolerant(variants[t]!) }, { error: mappingError(expected, [tag, ...Object.keys(variants[t]!)]) }),
  ) as unknown as [Variant<keyof V & string>, ...Variant<keyof V & string>[]];
  // Input any: the head has checked it is a mapping.
  const union = z.discriminatedUnion(tag, options as never) as unknown as z.ZodType<{ [T in keyof V & string]: z.output<Variant<T>> }[keyof V & string], any>;
  return withExpected(head.pipe(union), expected);
}

/** A mapping from names (checked against `keyPattern`) to values of one schema. */
export function names<T extends z.ZodType>(keyPattern: RegExp, keyExpected: string, value: T, opts: { min?: number } = {}) {
  const expected = `a mapping of names to ${describeSchema(value)}`;
  const min = opts.min ?? 0;
  const rec = z.record(z.string().regex(keyPattern), value, {
    error: (iss) => (iss.code === 'invalid_key' ? `not a valid name: expected ${keyExpected}` : expecting(expected)(iss)),
  }).superRefine((r, ctx) => {
    if (Object.keys(r).length < min) report(ctx, `expected at least ${min} entr${min === 1 ? 'y' : 'ies'}`);
  });
  return withExpected(rec, expected);
}

/* ---- command-line text ---- */

/** A decimal number given as text to `flag` (no "0x3", "1e2", "Infinity"); problems say the flag and the range. */
export function flagNumber(flag: string, lo: number, hi: number, opts: { integer?: boolean } = {}) {
  return z.string().transform((text, ctx) => {
    const n = parseDecimal(text);
    if (Number.isFinite(n) && (!opts.integer || Number.isInteger(n)) && n >= lo && n <= hi) return n;
    report(ctx, `${flag} ${JSON.stringify(text)}: expected ${opts.integer ? 'an integer' : 'a number'} from ${lo} to ${hi}`);
    return z.NEVER;
  });
}

/** A comma-separated list given to a flag: each item checked by `item` (all their problems), duplicates dropped in order. */
export function flagList<T>(item: z.ZodType<T, string>, prepare: (part: string) => string = (p) => p.trim()) {
  return z.string().transform((text, ctx) => {
    const out: T[] = [];
    let ok = true;
    for (const part of text.split(',')) {
      const r = item.safeParse(prepare(part));
      if (!r.success) {
        ok = false;
        for (const p of problemsOf(r.error)) report(ctx, p.message);
      } else if (!out.some((x) => JSON.stringify(x) === JSON.stringify(r.data))) out.push(r.data);
    }
    return ok ? out : z.NEVER;
  });
}

/** --rate: full speed, pps or a percentage of the calibrated ceiling (ground/values.ts parseRate's words). */
export function flagRate() {
  return z.string().transform((text, ctx): RateSpec => {
    const errors: string[] = [];
    const spec = parseRate(text, errors);
    for (const e of errors) report(ctx, e);
    return errors.length ? z.NEVER : spec;
  });
}

/** One of a few words given to `flag`. */
export function flagChoice<const V extends readonly [string, ...string[]]>(flag: string, values: V) {
  return z.enum(values, { error: (iss) => `${flag} ${JSON.stringify(iss.input)}: expected one of ${values.join(', ')}` });
}

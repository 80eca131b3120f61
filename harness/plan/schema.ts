/* Small declarative schema combinators: ONE definition gives both the
 * validator and the TypeScript type (`Infer<typeof S>`). Validation never
 * stops at the first problem: every problem is collected with its field path
 * ("hosts.dut.port") and what is expected there. */

export interface Problem {
  /** Field path: `hosts.dut.port`, `roles.dut.interfaces.port0.mac`, `scenarios[2]`; "" for the document. */
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/** What a check sees: the whole raw document (for cross-references) and where problems go. */
export interface Ctx {
  readonly root: unknown;
  readonly problems: Problem[];
}

export interface Schema<T> {
  /** What a valid value looks like, for messages: "an integer 1..65535". */
  readonly expected: string;
  readonly optional?: boolean;
  check(value: unknown, path: string, ctx: Ctx): T | Invalid;
}

export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = { readonly [key: string]: Schema<unknown> };
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends { hasDefault: true } ? never : S[K] extends { optional: true } ? K : never;
}[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { -readonly [K in RequiredKeys<S>]: Infer<S[K]> } & { -readonly [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

/* ---- helpers ---- */

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const safe = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return base ? `${base}.${safe}` : safe;
}

/** A short rendering of a bad value for messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

/** The raw value at a dotted path of the document (for cross-field checks that must not wait for validity). */
export function rawAt(root: unknown, dotted: string): unknown {
  let cur: unknown = root;
  for (const part of dotted.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function fail(ctx: Ctx, path: string, expected: string, value: unknown): Invalid {
  ctx.problems.push({ path, message: `expected ${expected}, got ${describeValue(value)}` });
  return INVALID;
}

/**
 * A leaf from a converter: it returns the value; INVALID for the default
 * message ("expected ..., got ..."); `{problem}` for its own message; or it
 * pushes problems on ctx itself and returns INVALID.
 */
export function custom<T>(expected: string, convert: (value: unknown, path: string, ctx: Ctx) => T | Invalid | { problem: string }): Schema<T> {
  return {
    expected,
    check(value, path, ctx) {
      const before = ctx.problems.length;
      const out = convert(value, path, ctx);
      // INVALID after the converter reported its own problems: nothing to add.
      if (out === INVALID) return ctx.problems.length > before ? INVALID : fail(ctx, path, expected, value);
      if (isPlainObject(out) && typeof (out as { problem?: unknown }).problem === 'string' && Object.keys(out).length === 1) {
        ctx.problems.push({ path, message: (out as { problem: string }).problem });
        return INVALID;
      }
      return out as T;
    },
  };
}

/* ---- leaves ---- */

export function string(opts: { pattern?: RegExp; expected?: string; maxLength?: number } = {}): Schema<string> {
  const expected = opts.expected ?? 'text';
  return custom(expected, (v) =>
    typeof v === 'string' && v.length > 0 && v.length <= (opts.maxLength ?? 4096) && (!opts.pattern || opts.pattern.test(v)) ? v : INVALID,
  );
}

export function integer(lo: number, hi: number, expected = `an integer ${lo}..${hi}`): Schema<number> {
  return custom(expected, (v) => (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? v : INVALID));
}

export function number(lo: number, hi: number, expected = `a number ${lo}..${hi}`): Schema<number> {
  return custom(expected, (v) => (typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : INVALID));
}

export function boolean(): Schema<boolean> {
  return custom('true or false', (v) => (typeof v === 'boolean' ? v : INVALID));
}

export function oneOf<const V extends readonly (string | number)[]>(values: V, expected = `one of ${values.join(', ')}`): Schema<V[number]> {
  return custom(expected, (v) => ((values as readonly unknown[]).includes(v) ? (v as V[number]) : INVALID));
}

export function literal<const V extends string | number>(value: V): Schema<V> {
  return custom(JSON.stringify(value), (v) => (v === value ? value : INVALID));
}

/* ---- modifiers ---- */

export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return {
    expected: inner.expected,
    optional: true,
    check: (value, path, ctx) => (value === undefined || value === null ? undefined : inner.check(value, path, ctx)),
  };
}

/** A missing value becomes `fallback` (so the field is always present in the result type). */
export function withDefault<T>(inner: Schema<T>, fallback: T): Schema<T> & { readonly optional: true } & { readonly hasDefault: true } {
  return {
    expected: inner.expected,
    optional: true,
    hasDefault: true,
    check: (value, path, ctx) => (value === undefined || value === null ? fallback : inner.check(value, path, ctx)),
  };
}

function flagsOf(inner: Schema<unknown>): { expected: string; optional?: true; hasDefault?: true } {
  const h = (inner as { hasDefault?: boolean }).hasDefault;
  return { expected: inner.expected, ...(inner.optional ? { optional: true } : {}), ...(h ? { hasDefault: true } : {}) };
}

/** Further checks on a valid value; `test` returns problems (messages at `path`, or `{path, message}`). */
export function refine<S extends Schema<any>>(inner: S, test: (value: Exclude<Infer<S>, undefined>, path: string, ctx: Ctx) => (string | Problem)[]): S {
  return {
    ...flagsOf(inner),
    check(value: unknown, path: string, ctx: Ctx) {
      const v = inner.check(value, path, ctx);
      if (v === INVALID || v === undefined) return v;
      const found = test(v as Exclude<Infer<S>, undefined>, path, ctx);
      for (const p of found) ctx.problems.push(typeof p === 'string' ? { path, message: p } : p);
      return found.length ? INVALID : v;
    },
  } as unknown as S;
}

/** Converts a valid value into another shape (units, absolute paths, ...); wrap optional()/withDefault() outside it. */
export function map<T, U>(inner: Schema<T>, convert: (value: T, path: string, ctx: Ctx) => U): Schema<U> {
  return {
    expected: inner.expected,
    check(value, path, ctx) {
      const v = inner.check(value, path, ctx);
      return v === INVALID ? INVALID : convert(v, path, ctx);
    },
  };
}

/* ---- containers ---- */

export function list<T>(item: Schema<T>, opts: { min?: number; max?: number; unique?: boolean } = {}): Schema<T[]> {
  const min = opts.min ?? 0;
  const max = opts.max ?? 10_000;
  const expected = `a list of ${item.expected}${min > 0 ? ` (at least ${min})` : ''}`;
  return {
    expected,
    check(value, path, ctx) {
      if (!Array.isArray(value)) return fail(ctx, path, expected, value);
      if (value.length < min || value.length > max) {
        ctx.problems.push({ path, message: `expected ${min === max ? min : `${min}..${max}`} entries, got ${value.length}` });
        return INVALID;
      }
      const out: T[] = [];
      let ok = true;
      value.forEach((v, i) => {
        const r = item.check(v, joinPath(path, i), ctx);
        if (r === INVALID) ok = false;
        else out.push(r);
      });
      if (ok && opts.unique) {
        const seen = new Set<string>();
        value.forEach((v, i) => {
          const key = JSON.stringify(v);
          if (seen.has(key)) {
            ctx.problems.push({ path: joinPath(path, i), message: `duplicate entry ${describeValue(v)}` });
            ok = false;
          }
          seen.add(key);
        });
      }
      return ok ? out : INVALID;
    },
  };
}

function checkFields<S extends Shape>(shape: S, value: Record<string, unknown>, path: string, ctx: Ctx, skip: string[] = []): Record<string, unknown> | Invalid {
  let ok = true;
  const known = Object.keys(shape);
  for (const k of Object.keys(value)) {
    if (!known.includes(k) && !skip.includes(k)) {
      ctx.problems.push({ path: joinPath(path, k), message: `unknown field (known: ${[...skip, ...known].join(', ')})` });
      ok = false;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(shape)) {
    const v = value[k];
    if ((v === undefined || v === null) && !s.optional) {
      ctx.problems.push({ path: joinPath(path, k), message: `missing: expected ${s.expected}` });
      ok = false;
      continue;
    }
    const r = s.check(v, joinPath(path, k), ctx);
    if (r === INVALID) ok = false;
    else if (r !== undefined) out[k] = r;
  }
  return ok ? out : INVALID;
}

export function object<const S extends Shape>(shape: S, expected = `a mapping of ${Object.keys(shape).join(', ')}`): Schema<ObjectOf<S>> & { readonly shape: S } {
  return {
    expected,
    shape,
    check(value, path, ctx) {
      if (!isPlainObject(value)) return fail(ctx, path, expected, value);
      return checkFields(shape, value, path, ctx) as ObjectOf<S> | Invalid;
    },
  };
}

type TaggedOf<K extends string, V extends Record<string, Shape>> = { [T in keyof V & string]: Simplify<{ [P in K]: T } & ObjectOf<V[T]>> }[keyof V & string];

/** A mapping whose `tag` field picks its shape: `{kind: ssh, user, host}` or `{kind: local}`. */
export function tagged<const K extends string, const V extends Record<string, Shape>>(tag: K, variants: V): Schema<TaggedOf<K, V>> {
  const tags = Object.keys(variants);
  const expected = `a mapping with ${tag}: ${tags.join(' or ')}`;
  return {
    expected,
    check(value, path, ctx) {
      if (!isPlainObject(value)) return fail(ctx, path, expected, value);
      const t = value[tag];
      if (typeof t !== 'string' || !tags.includes(t)) {
        ctx.problems.push({ path: joinPath(path, tag), message: `${t === undefined ? 'missing' : `got ${describeValue(t)}`}: expected one of ${tags.join(', ')}` });
        return INVALID;
      }
      const out = checkFields(variants[t]!, value, path, ctx, [tag]);
      return out === INVALID ? INVALID : ({ [tag]: t, ...out } as TaggedOf<K, V>);
    },
  };
}

/** A mapping from names (checked against `keyPattern`) to values of one schema. */
export function record<T>(keyPattern: RegExp, keyExpected: string, value: Schema<T>, opts: { min?: number } = {}): Schema<Record<string, T>> {
  const expected = `a mapping of names to ${value.expected}`;
  return {
    expected,
    check(raw, path, ctx) {
      if (!isPlainObject(raw)) return fail(ctx, path, expected, raw);
      let ok = true;
      const keys = Object.keys(raw);
      if (keys.length < (opts.min ?? 0)) {
        ctx.problems.push({ path, message: `expected at least ${opts.min} entr${opts.min === 1 ? 'y' : 'ies'}` });
        ok = false;
      }
      const out: Record<string, T> = {};
      for (const k of keys) {
        if (!keyPattern.test(k)) {
          ctx.problems.push({ path: joinPath(path, k), message: `not a valid name: expected ${keyExpected}` });
          ok = false;
          continue;
        }
        const r = value.check(raw[k], joinPath(path, k), ctx);
        if (r === INVALID) ok = false;
        else out[k] = r;
      }
      return ok ? out : INVALID;
    },
  };
}

/** A name that must be a key of the mapping at `rootField` of the raw document (checked even when that mapping has problems). */
export function keyOf(rootField: string, what: string): Schema<string> {
  return {
    expected: `the name of a ${what} under ${rootField}`,
    check(value, path, ctx) {
      const table = rawAt(ctx.root, rootField);
      const names = isPlainObject(table) ? Object.keys(table) : [];
      if (typeof value === 'string' && names.includes(value)) return value;
      ctx.problems.push({
        path,
        message: `${typeof value === 'string' ? `no ${what} named ${JSON.stringify(value)}` : `got ${describeValue(value)}`}: expected one of ${names.length ? names.join(', ') : `(none defined under ${rootField})`}`,
      });
      return INVALID;
    },
  };
}

/** Runs a schema over a document: the value, or every problem found. */
export function validate<T>(schema: Schema<T>, doc: unknown): { ok: true; value: T } | { ok: false; problems: Problem[] } {
  const ctx: Ctx = { root: doc, problems: [] };
  const value = schema.check(doc, '', ctx);
  if (value === INVALID || ctx.problems.length) {
    if (!ctx.problems.length) ctx.problems.push({ path: '', message: `expected ${schema.expected}` });
    return { ok: false, problems: ctx.problems };
  }
  return { ok: true, value };
}

/* ground/validation.ts: the zod pieces every input (CLI, scenario files, lab configs) is checked with. */
import test from 'ava';
import fc from 'fast-check';
import { z } from 'zod';
import { labConfigSchema } from '../../harness/plan/lab-config.ts';
import { parseScenarioFile, ScenarioFileError } from '../../scenarios/scenario-file.ts';
import {
  custom, decimal, fields, flagList, flagNumber, flagRate, formatProblem, integer, list, names, oneMessage, oneOf, tagged, text, validate,
} from '../../ground/validation.ts';

const messages = (schema: z.ZodType, doc: unknown): string[] => {
  const r = validate(schema, doc);
  return r.ok ? [] : r.problems.map(formatProblem);
};

const Thing = fields({
  id: integer(1, 9),
  label: text().optional(),
  colour: oneOf(['red', 'blue']).default('red'),
  tags: list(text(), { unique: true }).default([]),
});

test('fields: value with defaults; the inferred type has required, optional and defaulted keys', (t) => {
  const r = validate(Thing, { id: 3, label: null });
  t.true(r.ok);
  if (!r.ok) return;
  const v: z.output<typeof Thing> = r.value;
  const id: number = v.id;
  const label: string | undefined = v.label;
  const colour: 'red' | 'blue' = v.colour;
  t.deepEqual({ id, label, colour, tags: v.tags }, { id: 3, label: undefined, colour: 'red', tags: [] }, 'null is a field not given');
});

test('fields: every problem at once, with paths; unknown fields first, missing ones named', (t) => {
  t.deepEqual(messages(Thing, { label: 5, colour: 'green', tags: ['a', 'a'], size: 1 }), [
    'size: unknown field (known: id, label, colour, tags)',
    'id: missing: expected an integer 1..9',
    'label: expected text, got 5',
    'colour: expected one of red, blue, got "green"',
    'tags[1]: duplicate entry "a"',
  ]);
  t.deepEqual(messages(Thing, [1]), ['expected a mapping of id, label, colour, tags, got a list']);
});

test('tagged: the tag picks the fields', (t) => {
  const Host = tagged('kind', { local: {}, ssh: { host: text() } });
  t.deepEqual(validate(Host, { kind: 'ssh', host: 'h' }), { ok: true, value: { kind: 'ssh', host: 'h' } });
  t.deepEqual(messages(Host, { kind: 'local', host: 'h' }), ['host: unknown field (known: kind)']);
  t.deepEqual(messages(Host, { host: 'h' }), ['kind: missing: expected one of local, ssh']);
  t.deepEqual(messages(Host, { kind: 'ftp' }), ['kind: got "ftp": expected one of local, ssh']);
  t.deepEqual(messages(Host, 'h'), ['expected a mapping with kind: local or ssh, got "h"']);
});

test('names: keys checked, values checked, a minimum count; odd keys quoted in paths', (t) => {
  const Hosts = names(/^[a-z]+$/, 'lower-case letters', fields({ port: integer(1, 65535) }), { min: 1 });
  t.deepEqual(messages(Hosts, { a: { port: 0 }, B: { port: 1 } }), ['a.port: expected an integer 1..65535, got 0', 'B: not a valid name: expected lower-case letters']);
  t.deepEqual(messages(Hosts, {}), ['expected at least 1 entry']);
  t.deepEqual(messages(names(/.*/, 'anything', integer(0, 1)), { 'a b': 2 }), ['"a b": expected an integer 0..1, got 2']);
});

test('custom and oneMessage: own words, or "expected ..., got ..."', (t) => {
  const Word = custom<string>('a word', (v) => (typeof v === 'string' && /^\w+$/.test(v) ? v : v === 'x y' ? { problem: 'one word, please' } : undefined));
  t.deepEqual(validate(Word, 'ok'), { ok: true, value: 'ok' });
  t.deepEqual(messages(Word, 'x y'), ['one word, please']);
  t.deepEqual(messages(Word, 7), ['expected a word, got 7']);
  t.deepEqual(messages(fields({ w: Word }), {}), ['w: missing: expected a word']);
  t.deepEqual(messages(list(Word, { min: 1 }), []), ['expected 1..10000 entries, got 0']);
  t.deepEqual(messages(oneMessage(z.int().min(1), (v) => `${String(v)}: expected a count`), 0.5), ['0.5: expected a count']);
});

test('numbers: finite only (YAML .nan and .inf are refused)', (t) => {
  for (const bad of [Number.NaN, Infinity, -Infinity, 11, '3']) t.is(messages(decimal(0, 10), bad).length, 1, String(bad));
  t.deepEqual(messages(decimal(0, 10, 'seconds 0..10'), Infinity), ['expected seconds 0..10, got Infinity']);
});

test('flag text: decimal numbers only, lists with every bad item, rates', (t) => {
  const trials = flagNumber('--trials', 1, 100, { integer: true });
  t.deepEqual(validate(trials, '7'), { ok: true, value: 7 });
  for (const bad of ['0x3', '3e0', 'Infinity', ' 3', '1.5', '0']) t.deepEqual(messages(trials, bad), [`--trials ${JSON.stringify(bad)}: expected an integer from 1 to 100`]);
  const sizes = flagList(flagNumber('--sizes', 64, 1518, { integer: true }));
  t.deepEqual(validate(sizes, '64, 128,64'), { ok: true, value: [64, 128] });
  t.deepEqual(messages(sizes, '63,64,big'), ['--sizes "63": expected an integer from 64 to 1518', '--sizes "big": expected an integer from 64 to 1518']);
  t.deepEqual(validate(flagRate(), '50%'), { ok: true, value: { kind: 'fraction', fraction: 0.5 } });
  t.regex(messages(flagRate(), '1e6')[0]!, /^--rate "1e6": expected 0 \(full speed\)/);
});

/* ---- the real schemas never throw: any document is a value or problems ---- */

const LAB_GOOD = {
  hosts: { gen: { kind: 'ssh', user: 'bench', host: '198.18.100.10', identity: 'id' }, dut: { kind: 'local' } },
  roles: {
    generator: { host: 'gen', interfaces: { port0: { name: 'ens1f0', ip: '198.18.1.1/24' } } },
    dut: { host: 'dut', interfaces: { port0: { name: 'ens2f0', ip: '198.18.1.2/24' } } },
  },
  scenarios: ['drop-all'],
  thresholds: { failOn: ['drop-all/native/xdpPps<-5%'] },
};
const SCENARIO_GOOD = { name: 'x', program: 'xdp_drop', expect: { drop: 0.5, pass: 0.5 }, traffic: { sizes: [64], rate: '50%' }, maps: [{ name: 'm', entries: [{ key: 1, value: 'hex:01' }] }], trials: 2 };

/** A document with one value, somewhere, replaced by arbitrary JSON (or removed). */
function mutated(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, at: (string | number)[]) => {
    paths.push(at);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  walk(base, []);
  return fc.tuple(fc.constantFrom(...paths), fc.option(fc.jsonValue({ maxDepth: 2 }))).map(([at, value]) => {
    if (at.length === 0) return value;
    const doc = structuredClone(base) as Record<string | number, unknown>;
    let cur = doc;
    for (const k of at.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
    if (value === null) delete cur[at.at(-1)!];
    else cur[at.at(-1)!] = value;
    return doc;
  });
}

test('lab config and scenario file schemas: every mutated document is a value or a list of problems, never an exception', (t) => {
  let accepted = 0;
  fc.assert(fc.property(mutated(LAB_GOOD), (doc) => {
    const r = validate(labConfigSchema('/nonexistent/lab.yaml', doc), doc);
    if (r.ok) accepted++;
    else if (!r.problems.every((p) => typeof p.message === 'string' && p.message.length > 0)) throw new Error('empty problem');
  }), { numRuns: 2000 });
  // Held to account: most mutations are refused, but not all (removing an optional field is fine).
  t.true(accepted > 10, `${accepted} mutated lab configs were accepted`);
  fc.assert(fc.property(mutated(SCENARIO_GOOD), (doc) => {
    try {
      parseScenarioFile('/nonexistent/s.yaml', JSON.stringify(doc) ?? 'null');
    } catch (err) {
      if (!(err instanceof ScenarioFileError) || err.problems.length === 0) throw err;
    }
  }), { numRuns: 2000 });
});

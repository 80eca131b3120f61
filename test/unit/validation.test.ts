/* ground/validation.ts: the zod pieces every input (CLI, scenario files, lab configs) is checked with. */
import test from 'ava';
import { z } from 'zod';
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

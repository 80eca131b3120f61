import test from 'ava';
import {
  custom, formatProblem, integer, INVALID, keyOf, list, map, object, oneOf, optional, record, refine, string, tagged, validate, withDefault,
  type Infer,
} from '../../harness/plan/schema.ts';

const messages = <T>(schema: Parameters<typeof validate<T>>[0], doc: unknown): string[] => {
  const r = validate(schema, doc);
  return r.ok ? [] : r.problems.map(formatProblem);
};

const Thing = object({
  id: integer(1, 9),
  label: optional(string()),
  colour: withDefault(oneOf(['red', 'blue'] as const), 'red'),
  tags: withDefault(list(string(), { unique: true }), []),
});

test('object: value with defaults; the inferred type has required and optional keys', (t) => {
  const r = validate(Thing, { id: 3 });
  t.true(r.ok);
  if (!r.ok) return;
  const v: Infer<typeof Thing> = r.value;
  const id: number = v.id; // required
  const label: string | undefined = v.label; // optional
  const colour: 'red' | 'blue' = v.colour; // defaulted: always there
  t.deepEqual({ id, label, colour, tags: v.tags }, { id: 3, label: undefined, colour: 'red', tags: [] });
});

test('object: every problem, with paths; unknown and missing fields', (t) => {
  t.deepEqual(messages(Thing, { label: 5, colour: 'green', tags: ['a', 'a'], size: 1 }), [
    'size: unknown field (known: id, label, colour, tags)',
    'id: missing: expected an integer 1..9',
    'label: expected text, got 5',
    'colour: expected one of red, blue, got "green"',
    'tags[1]: duplicate entry "a"',
  ]);
  t.deepEqual(messages(Thing, [1]), ['expected a mapping of id, label, colour, tags, got a list']);
});

test('tagged: the tag picks the shape', (t) => {
  const Host = tagged('kind', { local: {}, ssh: { host: string() } });
  t.deepEqual(validate(Host, { kind: 'ssh', host: 'h' }), { ok: true, value: { kind: 'ssh', host: 'h' } });
  t.deepEqual(messages(Host, { kind: 'local', host: 'h' }), ['host: unknown field (known: kind)']);
  t.deepEqual(messages(Host, { host: 'h' }), ['kind: missing: expected one of local, ssh']);
});

test('record + keyOf: names checked, references resolved against the raw document', (t) => {
  const Doc = object({ hosts: record(/^[a-z]+$/, 'lower-case letters', object({ port: integer(1, 65535) })), use: keyOf('hosts', 'host') });
  t.deepEqual(messages(Doc, { hosts: { a: { port: 0 }, B: { port: 1 } }, use: 'a' }), [
    'hosts.a.port: expected an integer 1..65535, got 0',
    'hosts.B: not a valid name: expected lower-case letters',
  ]);
  t.deepEqual(messages(Doc, { hosts: { a: { port: 1 } }, use: 'b' }), ['use: no host named "b": expected one of a']);
});

test('custom, map and refine', (t) => {
  const Even = refine(integer(0, 100), (n) => (n % 2 ? ['expected an even number'] : []));
  const Doubled = map(Even, (n) => n * 2);
  const Word = custom<string>('a word', (v) => (typeof v === 'string' && /^\w+$/.test(v) ? v : v === 'x y' ? { problem: 'one word, please' } : INVALID));
  t.deepEqual(validate(Doubled, 4), { ok: true, value: 8 });
  t.deepEqual(messages(Doubled, 3), ['expected an even number']);
  t.deepEqual(messages(Word, 'x y'), ['one word, please']);
  t.deepEqual(messages(Word, 7), ['expected a word, got 7']);
  t.deepEqual(messages(list(Word, { min: 1 }), []), ['expected 1..10000 entries, got 0']);
});

test('problem paths quote odd keys', (t) => {
  const M = record(/.*/, 'anything', integer(0, 1));
  t.deepEqual(messages(M, { 'a b': 2 }), ['"a b": expected an integer 0..1, got 2']);
});

/*
 * Property-based tests (fast-check) of the parsers that read what other
 * programs print or people hand in: the counter sampler's lines
 * (drivers/counter-sampler.ts), pktgen's /proc files and its worker's events
 * (drivers/pktgen.ts), and results files (harness/results/results-io.ts). Inputs are
 * arbitrary text and JSON, and the captured fixtures (test/fixtures: xdpb
 * sample lines from a real run, pktgen files from the VM, Linux 6.1) with
 * random edits. Each parser sees at least RUNS cases; it may refuse an input
 * with its own typed error, never crash with another exception, never return
 * a value of the wrong shape (a non-finite counter, a missing field).
 */
import test from 'ava';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseSampleLine, SamplerOutputError, type RawSample } from '../../drivers/counter-sampler.ts';
import { KernelRefusalError } from '../../ground/errors.ts';
import {
  parseIpRange,
  parsePktgenDevice,
  parsePktgenResult,
  parsePktgenThread,
  parsePortRange,
  parseWorkerEvents,
  pktgenResultText,
  pktgenWriteAccepted,
  reportFromDevices,
  sumProgress,
  workerErrorMessage,
} from '../../drivers/pktgen.ts';
import { checkResults, ResultsFileError } from '../../harness/results/results-io.ts';
import type { RunResults } from '../../ground/result-schema.ts';
import { buildComparison } from '../../harness/analysis/compare.ts';
import { buildHistory } from '../../harness/analysis/history.ts';
import { METRIC_IDS } from '../../harness/analysis/metrics.ts';
import { renderComparisonHtml, renderComparisonJson, renderComparisonMarkdown, renderComparisonTerminal } from '../../reports/compare.ts';
import { renderHistoryTerminal } from '../../reports/history.ts';
import { renderTerminalTable } from '../../reports/terminal-table.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { makeResults } from '../reports/fixture.ts';

const RUNS = 10_000;
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
const SAMPLE_LINES = [
  ...readFileSync(path.join(FIXTURES, 'xdpb-sample.jsonl'), 'utf8').split('\n').filter(Boolean),
  ...readFileSync(path.join(FIXTURES, 'trial-window-native-drop.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 5),
];
const PKTGEN_TEXTS = readdirSync(FIXTURES).filter((f) => /^pktgen-.*\.txt$/.test(f)).map((f) => readFileSync(path.join(FIXTURES, f), 'utf8'));

/* ---- input generators ---- */

/** Text edits that hit parsers where they are weak: huge digit runs, signs, separators, their own keywords. */
const insertion = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.stringMatching(/^[0-9]{15,400}$/),
  fc.constantFrom('-', '-1', ' ', '\n', '\t', '.', 'e999', 'NaN', 'null', '"', '{', '}', '[', ']', ',', ':', 'Result: ', 'OK: ', 'usec, ', 'pkts-sofar: ', 'Params: count ', 'Running: ', 'Stopped: ', '1e400', '-0'),
);
const edit = fc.record({ at: fc.nat(), remove: fc.nat({ max: 40 }), insert: insertion });

function applyEdits(text: string, edits: readonly { at: number; remove: number; insert: string }[]): string {
  let t = text;
  for (const e of edits) {
    const at = t.length === 0 ? 0 : e.at % (t.length + 1);
    t = t.slice(0, at) + e.insert + t.slice(at + e.remove);
  }
  return t;
}

const editedText = (texts: readonly string[]) =>
  fc.tuple(fc.constantFrom(...texts), fc.array(edit, { minLength: 1, maxLength: 6 })).map(([t, edits]) => applyEdits(t, edits));

type Json = unknown;
/** Every path (list of keys) to a value in a JSON document. */
function pathsOf(doc: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(doc)) doc.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (typeof doc === 'object' && doc !== null) for (const [k, v] of Object.entries(doc)) pathsOf(v, [...prefix, k], out);
  return out;
}

/** Replaces (or deletes) the value at a path, in a copy. */
function setAt(doc: Json, at: (string | number)[], value: Json | typeof DELETE): Json {
  if (at.length === 0) return value === DELETE ? null : value;
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let node = copy;
  for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  const last = at[at.length - 1]!;
  if (value === DELETE) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}
const DELETE = Symbol('delete');

/** Values that break validators: odd numbers above all, then wrong types. */
const hostileValue: fc.Arbitrary<Json | typeof DELETE> = fc.oneof(
  { weight: 4, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.constantFrom(0, -1, -0, 1e15, 1e15 + 1, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 64, 0.5, Number.NaN, Infinity, -Infinity) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, DELETE) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** A JSON document with 1..4 values replaced or deleted at random paths. */
function mutatedDoc(base: Json): fc.Arbitrary<Json> {
  const paths = pathsOf(base);
  return fc.array(fc.tuple(fc.nat({ max: paths.length - 1 }), hostileValue), { minLength: 1, maxLength: 4 }).map((changes) => {
    let doc = base;
    for (const [i, v] of changes) {
      try {
        doc = setAt(doc, paths[i]!, v);
      } catch {
        // The path vanished with an earlier change: skip this one.
      }
    }
    return doc;
  });
}

/* ---- the sampler line ---- */

const isCount = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Independent of the parser's own check: what the runner and trial analysis rely on. */
function assertSampleShape(s: RawSample): void {
  const fail = (why: string) => {
    throw new Error(`accepted a sample with ${why}: ${JSON.stringify(s).slice(0, 300)}`);
  };
  if (!isCount(s.tNs)) fail('a bad tNs');
  for (const m of Object.values(s.stats)) if (m.packets !== null && !m.packets.every((row) => row.every(isCount))) fail('a bad packets counter');
  for (const d of Object.values(s.dev)) {
    if (d.link !== null) for (const v of Object.values(d.link)) if (!isCount(v)) fail('a bad link counter');
    if (d.ethtool) for (const v of Object.values(d.ethtool)) if (!isCount(v)) fail('a bad ethtool counter');
  }
}

function sampleLineProperty(line: string): void {
  let s: RawSample;
  try {
    s = parseSampleLine(line);
  } catch (err) {
    if (err instanceof SamplerOutputError || err instanceof KernelRefusalError) return;
    throw err;
  }
  assertSampleShape(s);
}

test('parseSampleLine: arbitrary text and JSON are a sample of the right shape or a SamplerOutputError', (t) => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.json({ maxDepth: 4 })), sampleLineProperty), { numRuns: RUNS });
  t.pass();
});

test('parseSampleLine: captured lines with values replaced at random paths', (t) => {
  const docs = SAMPLE_LINES.map((l) => JSON.parse(l) as Json);
  fc.assert(fc.property(fc.constantFrom(...docs).chain(mutatedDoc), (doc) => sampleLineProperty(JSON.stringify(doc) ?? 'undefined')), { numRuns: RUNS });
  t.pass();
});

test('parseSampleLine: captured lines with random text edits (huge digit runs become Infinity)', (t) => {
  fc.assert(fc.property(editedText(SAMPLE_LINES), sampleLineProperty), { numRuns: RUNS });
  t.pass();
});

test('parseSampleLine: a counter with more digits than a double holds is refused', (t) => {
  const line = SAMPLE_LINES[0]!.replace(/"rx_packets":\d+/, `"rx_packets":${'9'.repeat(400)}`);
  t.throws(() => parseSampleLine(line), { instanceOf: SamplerOutputError, message: /link/ });
});

/* ---- pktgen ---- */

const safeCount = (v: unknown) => Number.isSafeInteger(v);

function pktgenProperty(text: string): void {
  const device = parsePktgenDevice(text);
  if (device) {
    for (const k of ['count', 'packetsSoFar', 'errors', 'startedUs', 'stoppedUs', 'idleUs'] as const) {
      if (!safeCount(device[k]) || device[k] < 0) throw new Error(`device.${k} = ${device[k]}`);
    }
    if (!device.flags.every((f) => typeof f === 'string' && f.length > 0)) throw new Error('device.flags');
    if (typeof device.resultText !== 'string') throw new Error('device.resultText');
  }
  const result = parsePktgenResult(text);
  if (result && !Object.values(result).every(safeCount)) throw new Error(`result ${JSON.stringify(result)}`);
  const thread = parsePktgenThread(text);
  if (thread && ![...thread.running, ...thread.stopped].every((d) => typeof d === 'string' && d.length > 0)) throw new Error('thread devices');
  const rt = pktgenResultText(text);
  if (rt !== null && typeof rt !== 'string') throw new Error('resultText');
  if (typeof pktgenWriteAccepted(text) !== 'boolean') throw new Error('accepted');
  const progress = sumProgress([text, text]);
  if (!Number.isFinite(progress.packets) || !Number.isFinite(progress.errors)) throw new Error(`progress ${JSON.stringify(progress)}`);
  const report = reportFromDevices({ 'dut0@0': text }, 1000, 'start_xmit');
  if (report.framesSent !== null && !Number.isFinite(report.framesSent)) throw new Error(`framesSent ${report.framesSent}`);
  for (const e of parseWorkerEvents(text)) {
    if (e.event === 'error' && typeof workerErrorMessage(e) !== 'string') throw new Error('worker error message');
    if (e.event === 'done') reportFromDevices(e.devices, e.runMs, 'start_xmit');
  }
}

/** parseIpRange/parsePortRange refuse with a RangeError that says what is wrong; nothing else. */
function rangeProperty(spec: string): void {
  for (const parse of [parseIpRange, parsePortRange] as ((s: string) => [unknown, unknown])[]) {
    try {
      const [a, b] = parse(spec);
      if (typeof a === 'number' && !(Number.isInteger(a) && Number.isInteger(b) && a >= 1 && (b as number) <= 65535 && a <= (b as number))) throw new Error(`ports ${a}-${String(b)}`);
      if (typeof a === 'string' && !/^\d+\.\d+\.\d+\.\d+$/.test(a)) throw new Error(`ip ${a}`);
    } catch (err) {
      if (!(err instanceof RangeError && /IPv4|CIDR|port/.test(err.message))) throw err;
    }
  }
}

test('pktgen parsers: arbitrary text never crashes them nor yields a non-integer count', (t) => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.json({ maxDepth: 3 })), pktgenProperty), { numRuns: RUNS });
  t.pass();
});

test('pktgen parsers: captured /proc/net/pktgen files with random edits', (t) => {
  fc.assert(fc.property(editedText(PKTGEN_TEXTS), pktgenProperty), { numRuns: RUNS });
  t.pass();
});

test('pktgen worker events: JSON lines of any shape are an event in full or skipped', (t) => {
  const events = [
    { event: 'configured', writes: 12, ms: 3 },
    { event: 'done', interrupted: false, runMs: 1002, devices: { 'eth0@0': PKTGEN_TEXTS[0]! } },
    { event: 'error', stage: 'write', file: 'pgctrl', command: 'start', errno: 22, code: 'EINVAL', error: 'Invalid argument', result: 'ERROR' },
  ];
  fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom(...events).chain(mutatedDoc), fc.jsonValue({ maxDepth: 3 })), { maxLength: 4 }), (docs) => {
    pktgenProperty(docs.map((d) => JSON.stringify(d) ?? '').join('\n'));
  }), { numRuns: RUNS });
  t.pass();
});

test('parseIpRange, parsePortRange: a range in order or a RangeError naming the problem', (t) => {
  const spec = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.tuple(fc.nat({ max: 300 }), fc.nat({ max: 300 }), fc.nat({ max: 300 }), fc.nat({ max: 300 }), fc.nat({ max: 40 })).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`),
    fc.tuple(fc.integer({ min: -10, max: 70_000 }), fc.integer({ min: -10, max: 70_000 })).map(([a, b]) => `${a}-${b}`),
    editedText(['198.18.0.0/15', '198.18.0.1-198.18.0.9', '9-109', '1024']),
  );
  fc.assert(fc.property(spec, rangeProperty), { numRuns: RUNS });
  t.pass();
});

test('parsePktgenDevice: a count with more digits than a double holds is no device state', (t) => {
  const text = PKTGEN_TEXTS.find((x) => /Params: count \d+/.test(x))!;
  t.truthy(parsePktgenDevice(text));
  t.is(parsePktgenDevice(text.replace(/Params: count \d+/, `Params: count ${'9'.repeat(30)}`)), null);
});

/* ---- results files ---- */

const GOOD: Json = JSON.parse(JSON.stringify(makeResults())) as Json;

/** Accepted results must render everywhere without an exception. */
function renderEverywhere(results: RunResults): void {
  const runs = [{ source: 'a', results: GOOD as RunResults, problem: null }, { source: 'b', results, problem: null }];
  const comparison = buildComparison(runs, { metrics: [...METRIC_IDS], alpha: 0.05, thresholds: [] });
  renderComparisonTerminal(comparison);
  renderComparisonMarkdown(comparison);
  renderComparisonJson(comparison);
  renderComparisonHtml(comparison);
  renderTerminalTable(results);
  renderHistoryTerminal(buildHistory(runs.map((r) => ({ source: r.source, results: r.results })), [], [...METRIC_IDS], { alpha: 0.05, minChangeFraction: 0.05, minSegmentRuns: 2 }));
}

function resultsProperty(doc: Json, render: boolean): boolean {
  let results: RunResults;
  try {
    results = checkResults(doc, 'results.json').results;
  } catch (err) {
    if (err instanceof ResultsFileError) return false;
    throw err;
  }
  if (render) renderEverywhere(results);
  return true;
}

test('checkResults: arbitrary JSON is refused with a ResultsFileError', (t) => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (doc) => !resultsProperty(doc, false)), { numRuns: RUNS });
  t.pass();
});

test('checkResults: a real results document with values replaced at random paths is refused (ResultsFileError) or renders everywhere', (t) => {
  let accepted = 0;
  // As a file would hold them: through JSON text (NaN and Infinity become null there).
  fc.assert(fc.property(mutatedDoc(GOOD), (doc) => {
    if (resultsProperty(JSON.parse(JSON.stringify(doc) ?? 'null'), accepted < 500)) accepted++;
  }), { numRuns: RUNS });
  // Held to account: the property is no good if every mutation is refused.
  t.true(accepted > 100, `${accepted} mutated documents were accepted`);
});

test('checkResults: as parsed in memory too (NaN, Infinity, 1e308 reach the checker itself)', (t) => {
  fc.assert(fc.property(mutatedDoc(GOOD), (doc) => {
    resultsProperty(doc, false);
  }), { numRuns: RUNS });
  t.pass();
});

test('checkResults: 1e308 and Infinity in a trial are refused with the JSON path of the field', (t) => {
  for (const v of [1e308, Infinity, -1e16]) {
    const doc = setAt(GOOD, ['cases', 0, 'trials', 0, 'xdpPps'], v);
    const err = t.throws(() => checkResults(doc, 'r.json'), { instanceOf: ResultsFileError });
    t.is(err.problem, 'implausible');
    t.regex(err.message, /\/cases\/0\/trials\/0\/xdpPps/);
  }
});

/* harness/results/results.schema.json: generated from the zod model in result-schema.ts, accepts good results, refuses bad ones clearly. */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import {
  RESULTS_SCHEMA_FILE,
  ResultsFileError,
  assertValidResults,
  checkResults,
  loadResults,
  type Migration,
  type ResultsProblem,
} from '../../harness/results/results-io.ts';
import { resultsJsonSchemaText } from '../../harness/results/results-json-schema.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { parseProbeOutput } from '../../drivers/latency-prober.ts';
import { parseProgRunOutput } from '../../drivers/prog-run.ts';
import { summarizeLatency } from '../../harness/analysis/latency-summary.ts';
import { summarizeProgRun } from '../../harness/analysis/prog-run-summary.ts';
import { EXIT } from '../../ground/errors.ts';
import { SCHEMA_VERSION, type RunResults } from '../../ground/result-schema.ts';
import { makeAttachedResults, makeResults } from '../reports/fixture.ts';

const schema = JSON.parse(readFileSync(RESULTS_SCHEMA_FILE, 'utf8')) as { definitions: Record<string, { properties?: Record<string, { const?: unknown }> }> };

/* ---- the schema file is generated from the zod model ---- */

test('results.schema.json is what `npm run gen:schema` writes from ground/result-schema.ts (regenerate after a model change)', (t) => {
  t.is(readFileSync(RESULTS_SCHEMA_FILE, 'utf8'), resultsJsonSchemaText());
  t.is(schema.definitions['RunResults']!.properties!['schemaVersion']!.const, SCHEMA_VERSION, 'schema file pins the current SCHEMA_VERSION');
});

test('the generated schema keeps closed objects closed, enums as enums, and cases picked by state', (t) => {
  const defs = schema.definitions as Record<string, Record<string, unknown>>;
  for (const name of ['RunResults', 'OkCase', 'TrialResult', 'Statistics', 'LatencySummary', 'ProgRunSummary', 'LabInterfaceRecord']) {
    t.is(defs[name]!['additionalProperties'], false, name);
  }
  t.deepEqual(defs['XdpMode']!['enum'], ['native', 'generic', 'offload']);
  t.deepEqual(defs['CaseFlag']!['enum'], ['generator-bound', 'coupled', 'sources-disagree', 'unexpected-action', 'high-variance']);
  t.deepEqual((defs['CaseResult']!['if'] as { properties: { state: unknown } }).properties.state, { const: 'ok' });
});

test("the schema file compiles in Ajv's strict mode (no unknown keywords, required names declared, types consistent)", (t) => {
  t.notThrows(() => new Ajv({ allErrors: true, strict: true, strictTypes: true, logger: false }).compile(schema));
});

/* ---- validation ---- */

function expectProblem(t: ExecutionContext, fn: () => unknown, problem: ResultsProblem, message: RegExp): void {
  const err = t.throws(fn, { instanceOf: ResultsFileError });
  t.is(err?.problem, problem);
  t.regex(err?.message ?? '', message);
}

function asDoc(r: RunResults): Record<string, unknown> {
  return JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
}

test('good results validate: the report fixture, a skipped and a failed case, a running run', (t) => {
  const r = makeResults();
  t.notThrows(() => checkResults(asDoc(r), 'fixture'));
  t.notThrows(() => assertValidResults(r));
  r.state = 'running';
  r.finishedAt = null;
  r.cases.push({ scenario: 'pass-all', mode: 'native', pktSizeBytes: 64, generator: 'live', state: 'failed', stage: 'attach', reason: 'busy' });
  t.notThrows(() => assertValidResults(r));
  t.is(checkResults(asDoc(r), 'x').migratedFrom, null);
});

test('latency and prog-run records made by the analyses from real helper output validate (their summaries are closed)', (t) => {
  const fixture = (name: string) => readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', name), 'utf8');
  const summary = summarizeLatency(parseProbeOutput(fixture('xdpb-lat-probe-native.json')));
  const r = makeResults();
  r.latency = [{ mode: 'native', state: 'ok', loadFraction: 0, maxPps: 1e6, targetLoadPps: 0, achievedLoadPps: null, summary }];
  r.progRun = [{ scenario: 'tx-reflect', program: 'xdp_reflect', file: 'bench.bpf.o', summary: summarizeProgRun(parseProgRunOutput(fixture('xdpb-lat-prog-run-xdp_reflect.json'))) }];
  t.notThrows(() => assertValidResults(r));
  const extra = asDoc(r) as { latency: { summary: Record<string, unknown> }[] };
  extra.latency[0]!.summary['p42Ns'] = 1;
  t.throws(() => checkResults(extra as unknown as Record<string, unknown>, 'x'), { message: /\/latency\/0\/summary: unknown property "p42Ns"/ });
});

test('an attached case (offload on netdevsim) validates; without its prog tag, or with a malformed one, it does not', (t) => {
  const r = makeAttachedResults();
  t.notThrows(() => assertValidResults(r));
  const noTag = asDoc(r) as { cases: Record<string, unknown>[] };
  delete noTag.cases[2]!['progTag'];
  t.throws(() => checkResults(noTag as Record<string, unknown>, 'x'), { message: /progTag/ });
  const badTag = asDoc(r) as { cases: Record<string, unknown>[] };
  badTag.cases[2]!['progTag'] = 'not-hex';
  t.throws(() => checkResults(badTag as Record<string, unknown>, 'x'));
  const withRate = asDoc(r) as { cases: Record<string, unknown>[] };
  withRate.cases[2]!['stats'] = {};
  t.throws(() => checkResults(withRate as Record<string, unknown>, 'x'), { message: /stats/ });
});

test('a missing property, a wrong type, an unknown property and a bad enum are each named', (t) => {
  const missing = asDoc(makeResults());
  delete (missing['environment'] as Record<string, unknown>)['kernel'];
  expectProblem(t, () => checkResults(missing, 'a.json'), 'invalid', /a\.json: does not match harness\/results\/results\.schema\.json[\s\S]*\/environment: must have required property 'kernel'/);

  const wrongType = asDoc(makeResults());
  ((wrongType['cases'] as Record<string, unknown>[])[0]!['trials'] as Record<string, unknown>[])[1]!['xdpPps'] = '6 Mpps';
  expectProblem(t, () => checkResults(wrongType, 'b.json'), 'invalid', /\/cases\/0\/trials\/1\/xdpPps: must be number/);

  const unknown = asDoc(makeResults());
  (unknown['cases'] as Record<string, unknown>[])[2]!['latencyNs'] = 5;
  expectProblem(t, () => checkResults(unknown, 'c.json'), 'invalid', /\/cases\/2: unknown property "latencyNs"/);

  const badMode = asDoc(makeResults());
  (badMode['cases'] as Record<string, unknown>[])[0]!['mode'] = 'hardware';
  expectProblem(t, () => checkResults(badMode, 'd.json'), 'invalid', /\/cases\/0\/mode: must be equal to one of the allowed values \("native", "generic", "offload"\)/);
});

test('on write: NaN (null in the file) is refused before it reaches the disk', (t) => {
  const r = makeResults();
  const c = r.cases[0]!;
  if (c.state === 'ok') c.stats.xdpPps.cv = Number.NaN;
  expectProblem(t, () => assertValidResults(r), 'invalid', /results about to be written do not match[\s\S]*\/cases\/0\/stats\/xdpPps\/cv: must be number/);
  t.is((t.throws(() => assertValidResults(r)) as ResultsFileError).exitCode, EXIT.runFailure, 'a run that cannot write valid results failed');
});

test('a newer schema version is refused with a clear message; no version at all too', (t) => {
  const newer = { ...asDoc(makeResults()), schemaVersion: SCHEMA_VERSION + 1 };
  expectProblem(t, () => checkResults(newer, 'new.json'), 'newer-version',
    new RegExp(`new\\.json: results schema version ${SCHEMA_VERSION + 1} is newer than this xdp bench understands \\(up to ${SCHEMA_VERSION}\\)`));
  const none = asDoc(makeResults());
  delete none['schemaVersion'];
  expectProblem(t, () => checkResults(none, 'none.json'), 'no-version', /no integer schemaVersion/);
  expectProblem(t, () => checkResults([1, 2], 'arr.json'), 'invalid', /not an xdp bench results object/);
});

test('older versions are migrated, then validated; without a migration they are refused', (t) => {
  // A made-up version 0 that called the kernel "uname"; the real schema file is version 1.
  const v0 = asDoc(makeResults());
  const env = v0['environment'] as Record<string, unknown>;
  env['uname'] = env['kernel'];
  delete env['kernel'];
  v0['schemaVersion'] = 0;
  const migrations: Record<number, Migration> = {
    0: (doc) => {
      const { uname, ...rest } = doc['environment'] as Record<string, unknown>;
      return { ...doc, schemaVersion: 1, environment: { ...rest, kernel: uname } };
    },
  };
  const migrated = checkResults(structuredClone(v0), 'v0.json', migrations, 1);
  t.is(migrated.migratedFrom, 0);
  t.is(migrated.results.schemaVersion, 1);
  t.is(migrated.results.environment.kernel, '6.8.0-48-generic');

  // A migration that leaves a field behind: the migrated document is validated and the error says so.
  const sloppy: Record<number, Migration> = { 0: (doc) => ({ ...doc, schemaVersion: 1 }) };
  expectProblem(t, () => checkResults(structuredClone(v0), 'v0.json', sloppy, 1), 'invalid',
    /schema version 1, migrated from 0[\s\S]*\/environment: unknown property "uname"/);

  // The real chain: nothing older than version 1 exists, so version 0 is refused, not guessed at.
  expectProblem(t, () => checkResults(structuredClone(v0), 'old.json'), 'no-migration',
    /old\.json: results schema version 0 is older than this xdp bench can migrate/);
});

test('loadResults: a directory or a file; missing and non-JSON files are clear errors', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xdpb-schema-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = path.join(dir, 'run1');
  mkdirSync(run);
  writeFileSync(path.join(run, 'results.json'), JSON.stringify(makeResults()));
  t.is(loadResults(run).results.runId, '20251124-233012-a1b2c3');
  t.is(loadResults(path.join(run, 'results.json')).file, path.join(run, 'results.json'));
  expectProblem(t, () => loadResults(path.join(dir, 'nothing')), 'missing', /nothing: no such file/);
  writeFileSync(path.join(dir, 'half.json'), '{"schemaVersion": 1, "runId": "x"');
  expectProblem(t, () => loadResults(path.join(dir, 'half.json')), 'not-json', /half\.json: not JSON/);
});

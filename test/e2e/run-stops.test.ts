/* A run that cannot go on (the generator fails while calibrating, the disk is
 * full) ends with one line naming what failed, exit 1, no temp files, no
 * registry record, nothing left in the kernel; results.json says it failed. */
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { EXIT, RunAbortedError } from '../../ground/errors.ts';
import { RUN_REGISTRY_DIR } from '../../ground/paths.ts';
import { newRunId, runBench } from '../../harness/run/runner.ts';
import { planRun } from '../../harness/plan/plan.ts';
import { validateRunOptions } from '../../harness/plan/run-options.ts';
import { GeneratorFailure, type TrafficDriver } from '../../drivers/traffic-driver.ts';
import { bench, leftoversOf, outDir, readResults, scratchDir } from './helpers.ts';

/** A generator that starts and then fails, as trafgen 0.6.8 did here into a decoupled native-XDP veth (its words, from a real run). */
const failingGenerator: TrafficDriver = {
  name: 'failing',
  description: 'fails like trafgen TX_RING did',
  defaultCpus: () => [0],
  probe: async () => ({ available: true, detail: 'test' }),
  async start() {
    const finished = new Promise<never>((_, reject) => setTimeout(() => reject(new GeneratorFailure('trafgen', 'Flushing TX_RING failed: Resource temporarily unavailable!')), 100));
    finished.catch(() => undefined);
    return { finished, stop: () => finished };
  },
};

test.serial('the generator fails while calibrating: RunAbortedError (exit 1) in one line, results.json failed with the cause, nothing left', async (t) => {
  const out = outDir('calibration-fails');
  const opts = validateRunOptions(['drop-all'], {
    modes: 'native', trials: '1', duration: '0.5', warmup: '0', interval: '100', generator: 'live', sizes: '64', rate: '0', flows: '1',
    work: 'no-touch', decouple: true, latencyLoads: '0', probes: '10', probeRate: '100', tolerance: '0.05', out,
  });
  const plan = planRun(opts, {
    runId: newRunId(), argv: ['bench', 'run', 'drop-all'], rig: { kind: 'veth' }, rateText: '0',
    generator: { driver: failingGenerator, why: 'test' }, placement: { placement: { generatorCpus: [0], dutNapiCpu: 1 }, why: '' },
  });
  const err = await t.throwsAsync(runBench(plan, { info: () => undefined }, new AbortController().signal));
  t.true(err instanceof RunAbortedError, String(err));
  const aborted = err as RunAbortedError;
  t.is(aborted.exitCode, EXIT.runFailure);
  t.is(aborted.stage, 'calibration');
  t.false(aborted.message.includes('\n'), 'one line');
  t.regex(aborted.message, /^the generator failed while calibrating \(64 B into native XDP_DROP on d[0-9a-f]{8}-0\): trafgen: Flushing TX_RING failed/);
  const results = readResults(out);
  t.is(results.state, 'failed');
  t.deepEqual(results.failure, { stage: 'calibration', reason: aborted.message });
  t.deepEqual(results.cases, []);
  t.false(existsSync(path.join(RUN_REGISTRY_DIR, `${results.runId}.json`)), 'registry record removed');
  t.deepEqual(await leftoversOf(results.runId), []);
});

/** A tmpfs of `size` mounted under a fresh temp dir for the test; unmounted by `done`. */
async function tinyFilesystem(name: string, size: string): Promise<{ dir: string; done: () => Promise<void> }> {
  const dir = path.join(scratchDir(name), 'fs');
  mkdirSync(dir);
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}`, `xdpb-test-${name}`, dir]);
  return { dir, done: async () => void (await execa('umount', [dir], { reject: false })) };
}

function tempFilesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tmp')) : [];
}

const TINY_RUN = ['run', 'drop-all', '--modes', 'native', '--trials', '1', '--duration', '0.5', '--warmup', '0', '--interval', '50'];

test.serial('disk full while writing results.json (8 KiB tmpfs): one line names the file and ENOSPC, exit 1, no temp file, no registry record; results.json says failed', async (t) => {
  // 8 KiB: the first results.json (~1.5 KB) fits, the one with a measured case does not (its temp file and the old file need more than 2 pages).
  const fs = await tinyFilesystem('enospc-results', '8k');
  try {
    const out = path.join(fs.dir, 'out');
    const r = await bench([...TINY_RUN, '--out', out]);
    const stderr = String(r.stderr);
    t.is(r.exitCode, EXIT.runFailure, stderr);
    t.true(stderr.split('\n').includes(`bench: could not write ${out}/results.json: no space left on device (ENOSPC)`), stderr);
    t.notRegex(stderr, /\n\s+at /, 'no stack trace');
    t.deepEqual(tempFilesIn(out), []);
    const results = readResults(out);
    t.is(results.state, 'failed', 'the end state is written over the cases already on disk');
    t.is(results.failure?.stage, 'output');
    t.regex(stderr, /results\.json says the run failed; 1 case\(s\) measured after the last write could not be recorded/);
    t.false(existsSync(path.join(RUN_REGISTRY_DIR, `${results.runId}.json`)), 'registry record removed');
    t.deepEqual(await leftoversOf(results.runId), []);
  } finally {
    await fs.done();
  }
});

test.serial('disk full while writing the reports (24 KiB tmpfs): one line names chart.png, exit 1, no temp file; results.json says failed at reports', async (t) => {
  // 24 KiB: results.json (~6 KB) and its temp copy fit, the chart PNG (~40 KB) next to them does not.
  const fs = await tinyFilesystem('enospc-chart', '24k');
  try {
    const out = path.join(fs.dir, 'out');
    const r = await bench([...TINY_RUN, '--out', out]);
    const stderr = String(r.stderr);
    t.is(r.exitCode, EXIT.runFailure, stderr);
    t.true(stderr.split('\n').includes(`bench: could not write ${out}/chart.png: no space left on device (ENOSPC)`), stderr);
    t.notRegex(stderr, /\n\s+at /, 'no stack trace');
    t.regex(String(r.stdout), /drop-all\s+native\s+[\d.]+ [kM]pps/, 'the figures are still shown');
    t.deepEqual(tempFilesIn(out), []);
    const results = readResults(out);
    t.is(results.state, 'failed');
    t.is(results.failure?.stage, 'reports');
    t.is(results.cases[0]?.state, 'ok', 'the measured case is kept');
    t.false(existsSync(path.join(RUN_REGISTRY_DIR, `${results.runId}.json`)), 'registry record removed');
    t.deepEqual(await leftoversOf(results.runId), []);
  } finally {
    await fs.done();
  }
});

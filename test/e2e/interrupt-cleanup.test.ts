/* Ctrl-C and SIGKILL leave nothing behind (the latter after `bench cleanup`). */
import test from 'ava';
import { bench, leftoversOf, outDir, readResults, rootXdpAttachments, spawnBench, waitForStderr } from './helpers.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const LONG = ['--trials', '3', '--duration', '1', '--warmup', '0.3', '--interval', '100'];

test.serial('SIGINT mid-run: exit 130, partial results kept, no netns, veth, attachment or process left', async (t) => {
  const out = outDir('sigint');
  const child = spawnBench(['run', 'drop-all', '--modes', 'generic,native', ...LONG, '--out', out]);
  // Interrupt during a trial of the second case, so one finished case must be kept.
  await waitForStderr(child, /drop-all\/native\/64B: trial 1\//);
  child.kill('SIGINT');
  const r = await child;
  t.is(r.exitCode, 130, String(r.stderr));
  const results = readResults(out);
  t.is(results.state, 'interrupted');
  t.is(results.cases.length, 1);
  t.is(results.cases[0]!.state, 'ok');
  await sleep(200);
  t.deepEqual(await leftoversOf(results.runId), []);
  t.deepEqual(await rootXdpAttachments(), []);
});

test.serial('SIGTERM during warm-up: exit 130 and clean', async (t) => {
  const out = outDir('sigterm');
  const child = spawnBench(['run', 'tx-reflect', '--modes', 'native', ...LONG, '--out', out]);
  await waitForStderr(child, /warm-up/);
  child.kill('SIGTERM');
  const r = await child;
  t.is(r.exitCode, 130, String(r.stderr));
  const results = readResults(out);
  t.is(results.state, 'interrupted');
  await sleep(200);
  t.deepEqual(await leftoversOf(results.runId), []);
});

test.serial('SIGKILL: helpers die with the harness, and bench cleanup removes the rest', async (t) => {
  const out = outDir('sigkill');
  const child = spawnBench(['run', 'drop-all', '--modes', 'native', ...LONG, '--out', out]);
  await waitForStderr(child, /trial 1\//);
  child.kill('SIGKILL');
  await child;
  const runId = readResults(out).runId;
  await sleep(500);
  const left = await leftoversOf(runId);
  t.true(left.some((l) => l.startsWith('netns')), 'a killed run cannot clean up after itself');
  t.false(left.some((l) => l.startsWith('process')), `helper processes must die with the harness: ${left.join(', ')}`);
  const dry = await bench(['cleanup', '--dry-run']);
  t.is(dry.exitCode, 0);
  t.regex(String(dry.stdout), new RegExp(`xdpb-${runId}`));
  const c = await bench(['cleanup']);
  t.is(c.exitCode, 0, String(c.stderr));
  t.deepEqual(await leftoversOf(runId), []);
});

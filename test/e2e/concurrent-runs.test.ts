/* Two local runs at once would share the CPUs and halve each other's figures:
 * for real, on veth, a second `bench run` is refused (exit 3) naming the
 * first, runs after it with --wait, never reuses a run's --out, and
 * `bench cleanup` leaves a live run alone. Serial: each test starts its own
 * runs and expects to be the only one holding this machine's run lock. */
import test from 'ava';
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { bench, leftoversOf, outDir, QUICK, readResults, spawnBench, waitForStderr } from './helpers.ts';

/** Long enough to be caught mid-run, short enough for CI. */
const HOLD = ['--trials', '3', '--duration', '3', '--warmup', '0.3', '--interval', '100'];

function runIdOf(stderr: string): string {
  const m = /netns xdpb-([0-9a-f]{8})-gen/.exec(stderr);
  if (!m) throw new Error(`no run id in:\n${stderr}`);
  return m[1]!;
}

test.serial('a second run while one is active: exit 3 naming the holder; its --out, in progress, exit 2; with --wait it runs after', async (t) => {
  const outA = outDir('lock-a');
  const a = spawnBench(['run', 'drop-all', '--modes', 'native', ...HOLD, '--out', outA]);
  const idA = runIdOf(await waitForStderr(a, /netns xdpb-[0-9a-f]{8}-gen/));
  // Started at once, so it is waiting while A still runs (however slow the machine is today).
  const outC = outDir('lock-c');
  const c = spawnBench(['run', 'drop-all', '--modes', 'native', ...QUICK, '--wait=120', '--out', outC]);
  const cWaited = waitForStderr(c, new RegExp(`waiting for run ${idA} \\(pid ${a.pid} .*\\) to finish: \\d+ s of at most 120 s \\(--wait\\)`));
  cWaited.catch(() => undefined); // awaited below; no unhandled rejection meanwhile

  const outB = outDir('lock-b');
  const b = await bench(['run', 'drop-all', '--modes', 'native', ...QUICK, '--out', outB], 60_000);
  t.is(b.exitCode, 3, String(b.stderr));
  const said = String(b.stderr);
  t.regex(said, new RegExp(`another bench run is active on this machine: run ${idA} \\(pid ${a.pid} on \\S+, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, \\d+ s ago: bench run drop-all --modes native --trials 3 --duration 3 `));
  t.regex(said, /--wait/);
  t.false(existsSync(outB), 'the refused run created nothing');

  const same = await bench(['run', 'drop-all', '--modes', 'native', ...QUICK, '--wait', '--out', outA], 60_000);
  t.is(same.exitCode, 2, String(same.stderr));
  t.regex(String(same.stderr), new RegExp(`--out ${outA}: already holds a run \\(run ${idA}, in progress, started `));

  await cWaited;
  const [ra, rc] = await Promise.all([a, c]);
  t.is(ra.exitCode, 0, String(ra.stderr));
  t.is(rc.exitCode, 0, String(rc.stderr));
  const resultsA = readResults(outA);
  const resultsC = readResults(outC);
  t.is(resultsA.state, 'complete');
  t.is(resultsC.state, 'complete');
  t.true(Date.parse(resultsC.startedAt) >= Date.parse(resultsA.finishedAt!), `C started ${resultsC.startedAt}, A finished ${resultsA.finishedAt}: the runs must not overlap`);
  t.deepEqual(await leftoversOf(idA), []);
  t.deepEqual(await leftoversOf(resultsC.runId), []);
});

test.serial('an --out that holds a finished run is never reused: exit 2 naming it, its results untouched', async (t) => {
  const out = outDir('reuse');
  const first = await bench(['run', 'drop-all', '--prog-run', '--out', out]);
  t.is(first.exitCode, 0, String(first.stderr));
  const before = readFileSync(`${out}/results.json`, 'utf8');
  const runId = readResults(out).runId;
  for (const args of [['run', 'drop-all', '--modes', 'native', ...QUICK], ['run', 'drop-all', '--prog-run'], ['run', 'drop-all', '--topology', 'vm']]) {
    const again = await bench([...args, '--out', out], 60_000);
    t.is(again.exitCode, 2, `${args.join(' ')}: ${String(again.stderr)}`);
    t.regex(String(again.stderr), new RegExp(`--out ${out}: already holds a run \\(run ${runId}, state complete, started .*\\); a run directory is never reused`));
  }
  t.is(readFileSync(`${out}/results.json`, 'utf8'), before);
});

test.serial('bench cleanup during a live run touches nothing of it; the run completes', async (t) => {
  const out = outDir('cleanup-live');
  const run = spawnBench(['run', 'drop-all', '--modes', 'native', ...HOLD, '--out', out]);
  const id = runIdOf(await waitForStderr(run, /calibration: /));
  const ours = (await leftoversOf(id)).filter((x) => !x.startsWith('process'));
  t.true(ours.some((x) => x.startsWith('netns')) && ours.some((x) => x.startsWith('bpffs')), ours.join(', '));
  for (const args of [['cleanup', '--dry-run'], ['cleanup']]) {
    const c = await bench(args, 60_000);
    t.is(c.exitCode, 0, String(c.stderr));
    t.false(String(c.stdout).includes(id), `${args.join(' ')} named the live run:\n${String(c.stdout)}`);
  }
  const ns = await execa('ip', ['netns', 'list']);
  t.true(String(ns.stdout).includes(`xdpb-${id}-dut`), 'the live run\'s netns is still there');
  t.true(existsSync(`/sys/fs/bpf/xdpb-${id}`));
  const r = await run;
  t.is(r.exitCode, 0, String(r.stderr));
  t.is(readResults(out).state, 'complete');
  t.deepEqual(await leftoversOf(id), []);
});

test.serial('--wait takes seconds: a bad value names the flag, exit 2, nothing created', async (t) => {
  const out = outDir('bad-wait');
  for (const args of [['run', 'drop-all', '--wait', 'soon'], ['run', '--wait', 'drop-all'], ['run', 'drop-all', '--wait=0']]) {
    const r = await bench([...args, '--out', out], 30_000);
    t.is(r.exitCode, 2, String(r.stderr));
    t.regex(String(r.stderr), /--wait ".*": expected seconds from 1 to/);
  }
  t.false(existsSync(out));
});

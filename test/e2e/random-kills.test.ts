/* 20 real `bench run`s killed at random points (SIGINT, SIGTERM, SIGHUP,
 * SIGKILL, five each, shuffled): each ends with its signal's exit code, and
 * nothing is left (for SIGKILL: after the next run, or `bench cleanup` at the end): no netns, pins,
 * scratch dir, registry record or process. Reproduce an order with
 * XDPB_KILL_SEED=<seed> (the test logs the seed it used). */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, RUN_REGISTRY_DIR } from '../../ground/paths.ts';
import { BENCH, bench, leftoversOf, outDir, rootXdpAttachments, waitForStderr } from './helpers.ts';

const KILLS = 20;
/** After the first stderr line the run needs >= 2.5 s (topology, 1 s calibration, one 0.5 s trial, reports): kills land inside it. */
const MAX_DELAY_MS = 1500;
const TOTAL_BUDGET_MS = 150_000;
const EXPECTED_EXIT: Record<string, number | 'killed'> = { SIGINT: 130, SIGTERM: 130, SIGHUP: 129, SIGKILL: 'killed' };

/** mulberry32: a small seeded PRNG, so a failing order can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** The run id of the bench process `pid`: from its results.json, its stderr, or its registry record. */
function runIdOf(out: string, stderr: string, recordsByPid: Map<number, string>, pid: number): string | null {
  const file = path.join(out, 'results.json');
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { runId: string }).runId;
  const m = /netns xdpb-([0-9a-f]{8})-gen/.exec(stderr);
  return m ? m[1]! : recordsByPid.get(pid) ?? null;
}

function registryRecordsByPid(): Map<number, string> {
  const byPid = new Map<number, string>();
  if (!existsSync(RUN_REGISTRY_DIR)) return byPid;
  for (const f of readdirSync(RUN_REGISTRY_DIR).filter((n) => /^[0-9a-f]{8}\.json$/.test(n))) {
    try {
      const rec = JSON.parse(readFileSync(path.join(RUN_REGISTRY_DIR, f), 'utf8')) as { runId: string; pid: number };
      byPid.set(rec.pid, rec.runId);
    } catch {
      /* being written or removed by another run */
    }
  }
  return byPid;
}

interface KilledRun {
  what: string;
  pid: number;
  /** null: killed before it registered or created anything. */
  runId: string | null;
}

async function assertNothingLeft(t: ExecutionContext, run: KilledRun, when: string): Promise<void> {
  const what = `${run.what}${when ? ` (${when})` : ''}`;
  t.false(registryRecordsByPid().has(run.pid), `${what}: registry record of pid ${run.pid}`);
  if (!run.runId) return;
  // Helper processes die with the harness (PDEATHSIG): give them a moment.
  let left = await leftoversOf(run.runId);
  for (let k = 0; k < 10 && left.length > 0; k++) {
    await sleep(100);
    left = await leftoversOf(run.runId);
  }
  t.deepEqual(left, [], `${what}: left by run ${run.runId}`);
  t.false(existsSync(path.join(RUN_REGISTRY_DIR, `${run.runId}.json`)), `${what}: registry record ${run.runId}`);
}

test.serial(`${KILLS} kills at random points (INT, TERM, HUP, KILL): the signal's exit code each time, nothing left`, async (t) => {
  t.timeout(TOTAL_BUDGET_MS + 30_000);
  const seed = Number(process.env.XDPB_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.log(`XDPB_KILL_SEED=${seed}`);
  const random = prng(seed);
  const signals = (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'] as const).flatMap((s) => Array<typeof s>(KILLS / 4).fill(s));
  for (let i = signals.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [signals[i], signals[j]] = [signals[j]!, signals[i]!];
  }
  const started = performance.now();
  const leftBySigkill: KilledRun[] = [];
  for (const [i, sig] of signals.entries()) {
    t.true(performance.now() - started < TOTAL_BUDGET_MS, `kill ${i}: over the time budget`);
    const out = outDir(`kill-${i}`);
    const child = execa(BENCH, ['run', 'drop-all', '--modes', 'native', '--trials', '1', '--duration', '0.5', '--warmup', '0', '--interval', '100', '--out', out], {
      reject: false, timeout: 60_000, cwd: REPO_ROOT, buffer: true,
    });
    // The first line comes after the signal handlers are in place; from there on every point is fair game.
    await waitForStderr(child, /generator: /, 30_000);
    const delayMs = Math.round(random() * MAX_DELAY_MS);
    await sleep(delayMs);
    const recordsBeforeKill = registryRecordsByPid();
    child.kill(sig);
    const r = await child;
    const what = `kill ${i}: ${sig} after ${delayMs} ms`;
    const stderr = String(r.stderr);
    const expected = EXPECTED_EXIT[sig];
    if (expected === 'killed') t.is(r.signal, 'SIGKILL', `${what}: ${stderr}`);
    else t.is(r.exitCode, expected, `${what}: ${stderr}`);
    t.notRegex(stderr, /\n\s+at /, `${what}: no stack trace`);
    const run: KilledRun = { what, pid: child.pid!, runId: runIdOf(out, stderr, recordsBeforeKill, child.pid!) };
    if (sig === 'SIGKILL') {
      // A SIGKILLed run cannot clean up: the next run does (checked after it), or bench cleanup at the end.
      leftBySigkill.push(run);
      continue;
    }
    // This run removed what earlier SIGKILLed runs left, at its start.
    for (const killed of leftBySigkill.splice(0)) await assertNothingLeft(t, killed, 'after the next run');
    await assertNothingLeft(t, run, '');
  }
  if (leftBySigkill.length > 0) {
    const c = await bench(['cleanup']);
    t.is(c.exitCode, 0, `bench cleanup: ${String(c.stderr)}`);
    for (const killed of leftBySigkill) await assertNothingLeft(t, killed, 'after bench cleanup');
  }
  t.deepEqual(await rootXdpAttachments(), []);
  t.log(`${KILLS} kills in ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

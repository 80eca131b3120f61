/* The local run lock (harness/run/run-lock.ts) against real flocks held by other
 * processes (test/lab/lock-holder.ts), in a lock file of the test's own. */
import test from 'ava';
import type { ResultPromise } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { lockPathFor } from '../../harness/lab/dut-lock.ts';
import { EXIT, InterruptedError, UsageError } from '../../ground/errors.ts';
import { commandLine, parseHolder } from '../../harness/run/lock-file.ts';
import { acquireRunLock, DEFAULT_WAIT_S, parseWaitFlag, RUN_LOCK_FILE, RunLockedError } from '../../harness/run/run-lock.ts';
import { startLockHolder } from '../lab/lock-holder-process.ts';

const dirs: string[] = [];
const children: ResultPromise[] = [];
test.after.always(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A lock file of this test's own, and a process holding it (released when its stdin closes). */
async function heldLock(runId: string): Promise<{ file: string; child: ResultPromise; pid: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'xdpbt-runlock-'));
  dirs.push(dir);
  const { child, pid } = await startLockHolder(dir, 'h', 'i', runId, children);
  return { file: lockPathFor('h', 'i', dir), child, pid };
}

const ARGV = ['bench', 'run', 'drop-all', '--out', '/tmp/my results'];

test('the run lock is one file under /run/xdp-bench/locks, beside the DUT locks', (t) => {
  t.is(RUN_LOCK_FILE, '/run/xdp-bench/locks/local-run.lock');
});

test('held by another process: refused at once (exit 3), naming its run id, pid, start and host', async (t) => {
  const { file, pid } = await heldLock('1111aaaa');
  const started = performance.now();
  const err = await t.throwsAsync(acquireRunLock({ runId: '2222bbbb', argv: ARGV, waitS: 0, log: () => undefined, file }), { instanceOf: RunLockedError });
  t.true(performance.now() - started < 5000, 'no waiting without --wait');
  t.is(err!.exitCode, EXIT.missingCapability);
  t.is(err!.holder?.pid, pid);
  t.regex(err!.message, new RegExp(`^another bench run is active on this machine: run 1111aaaa \\(pid ${pid} on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT\\S+Z, \\d+ s ago\\)\\. .*--wait.*kill ${pid}.*Lock: ${file}$`));
});

test('our holder record names the command line; --wait: progress lines, then the lock once the holder releases', async (t) => {
  const { file, child, pid } = await heldLock('3333cccc');
  const lines: string[] = [];
  const waiting = acquireRunLock({ runId: '4444dddd', argv: ARGV, waitS: 30, progressEveryS: 0.5, log: (l) => lines.push(l), file });
  await new Promise((r) => setTimeout(r, 1500));
  child.stdin!.end(); // the holder releases
  const lock = await waiting;
  try {
    t.true(lines.length >= 2, lines.join('\n'));
    t.regex(lines[0]!, new RegExp(`^waiting for run 3333cccc \\(pid ${pid} on .*\\) to finish: 0 s of at most 30 s \\(--wait\\)$`));
    const rec = parseHolder(readFileSync(file, 'utf8'));
    t.like(rec, { runId: '4444dddd', pid: process.pid, host: hostname() });
    t.deepEqual(rec!.argv, ARGV);
    t.is(commandLine(rec!.argv!), "bench run drop-all --out '/tmp/my results'");
    t.is(lock.tookOverFrom, null, 'a clean release leaves nothing to take over');
  } finally {
    lock.release();
  }
  t.is(readFileSync(file, 'utf8'), '', 'released: no holder named');
});

test('--wait is bounded: still held after the wait, refused with how long it waited', async (t) => {
  const { file } = await heldLock('5555eeee');
  const started = performance.now();
  const err = await t.throwsAsync(acquireRunLock({ runId: '6666ffff', argv: ARGV, waitS: 1.5, progressEveryS: 0.5, log: () => undefined, file }), { instanceOf: RunLockedError });
  const s = (performance.now() - started) / 1000;
  t.true(s >= 1.4 && s < 8, `${s} s`);
  t.regex(err!.message, /active on this machine: still, after waiting 2 s, run 5555eeee/);
});

test('a SIGKILLed holder never blocks: the kernel drops its flock, the next run takes over and says so', async (t) => {
  const { file, child, pid } = await heldLock('7777aaaa');
  child.kill('SIGKILL');
  await child;
  const lines: string[] = [];
  const lock = await acquireRunLock({ runId: '8888bbbb', argv: ARGV, waitS: 0, log: (l) => lines.push(l), file });
  lock.release();
  t.deepEqual(lines, [`took over the lock of local runs left by run 7777aaaa (pid ${pid} on ${hostname()}, since ${lock.tookOverFrom!.sinceIso}), whose process is gone`]);
});

test('Ctrl-C while waiting: InterruptedError at once, the lock is not taken', async (t) => {
  const { file, pid } = await heldLock('9999cccc');
  const ac = new AbortController();
  setTimeout(() => ac.abort('SIGINT'), 700);
  const started = performance.now();
  await t.throwsAsync(acquireRunLock({ runId: 'aaaa0000', argv: ARGV, waitS: 60, log: () => undefined, file, signal: ac.signal }), { instanceOf: InterruptedError });
  t.true(performance.now() - started < 5000);
  t.is(parseHolder(readFileSync(file, 'utf8'))?.pid, pid, 'the holder is still named');
});

test('parseWaitFlag: absent, bare, seconds; anything else names --wait and what it takes', (t) => {
  t.is(parseWaitFlag(undefined), 0);
  t.is(parseWaitFlag(true), DEFAULT_WAIT_S);
  t.is(parseWaitFlag('90'), 90);
  t.is(parseWaitFlag('2.5'), 2.5);
  for (const bad of ['0', '-5', 'x', '', '1e3', '0x10', '99999999']) {
    const err = t.throws(() => parseWaitFlag(bad), { instanceOf: UsageError }, bad);
    t.regex(err!.message, /^--wait ".*": expected seconds from 1 to \d+/);
  }
  t.regex(t.throws(() => parseWaitFlag('drop-all'))!.message, /write --wait=SECONDS, or put --wait after the scenario names/);
});

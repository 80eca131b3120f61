import test from 'ava';
import type { ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { acquireDutLock, DUT_LOCK_DIR, DutLockedError, lockPathFor, parseHolder, takeoverNote } from '../../harness/lab/dut-lock.ts';
import { EXIT } from '../../ground/errors.ts';
import { startLockHolder } from './lock-holder-process.ts';

const dirs: string[] = [];
const children: ResultPromise[] = [];
function lockDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'xdpbt-locks-'));
  dirs.push(d);
  return d;
}

test.after.always(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function holder(dir: string, dutHost: string, ifname: string, runId: string) {
  return startLockHolder(dir, dutHost, ifname, runId, children);
}

test('a second acquisition in the same process is refused, naming the holder; release frees it', async (t) => {
  const dir = lockDir();
  const a = await acquireDutLock({ dir, dutHost: 'dut1', ifname: 'ens2f0', runId: 'aaaaaaaa' });
  t.is(a.path, path.join(dir, 'dut1__ens2f0.lock'));
  t.is(a.tookOverFrom, null);
  t.deepEqual(parseHolder(readFileSync(a.path, 'utf8')), a.holder);
  const err = await t.throwsAsync(acquireDutLock({ dir, dutHost: 'dut1', ifname: 'ens2f0', runId: 'bbbbbbbb' }), { instanceOf: DutLockedError });
  t.is(err!.exitCode, EXIT.missingCapability);
  t.deepEqual(err!.holder, a.holder);
  t.regex(err!.message, new RegExp(`^DUT dut1:ens2f0 is in use by run aaaaaaaa \\(pid ${process.pid} on ${hostname()}, since \\S+, \\d+ s ago\\); one run per DUT at a time`));
  a.release();
  a.release(); // idempotent
  t.is(readFileSync(a.path, 'utf8'), '', 'a clean release leaves no holder named');
  const b = await acquireDutLock({ dir, dutHost: 'dut1', ifname: 'ens2f0', runId: 'bbbbbbbb' });
  t.is(b.tookOverFrom, null, 'nothing stale after a clean release');
  b.release();
});

test('locks are per DUT: another interface or another host is free', async (t) => {
  const dir = lockDir();
  const a = await acquireDutLock({ dir, dutHost: 'dut1', ifname: 'ens2f0', runId: 'aaaaaaaa' });
  const b = await acquireDutLock({ dir, dutHost: 'dut1', ifname: 'ens2f1', runId: 'bbbbbbbb' });
  const c = await acquireDutLock({ dir, dutHost: 'dut2', ifname: 'ens2f0', runId: 'cccccccc' });
  t.is(new Set([a.path, b.path, c.path]).size, 3);
  for (const l of [a, b, c]) l.release();
});

test('two processes: the second gets a clear error naming the first (pid, run id, since); free again once it releases', async (t) => {
  const dir = lockDir();
  const { child, pid } = await holder(dir, 'dut1', 'ens2f0', '11111111');
  const err = await t.throwsAsync(acquireDutLock({ dir, dutHost: 'dut1', ifname: 'ens2f0', runId: '22222222' }), { instanceOf: DutLockedError });
  t.is(err!.holder?.pid, pid);
  t.is(err!.holder?.runId, '11111111');
  t.regex(err!.message, new RegExp(`in use by run 11111111 \\(pid ${pid} on ${hostname()}, since `));
  child.stdin!.end(); // the holder releases and exits
  const r = await child;
  t.is(r.exitCode, 0);
  const mine = await acquireDutLock({ dir, dutHost: 'dut1', ifname: 'ens2f0', runId: '22222222' });
  t.is(mine.tookOverFrom, null);
  mine.release();
});

test('a stale lock (holder SIGKILLed) is detected and taken over, and the takeover is reported', async (t) => {
  const dir = lockDir();
  const { child, pid } = await holder(dir, 'dut1', 'ens2f0', '33333333');
  child.kill('SIGKILL');
  await child;
  const mine = await acquireDutLock({ dir, dutHost: 'dut1', ifname: 'ens2f0', runId: '44444444' });
  t.like(mine.tookOverFrom, { pid, runId: '33333333', host: hostname(), pidAlive: false });
  t.is(takeoverNote(mine), `took over the lock of dut1:ens2f0 left by run 33333333 (pid ${pid} on ${hostname()}, since ${mine.tookOverFrom!.sinceIso}), whose process is gone`);
  t.is(parseHolder(readFileSync(mine.path, 'utf8'))?.runId, '44444444');
  mine.release();
});

test('the default directory is /run/xdp-bench/locks', async (t) => {
  const dutHost = `xdpbt-${randomBytes(4).toString('hex')}`;
  const lock = await acquireDutLock({ dutHost, ifname: 'eth9', runId: '55555555' });
  try {
    t.is(lock.path, path.join(DUT_LOCK_DIR, `${dutHost}__eth9.lock`));
    t.is(DUT_LOCK_DIR, '/run/xdp-bench/locks');
    t.true(existsSync(lock.path));
  } finally {
    lock.release();
    rmSync(lock.path, { force: true });
  }
});

test('lockPathFor: one file per DUT inside the directory, whatever the names', (t) => {
  t.is(lockPathFor('dut1', 'ens2f0', '/d'), '/d/dut1__ens2f0.lock');
  t.is(lockPathFor('../../etc', 'x/y', '/d'), '/d/__.._etc__x_y.lock');
  t.is(path.dirname(lockPathFor('a/b', '..', '/d')), '/d');
  t.throws(() => lockPathFor('', 'x'), { instanceOf: TypeError });
});

test('parseHolder: torn or foreign content names nobody', (t) => {
  t.is(parseHolder(''), null);
  t.is(parseHolder('{"pid": 1'), null);
  t.is(parseHolder('{"pid": "x"}'), null);
});

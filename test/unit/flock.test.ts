/* drivers/flock.ts against the real flock(1) on lock files of the test's own. */
import test from 'ava';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FLOCK_CONFLICT_EXIT, flockArgv, flockFd, flockOutcome } from '../../drivers/flock.ts';
import { InterruptedError } from '../../ground/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'xdpbt-flock-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const open = (name: string) => openSync(path.join(dir, name), constants.O_RDWR | constants.O_CREAT, 0o644);

test('argv: --nonblock or --wait, the conflict exit code, the fd; exit codes mean locked / held elsewhere / failed', (t) => {
  t.deepEqual(flockArgv(9, 0), ['flock', '--nonblock', '--conflict-exit-code', String(FLOCK_CONFLICT_EXIT), '9']);
  t.deepEqual(flockArgv(3, 2.5), ['flock', '--wait', '2.5', '--conflict-exit-code', String(FLOCK_CONFLICT_EXIT), '3']);
  t.is(flockOutcome(0), 'locked');
  t.is(flockOutcome(FLOCK_CONFLICT_EXIT), 'held-elsewhere');
  t.is(flockOutcome(1), 'failed');
  t.is(flockOutcome(null), 'failed');
});

test('a lock on one open file description keeps a second one out until its fd is closed', async (t) => {
  const a = open('one.lock');
  const b = open('one.lock');
  try {
    t.true(await flockFd(a, 0), 'first taker gets it');
    t.true(await flockFd(a, 0), 'the same description may lock again');
    t.false(await flockFd(b, 0), 'a second description is refused at once');
    const started = performance.now();
    t.false(await flockFd(b, 0.3), 'and after waiting');
    t.true(performance.now() - started >= 250, 'it did wait');
    closeSync(a);
    t.true(await flockFd(b, 0), 'free once the holder closed its fd');
  } finally {
    closeSync(b);
  }
});

test('an abort while waiting kills flock(1) and throws InterruptedError', async (t) => {
  const a = open('two.lock');
  const b = open('two.lock');
  try {
    t.true(await flockFd(a, 0));
    const ac = new AbortController();
    const started = performance.now();
    setTimeout(() => ac.abort('SIGINT'), 200);
    await t.throwsAsync(flockFd(b, 30, ac.signal), { instanceOf: InterruptedError });
    t.true(performance.now() - started < 5000, 'did not wait out --wait 30');
  } finally {
    closeSync(a);
    closeSync(b);
  }
});

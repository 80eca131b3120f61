/* flock(1) (util-linux) on an open file descriptor. The lock belongs to the
 * open file description, not to the flock process: it stays taken when
 * flock(1) exits and goes when the last holder of the description closes it
 * (or dies). Node has no flock(2), hence the tool. What a lock means and who
 * holds it is the caller's business (harness/run/lock-file.ts). */
import { spawn } from 'node:child_process';
import { InterruptedError, MissingCapabilityError } from '../ground/errors.ts';

/** flock(1)'s exit code when someone else holds the lock (--conflict-exit-code): 75 is EX_TEMPFAIL. */
export const FLOCK_CONFLICT_EXIT = 75;

/** argv that locks `fd` (exclusive) of the process it runs in: waitS 0 = do not wait (--nonblock). */
export function flockArgv(fd: number, waitS: number): string[] {
  const how = waitS > 0 ? ['--wait', String(waitS)] : ['--nonblock'];
  return ['flock', ...how, '--conflict-exit-code', String(FLOCK_CONFLICT_EXIT), String(fd)];
}

export type FlockOutcome = 'locked' | 'held-elsewhere' | 'failed';

/** What flock(1)'s exit code says (0 taken; the conflict code: held by someone else; anything else: it failed). */
export function flockOutcome(exitCode: number | null): FlockOutcome {
  if (exitCode === 0) return 'locked';
  if (exitCode === FLOCK_CONFLICT_EXIT) return 'held-elsewhere';
  return 'failed';
}

/** flock(1) could not take the lock for a reason other than another holder (bad fd, unsupported filesystem, ...). */
export class FlockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlockError';
  }
}

/** The fd flock(1) sees our descriptor as (stdin, stdout, stderr, then it). */
const CHILD_FD = 3;

/**
 * Locks our `fd` through flock(1) on an inherited copy of it. Resolves true
 * when locked, false when someone else holds it (after waiting up to waitS).
 * An abort kills flock(1) and throws InterruptedError (the caller closes the fd).
 */
export function flockFd(fd: number, waitS: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError(String(signal.reason ?? 'signal')));
    const [file, ...args] = flockArgv(CHILD_FD, waitS);
    const child = spawn(file!, args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => void (stderr += b.toString()));
    // flock(1) itself is bounded by --wait; this only guards against a hung tool.
    const guard = setTimeout(() => child.kill('SIGKILL'), (waitS + 10) * 1000);
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      clearTimeout(guard);
      signal?.removeEventListener('abort', onAbort);
      reject(new MissingCapabilityError(`flock(1) could not be started (${err.message}): install util-linux (apt-get install util-linux)`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(guard);
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(new InterruptedError(String(signal.reason ?? 'signal')));
      const outcome = flockOutcome(code);
      if (outcome === 'locked') resolve(true);
      else if (outcome === 'held-elsewhere') resolve(false);
      else reject(new FlockError(`flock on the lock failed (exit ${code ?? sig ?? '?'}): ${stderr.trim()}`));
    });
  });
}

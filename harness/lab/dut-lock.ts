/* One run per DUT at a time. A DUT (host + interface) has one lock file under
 * /run/xdp-bench/locks, held with flock (harness/run/lock-file.ts: the kernel
 * drops it when the holder dies; the file names the holder for the error a
 * second run gets; a stale holder is detected, reported and taken over). On a
 * lab host over SSH the same file is locked by a remote flock(1). */
import path from 'node:path';
import { flockArgv, flockOutcome } from '../../drivers/flock.ts';
import { runOn, spawnOn, type RemoteProcess, type SshTarget } from '../../drivers/ssh.ts';
import { BenchError, EXIT } from '../../ground/errors.ts';
import { acquireLockFile, describeHolder, holderFor, isHeld, parseHolder, takeoverNote as lockTakeoverNote, type HeldLock, type LockHolder } from '../run/lock-file.ts';
import { RUN_REGISTRY_DIR } from '../../ground/paths.ts';
import { processAlive } from '../../ground/process-alive.ts';
export { processAlive, parseHolder, type LockHolder };

export const DUT_LOCK_DIR = path.join(RUN_REGISTRY_DIR, 'locks');

export type DutLock = HeldLock;

export class DutLockedError extends BenchError {
  readonly lockPath: string;
  readonly holder: LockHolder | null;
  constructor(dut: string, lockPath: string, holder: LockHolder | null, now = new Date()) {
    super(`DUT ${dut} is in use by ${describeHolder(holder, now)}; one run per DUT at a time: wait for it to finish, or stop it. Lock: ${lockPath}`, EXIT.missingCapability);
    this.lockPath = lockPath;
    this.holder = holder;
  }
}

/** `dut1` + `ens1f0` -> <dir>/dut1__ens1f0.lock (names sanitised: one file per DUT, never a path escape). */
export function lockPathFor(dutHost: string, ifname: string, dir = DUT_LOCK_DIR): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.@-]/g, '_').replace(/^\.+/, '_');
  if (!dutHost || !ifname) throw new TypeError('a DUT lock needs a host and an interface');
  return path.join(dir, `${safe(dutHost)}__${safe(ifname)}.lock`);
}

/**
 * Takes the DUT's lock or throws DutLockedError naming the holder. `host` is
 * this controller's name (recorded for the next run's message).
 */
export async function acquireDutLock(opts: { dutHost: string; ifname: string; runId: string; dir?: string; host?: string; now?: Date }): Promise<DutLock> {
  const file = lockPathFor(opts.dutHost, opts.ifname, opts.dir);
  const r = await acquireLockFile(file, holderFor(opts));
  if (!isHeld(r)) throw new DutLockedError(`${opts.dutHost}:${opts.ifname}`, file, r.busy, opts.now);
  return r;
}

/** A note for the log when a stale lock was taken over. */
export function takeoverNote(lock: Pick<DutLock, 'tookOverFrom' | 'holder'>): string | null {
  const p = lock.tookOverFrom;
  return p ? lockTakeoverNote(lock, `${p.dutHost}:${p.ifname}`) : null;
}

/* ---- on a lab host over SSH ---- */

/**
 * Holds the flock on the lab host: fd 9 of a shell that then becomes `sleep`
 * (so the watchdog's TERM ends the holder and with it the lock). $1 = lock
 * file, $2 = the holder JSON. Prints "locked" and the previous holder line.
 */
export const REMOTE_LOCK_SCRIPT = [
  'mkdir -p "$(dirname "$1")" || exit 70',
  'exec 9>>"$1" || exit 70',
  `${flockArgv(9, 0).join(' ')} || exit $?`,
  'prev=$(head -n 1 "$1")',
  'printf \'%s\\n\' "$2" > "$1"',
  'printf \'locked\\n%s\\n\' "$prev"',
  'exec sleep 2147483647',
].join('\n');

export interface RemoteDutLock extends Omit<DutLock, 'release'> {
  /** Ends the holder over SSH; the lock also goes when this process or its connection dies. */
  release(): Promise<void>;
}

/**
 * The DUT's lock on the DUT's own host, so runs from different controllers
 * exclude each other too. Held by a remote process tied to our SSH session.
 */
export async function acquireRemoteDutLock(
  target: SshTarget,
  opts: { dutHost: string; ifname: string; runId: string; dir?: string; host?: string; now?: Date; timeoutMs?: number },
): Promise<RemoteDutLock> {
  const file = lockPathFor(opts.dutHost, opts.ifname, opts.dir);
  const holder = holderFor(opts);
  const proc: RemoteProcess = spawnOn(target, ['sh', '-c', REMOTE_LOCK_SCRIPT, 'xdpb-lock', file, JSON.stringify(holder)]);
  const outcome = await new Promise<{ locked: true; previous: string } | { locked: false; exitCode: number | null; stderr: string }>((resolve) => {
    let seen = '';
    const timer = setTimeout(() => resolve({ locked: false, exitCode: null, stderr: `no answer within ${opts.timeoutMs ?? 20_000} ms` }), opts.timeoutMs ?? 20_000);
    proc.child.stdout?.on('data', (b: Buffer) => {
      seen += b.toString();
      const m = /^locked\n(.*)\n/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ locked: true, previous: m[1]! });
      }
    });
    void proc.child.then((r) => {
      clearTimeout(timer);
      resolve({ locked: false, exitCode: typeof r.exitCode === 'number' ? r.exitCode : null, stderr: String(r.stderr ?? '') });
    });
  });
  const dut = `${opts.dutHost}:${opts.ifname} on ${target.name}`;
  if (!outcome.locked) {
    await proc.stop(2_000);
    if (flockOutcome(outcome.exitCode) === 'held-elsewhere') {
      const text = await runOn(target, ['cat', file], { okExitCodes: [0, 1] }).catch(() => ({ stdout: '' }));
      throw new DutLockedError(dut, `${target.name}:${file}`, parseHolder(text.stdout), opts.now);
    }
    throw new Error(`could not lock ${dut} (${file}): exit ${outcome.exitCode ?? '?'} ${outcome.stderr.trim()}`);
  }
  const previous = parseHolder(outcome.previous);
  let released = false;
  return {
    path: `${target.name}:${file}`,
    holder,
    tookOverFrom: previous ? { ...previous, pidAlive: previous.host === holder.host && processAlive(previous.pid) } : null,
    async release() {
      if (released) return;
      released = true;
      // No holder named any more; only if it still names us (a lost lock may already be someone else's).
      await runOn(target, ['sh', '-c', '[ "$(head -n 1 "$1")" = "$2" ] && : > "$1"; exit 0', 'xdpb-unlock', file, JSON.stringify(holder)]).catch(() => undefined);
      await proc.stop(5_000);
    },
  };
}

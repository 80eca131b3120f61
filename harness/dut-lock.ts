/* One run per DUT at a time. A DUT (host + interface) has one lock file under
 * /run/xdp-bench/locks; the lock is flock(2) on an open file description this
 * process holds (taken by flock(1) on an inherited fd, since Node has no
 * flock): the kernel drops it when the process dies, however it dies. The
 * file's content names the holder (pid, host, run id, since) for the error a
 * second run gets. A file still naming a holder while nobody holds the flock
 * is the trace of a run that died: it is detected, reported and taken over. */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { runOn, spawnOn, type RemoteProcess, type SshTarget } from '../drivers/ssh.ts';
import { BenchError, EXIT } from './errors.ts';
import { RUN_REGISTRY_DIR } from './paths.ts';
import { processAlive } from './process-alive.ts';
export { processAlive };

export const DUT_LOCK_DIR = path.join(RUN_REGISTRY_DIR, 'locks');
/** flock(1)'s exit code when the lock is held (-E). */
const HELD_EXIT = 75;

export interface LockHolder {
  pid: number;
  /** Host of the holding process (the controller). */
  host: string;
  runId: string;
  sinceIso: string;
  dutHost: string;
  ifname: string;
}

export interface DutLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** The holder recorded by a run that died without releasing (stale lock taken over), or null. */
  readonly tookOverFrom: (LockHolder & { pidAlive: boolean }) | null;
  release(): void;
}

export class DutLockedError extends BenchError {
  readonly lockPath: string;
  readonly holder: LockHolder | null;
  constructor(dut: string, lockPath: string, holder: LockHolder | null, now = new Date()) {
    const who = holder
      ? `run ${holder.runId} (pid ${holder.pid} on ${holder.host}, since ${holder.sinceIso}, ${ago(holder.sinceIso, now)})`
      : 'another run (it has not written its name yet)';
    super(`DUT ${dut} is in use by ${who}; one run per DUT at a time: wait for it to finish, or stop it. Lock: ${lockPath}`, EXIT.missingCapability);
    this.lockPath = lockPath;
    this.holder = holder;
  }
}

function ago(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return 'unknown time';
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

/** `dut1` + `ens1f0` -> <dir>/dut1__ens1f0.lock (names sanitised: one file per DUT, never a path escape). */
export function lockPathFor(dutHost: string, ifname: string, dir = DUT_LOCK_DIR): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.@-]/g, '_').replace(/^\.+/, '_');
  if (!dutHost || !ifname) throw new TypeError('a DUT lock needs a host and an interface');
  return path.join(dir, `${safe(dutHost)}__${safe(ifname)}.lock`);
}

export function parseHolder(text: string): LockHolder | null {
  if (!text.trim()) return null;
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.runId === 'string' && typeof h.host === 'string' && typeof h.sinceIso === 'string') {
      return { pid: h.pid, host: h.host, runId: h.runId, sinceIso: h.sinceIso, dutHost: String(h.dutHost ?? ''), ifname: String(h.ifname ?? '') };
    }
  } catch {
    /* a torn or foreign file: no holder we can name */
  }
  return null;
}

/** This process as the holder of a DUT's lock. */
function holderFor(opts: { dutHost: string; ifname: string; runId: string; host?: string; now?: Date }): LockHolder {
  return {
    pid: process.pid,
    host: opts.host ?? hostname(),
    runId: opts.runId,
    sinceIso: (opts.now ?? new Date()).toISOString(),
    dutHost: opts.dutHost,
    ifname: opts.ifname,
  };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** flock -n on our fd, through flock(1) (the lock belongs to the open file description, so it stays ours). */
function tryFlock(fd: number): boolean {
  const r = spawnSync('flock', ['--nonblock', '--conflict-exit-code', String(HELD_EXIT), '3'], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
    timeout: 10_000,
    encoding: 'utf8',
  });
  if (r.status === 0) return true;
  if (r.status === HELD_EXIT) return false;
  throw new Error(`flock on the DUT lock failed (exit ${r.status ?? r.signal ?? '?'}): ${r.error?.message ?? r.stderr}`);
}

/**
 * Takes the DUT's lock or throws DutLockedError naming the holder. `host` is
 * this controller's name (recorded for the next run's message).
 */
export async function acquireDutLock(opts: { dutHost: string; ifname: string; runId: string; dir?: string; host?: string; now?: Date }): Promise<DutLock> {
  const file = lockPathFor(opts.dutHost, opts.ifname, opts.dir);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const dut = `${opts.dutHost}:${opts.ifname}`;
  // Bounded: the file may be replaced between open and flock (someone removed it by hand); retry a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644);
    let keep = false;
    try {
      if (!tryFlock(fd)) throw new DutLockedError(dut, file, parseHolder(readText(file)), opts.now);
      let current: ReturnType<typeof statSync> | undefined;
      try {
        current = statSync(file);
      } catch {
        current = undefined;
      }
      if (!current || current.ino !== fstatSync(fd).ino) continue; // locked a file that is no longer at the path
      const previous = parseHolder(readText(file));
      const holder = holderFor(opts);
      ftruncateSync(fd, 0);
      writeSync(fd, `${JSON.stringify(holder)}\n`, 0);
      keep = true;
      let released = false;
      return {
        path: file,
        holder,
        tookOverFrom: previous ? { ...previous, pidAlive: previous.host === holder.host && processAlive(previous.pid) } : null,
        release() {
          if (released) return;
          released = true;
          try {
            ftruncateSync(fd, 0); // no holder named any more: the next run sees a clean release
          } finally {
            closeSync(fd); // drops the flock
          }
        },
      };
    } finally {
      if (!keep) closeSync(fd);
    }
  }
  throw new Error(`could not lock ${file}: it kept being replaced`);
}

/** A note for the log when a stale lock was taken over. */
export function takeoverNote(lock: DutLock): string | null {
  const p = lock.tookOverFrom;
  if (!p) return null;
  return `took over the lock of ${p.dutHost}:${p.ifname} left by run ${p.runId} (pid ${p.pid} on ${p.host}, since ${p.sinceIso})` +
    (p.host === lock.holder.host ? (p.pidAlive ? ', whose process is alive but no longer holds it' : ', whose process is gone') : '');
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
  `flock --nonblock --conflict-exit-code ${HELD_EXIT} 9 || exit $?`,
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
    if (outcome.exitCode === HELD_EXIT) {
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

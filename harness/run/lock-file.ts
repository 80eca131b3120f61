/* A lock file on this machine: flock(2) on an open file description this
 * process holds (taken by flock(1) on an inherited fd: drivers/flock.ts), so
 * the kernel drops it when the process dies, however it dies. The file's
 * content names the holder (pid, host, run id, since, command line) for the
 * error a second run gets; it is emptied on release. A file still naming a
 * holder while nobody holds the flock is the trace of a run that died: it is
 * reported and taken over. Used by the DUT locks (harness/lab/dut-lock.ts)
 * and the local run lock (harness/run/run-lock.ts). */
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { flockFd } from '../../drivers/flock.ts';
import { processAlive } from '../../ground/process-alive.ts';

export interface LockHolder {
  pid: number;
  /** Host of the holding process (the controller). */
  host: string;
  runId: string;
  sinceIso: string;
  dutHost: string;
  ifname: string;
  /** The holder's command line, when it recorded one. */
  argv?: string[];
}

export interface HeldLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** The holder recorded by a run that died without releasing (stale lock taken over), or null. */
  readonly tookOverFrom: (LockHolder & { pidAlive: boolean }) | null;
  release(): void;
}

export function parseHolder(text: string): LockHolder | null {
  if (!text.trim()) return null;
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.runId === 'string' && typeof h.host === 'string' && typeof h.sinceIso === 'string') {
      const argv = Array.isArray(h.argv) && h.argv.every((a) => typeof a === 'string') ? { argv: h.argv } : {};
      return { pid: h.pid, host: h.host, runId: h.runId, sinceIso: h.sinceIso, dutHost: String(h.dutHost ?? ''), ifname: String(h.ifname ?? ''), ...argv };
    }
  } catch {
    /* a torn or foreign file: no holder we can name */
  }
  return null;
}

/** This process as a lock's holder. */
export function holderFor(opts: { dutHost: string; ifname: string; runId: string; host?: string; now?: Date; argv?: string[] }): LockHolder {
  return {
    pid: process.pid,
    host: opts.host ?? hostname(),
    runId: opts.runId,
    sinceIso: (opts.now ?? new Date()).toISOString(),
    dutHost: opts.dutHost,
    ifname: opts.ifname,
    ...(opts.argv ? { argv: opts.argv } : {}),
  };
}

export function ago(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return 'unknown time';
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

/** An argv as one line a person can paste: arguments with spaces or quotes are single-quoted. */
export function commandLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** "run X (pid N on H, since T, 3 s ago: bench run ...)" or, for an unnamed holder, what we know. */
export function describeHolder(holder: LockHolder | null, now = new Date()): string {
  if (!holder) return 'another run (it has not written its name yet)';
  const cmd = holder.argv?.length ? `: ${commandLine(holder.argv)}` : '';
  return `run ${holder.runId} (pid ${holder.pid} on ${holder.host}, since ${holder.sinceIso}, ${ago(holder.sinceIso, now)}${cmd})`;
}

export function readHolder(file: string): LockHolder | null {
  try {
    return parseHolder(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

export interface AcquireOptions {
  /** Seconds to wait for the holder to release; 0 (default): refuse at once. */
  waitS?: number;
  /** Called when the lock is held by someone else, before each wait slice, with seconds waited so far. */
  onWaiting?: (holder: LockHolder | null, waitedS: number) => void;
  /** Seconds between onWaiting calls while waiting (default 10). */
  progressEveryS?: number;
  signal?: AbortSignal;
}

/**
 * Takes the lock at `file` for `holder`. Resolves with the held lock, or with
 * `{ held: holder }` when another process holds it (after waiting up to
 * waitS): the caller turns that into its own error.
 */
export async function acquireLockFile(file: string, holder: LockHolder, opts: AcquireOptions = {}): Promise<HeldLock | { busy: LockHolder | null; waitedS: number }> {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const waitS = opts.waitS ?? 0;
  const started = performance.now();
  const waited = () => (performance.now() - started) / 1000;
  // Bounded: the file may be replaced between open and flock (someone removed it by hand); retry a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644);
    let keep = false;
    try {
      let locked = await flockFd(fd, 0, opts.signal);
      // Bounded by waitS: each slice is at most progressEveryS, and no slice starts past the deadline.
      while (!locked && waited() < waitS) {
        opts.onWaiting?.(readHolder(file), waited());
        locked = await flockFd(fd, Math.max(0.1, Math.min(opts.progressEveryS ?? 10, waitS - waited())), opts.signal);
      }
      if (!locked) return { busy: readHolder(file), waitedS: waited() };
      let current: ReturnType<typeof statSync> | undefined;
      try {
        current = statSync(file);
      } catch {
        current = undefined;
      }
      if (!current || current.ino !== fstatSync(fd).ino) continue; // locked a file that is no longer at the path
      const previous = readHolder(file);
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

export function isHeld(r: HeldLock | { busy: LockHolder | null }): r is HeldLock {
  return !('busy' in r);
}

/** A note for the log when a stale lock was taken over; `what` names the lock ("dut1:ens2f0"). */
export function takeoverNote(lock: Pick<HeldLock, 'tookOverFrom' | 'holder'>, what: string): string | null {
  const p = lock.tookOverFrom;
  if (!p) return null;
  return `took over the lock of ${what} left by run ${p.runId} (pid ${p.pid} on ${p.host}, since ${p.sinceIso})` +
    (p.host === lock.holder.host ? (p.pidAlive ? ', whose process is alive but no longer holds it' : ', whose process is gone') : '');
}

/* One local run at a time. Two runs on the same machine share its CPUs (on
 * veth the DUT's NAPI runs where the generator sends): both would finish with
 * halved figures and no warning. So every local `bench run` (veth, vm,
 * --prog-run) holds this machine's run lock (harness/run/lock-file.ts: a flock the
 * kernel drops when the holder dies, however it dies) from before it creates
 * anything until it has measured; a second run is refused (exit 3) naming the
 * holder, or waits for it with --wait. */
import { hostname } from 'node:os';
import path from 'node:path';
import { DUT_LOCK_DIR } from '../lab/dut-lock.ts';
import { BenchError, EXIT, UsageError } from '../../ground/errors.ts';
import { acquireLockFile, describeHolder, holderFor, isHeld, takeoverNote, type HeldLock, type LockHolder } from './lock-file.ts';

export const RUN_LOCK_FILE = path.join(DUT_LOCK_DIR, 'local-run.lock');
/** Bare --wait: at most an hour (a long sweep may take that); --wait=SECONDS for another bound. */
export const DEFAULT_WAIT_S = 3600;
export const MAX_WAIT_S = 7 * 24 * 3600;

export class RunLockedError extends BenchError {
  readonly holder: LockHolder | null;
  readonly lockPath: string;
  constructor(holder: LockHolder | null, lockPath: string, waitedS: number, now = new Date()) {
    const waited = waitedS >= 1 ? ` still, after waiting ${Math.round(waitedS)} s,` : '';
    const stop = holder ? `, or stop it (kill ${holder.pid})` : '';
    super(
      `another bench run is active on this machine:${waited} ${describeHolder(holder, now)}. ` +
        `Two runs at once share the CPUs and halve each other's figures: wait for it (bench run --wait, or --wait=SECONDS)${stop}. Lock: ${lockPath}`,
      EXIT.missingCapability,
    );
    this.holder = holder;
    this.lockPath = lockPath;
  }
}

/** --wait: absent = do not wait (0), bare = DEFAULT_WAIT_S, or seconds (0 < s <= MAX_WAIT_S). */
export function parseWaitFlag(value: string | boolean | undefined): number {
  if (value === undefined || value === false) return 0;
  if (value === true) return DEFAULT_WAIT_S;
  const t = value.trim();
  const s = /^\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (!(s > 0 && s <= MAX_WAIT_S)) {
    throw new UsageError(
      `--wait ${JSON.stringify(value)}: expected seconds from 1 to ${MAX_WAIT_S}, or --wait alone (up to ${DEFAULT_WAIT_S} s)` +
        (/^\d/.test(t) ? '' : '; write --wait=SECONDS, or put --wait after the scenario names (it takes the next word as its value)'),
    );
  }
  return s;
}

export interface RunLockOptions {
  runId: string;
  argv: string[];
  /** Seconds to wait for a holder (0: refuse at once). */
  waitS: number;
  signal?: AbortSignal;
  log: (line: string) => void;
  file?: string;
  progressEveryS?: number;
}

/** Takes this machine's run lock, or throws RunLockedError naming the holder (after waiting, with --wait). */
export async function acquireRunLock(o: RunLockOptions): Promise<HeldLock> {
  const file = o.file ?? RUN_LOCK_FILE;
  const holder = holderFor({ dutHost: hostname(), ifname: '', runId: o.runId, argv: o.argv });
  const r = await acquireLockFile(file, holder, {
    waitS: o.waitS,
    progressEveryS: o.progressEveryS,
    signal: o.signal,
    onWaiting: (h, waitedS) => o.log(`waiting for ${describeHolder(h)} to finish: ${Math.round(waitedS)} s of at most ${Math.round(o.waitS)} s (--wait)`),
  });
  if (!isHeld(r)) throw new RunLockedError(r.busy, file, r.waitedS);
  const took = takeoverNote(r, 'local runs');
  if (took) o.log(took);
  return r;
}

/** Runs `body` holding this machine's run lock, released when it settles. */
export async function withRunLock<T>(o: RunLockOptions, body: () => Promise<T>): Promise<T> {
  const lock = await acquireRunLock(o);
  try {
    return await body();
  } finally {
    lock.release();
  }
}

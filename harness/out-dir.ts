/* An output directory holds one run. A second run never reuses it: not
 * after the first finished (its results.json would be overwritten), not while
 * it runs (both would write the same files). No flag allows it: a run's
 * directory is its record. */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicExclusive } from './atomic-write.ts';
import { UsageError } from './errors.ts';
import { RESULTS_FILE_NAME } from './results-io.ts';

export class OutDirTakenError extends UsageError {
  readonly dir: string;
  constructor(dir: string) {
    super(`--out ${dir}: already holds a run (${describeRun(path.join(dir, RESULTS_FILE_NAME))}); a run directory is never reused: choose a new --out, or leave --out out (results/<timestamp>)`);
    this.dir = dir;
  }
}

/** "run 1a2b3c4d, complete, started ..." from what the file says; the file name if it says nothing readable. */
function describeRun(file: string): string {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as { runId?: unknown; state?: unknown; startedAt?: unknown };
    if (typeof r.runId === 'string' && typeof r.state === 'string') {
      const when = typeof r.startedAt === 'string' ? `, started ${r.startedAt}` : '';
      return `run ${r.runId}, ${r.state === 'running' ? 'in progress' : `state ${r.state}`}${when}: ${file}`;
    }
  } catch {
    /* unreadable or foreign: named by its path */
  }
  return file;
}

function holdsRun(dir: string): boolean {
  const file = path.join(dir, RESULTS_FILE_NAME);
  // lstat: a dangling symlink named results.json is a name taken too.
  return existsSync(file) || lstatSync(file, { throwIfNoEntry: false }) !== undefined;
}

/** Throws OutDirTakenError (exit 2) when `dir` already holds a run (finished or in progress). */
export function assertOutDirFree(dir: string): void {
  if (holdsRun(dir)) throw new OutDirTakenError(dir);
}

/**
 * The run's output directory, chosen once this machine's run lock is held: a
 * given --out must still be free (a run that waited may find it taken by the
 * run it waited for); the default results/<timestamp> moves on to the next
 * free name (-2, -3, ...), since two runs may start within one second.
 */
export function outDirForRun(dir: string, given: boolean): string {
  if (given || !holdsRun(dir)) {
    assertOutDirFree(dir);
    return dir;
  }
  for (let n = 2; n < 100; n++) if (!holdsRun(`${dir}-${n}`)) return `${dir}-${n}`;
  throw new OutDirTakenError(`${dir}-99`);
}

/** Writes the run's first results.json only if there is none: the claim on the directory, race-free between runs. */
export function claimOutDir(dir: string, firstResults: string): void {
  if (!writeFileAtomicExclusive(path.join(dir, RESULTS_FILE_NAME), firstResults)) throw new OutDirTakenError(dir);
}

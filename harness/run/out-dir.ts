/* Where an --out may point, and that a run's directory is never reused.
 *
 * checkOutDir, before anything is created (bench run, compare, history,
 * report), each problem naming the flag:
 *  - not empty, a directory or a place where one can be made, writable;
 *  - not a system directory (/, /etc, /usr, /proc, ...) nor inside one;
 *  - an existing directory only when it is empty or already holds xdp bench
 *    output (a results.json, or one of the files the command writes): bench
 *    must not scatter report.md and chart.png into someone's source tree.
 *
 * An output directory holds one run. A second run never reuses it: not
 * after the first finished (its results.json would be overwritten), not while
 * it runs (both would write the same files). No flag allows it: a run's
 * directory is its record (assertOutDirFree, outDirForRun, claimOutDir). */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicExclusive } from '../../ground/atomic-write.ts';
import { UsageError } from '../../ground/errors.ts';
import { RESULTS_FILE_NAME } from '../results/results-io.ts';

/** Never written into, nor below. */
export const SYSTEM_DIRS = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr'] as const;
/** Never written into themselves (their subdirectories are fine: /var/lib/xdp-bench, /home/me/results). */
export const SYSTEM_ROOTS = ['/', '/home', '/mnt', '/media', '/opt', '/root', '/srv', '/tmp', '/var'] as const;

/** The absolute path with symlinks of its existing part resolved (/lib -> /usr/lib). */
function resolvedPath(dir: string): string {
  let existing = path.resolve(dir);
  const rest: string[] = [];
  while (!existsSync(existing)) {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  try {
    existing = realpathSync(existing);
  } catch {
    // Unresolvable (a loop): keep it; the checks below still see its text.
  }
  return path.join(existing, ...rest);
}

export interface OutDirRule {
  /** The flag named in messages, e.g. "--out". */
  flag: string;
  /** File names that mark a directory as this command's output (results.json always does). */
  ownFiles: readonly string[];
}

/** Pushes one message per problem with `dir` as an output directory. */
export function checkOutDir(dir: string, rule: OutDirRule, errors: string[]): void {
  const { flag } = rule;
  if (dir.trim() === '') {
    errors.push(`${flag}: empty; give a directory (it is created if needed)`);
    return;
  }
  const real = resolvedPath(dir);
  const system = SYSTEM_DIRS.find((s) => real === s || real.startsWith(`${s}/`));
  if (system || (SYSTEM_ROOTS as readonly string[]).includes(real)) {
    errors.push(`${flag} ${dir}: ${real === dir ? '' : `(${real}) `}is ${system && real !== system ? `inside the system directory ${system}` : 'a system directory'}; choose a directory of your own, e.g. results/NAME`);
    return;
  }
  let probe = path.resolve(dir);
  if (existsSync(probe)) {
    const st = statSync(probe);
    if (!st.isDirectory()) {
      errors.push(`${flag} ${dir}: exists and is not a directory; give a directory (it is created if needed)`);
      return;
    }
    const entries = readdirSync(probe);
    if (entries.length > 0 && !entries.some((e) => e === 'results.json' || rule.ownFiles.includes(e))) {
      errors.push(`${flag} ${dir}: an existing directory with other files in it (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}), not xdp bench output; give a new or empty directory`);
      return;
    }
  }
  while (!existsSync(probe)) probe = path.dirname(probe);
  try {
    if (!statSync(probe).isDirectory()) throw new Error('not a directory');
    // access(W_OK) says yes to root everywhere; only a real create proves it (removed at once).
    rmdirSync(mkdtempSync(path.join(probe, '.xdpb-probe-')));
  } catch {
    errors.push(`${flag} ${dir}: ${probe} is not a writable directory; choose another ${flag}`);
  }
}

/* ---- a run directory is never reused ---- */

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

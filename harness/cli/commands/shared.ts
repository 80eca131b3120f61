/* What compare, history and report share: reading runs (never crashing on a bad one), option checks, writing outputs. */
import { existsSync, mkdirSync, opendirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../../ground/atomic-write.ts';
import { UsageError } from '../../../ground/errors.ts';
import { checkOutDir } from '../../run/out-dir.ts';
import { parseDecimal } from '../../../ground/values.ts';
import { RESULTS_FILE_NAME, ResultsFileError, loadResults } from '../../results/results-io.ts';
import type { RunInput } from '../../analysis/compare.ts';
import { METRIC_IDS, isMetricId, type MetricId } from '../../analysis/metrics.ts';

export const OUTPUT_FORMATS = ['terminal', 'markdown', 'html', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A run directory or results.json: its results, or the reason they cannot be used (missing, invalid, newer schema...). */
export function readRun(source: string): RunInput {
  try {
    const loaded = loadResults(source);
    return { source, results: loaded.results, problem: null };
  } catch (err) {
    if (err instanceof ResultsFileError) return { source, results: null, problem: err.message.replace(`${err.file}: `, '') };
    throw err;
  }
}

/** Most entries looked at under one path: a directory of a million files is not a results directory. */
export const MAX_RUN_DIR_ENTRIES = 100_000;

function isDir(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isDirectory() === true; // follows symlinks
}

/**
 * Run directories under each path: the path itself when it is a run (has
 * results.json, or is a file), else its subdirectories that have one, by name.
 * Symlinked subdirectories are followed (one level only, so no loop can form);
 * a run reached twice (through a link, or given twice) is read once.
 */
export function findRuns(paths: readonly string[]): { sources: string[]; problems: { source: string; reason: string }[] } {
  const sources: string[] = [];
  const problems: { source: string; reason: string }[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    let real = p;
    try {
      real = realpathSync(p);
    } catch {
      // Reported by the reader.
    }
    if (seen.has(real)) return;
    seen.add(real);
    sources.push(p);
  };
  for (const p of paths) {
    if (!existsSync(p)) {
      problems.push({ source: p, reason: 'no such file or directory' });
      continue;
    }
    if (!isDir(p) || existsSync(path.join(p, RESULTS_FILE_NAME))) {
      add(p);
      continue;
    }
    const names: string[] = [];
    const dir = opendirSync(p);
    try {
      for (let d = dir.readSync(); d !== null; d = dir.readSync()) {
        if (names.length >= MAX_RUN_DIR_ENTRIES) {
          problems.push({ source: p, reason: `more than ${MAX_RUN_DIR_ENTRIES} entries: only the first ${MAX_RUN_DIR_ENTRIES} were looked at` });
          break;
        }
        names.push(d.name);
      }
    } finally {
      dir.closeSync();
    }
    const subdirs = names
      .map((n) => path.join(p, n))
      .filter((sub) => isDir(sub) && existsSync(path.join(sub, RESULTS_FILE_NAME)))
      .sort();
    if (subdirs.length === 0) problems.push({ source: p, reason: `no ${RESULTS_FILE_NAME} in it or in its subdirectories` });
    subdirs.forEach(add);
  }
  return { sources, problems };
}

/** Parses a comma-separated metric list ("all" = every metric); pushes messages to `errors`. */
export function parseMetrics(text: string, errors: string[]): MetricId[] {
  if (text.trim() === 'all') return [...METRIC_IDS];
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !isMetricId(n));
  for (const b of bad) errors.push(`--metrics: unknown metric "${b}" (expected a comma-separated list of ${METRIC_IDS.join(', ')}, or all)`);
  if (names.length === 0) errors.push(`--metrics: empty (expected ${METRIC_IDS.join(', ')}, or all)`);
  return names.filter(isMetricId);
}

/** A number in [min, max] (exclusive ends where said); pushes a message naming the flag otherwise. */
export function parseNumber(text: string, flag: string, errors: string[], range: { min: number; max: number; exclusive?: boolean; integer?: boolean }): number {
  const v = parseDecimal(text);
  const inRange = range.exclusive ? v > range.min && v < range.max : v >= range.min && v <= range.max;
  if (!Number.isFinite(v) || !inRange || (range.integer && !Number.isInteger(v))) {
    const span = range.exclusive ? `between ${range.min} and ${range.max} (exclusive)` : `from ${range.min} to ${range.max}`;
    errors.push(`${flag} "${text}": expected ${range.integer ? 'an integer' : 'a number'} ${span}`);
  }
  return v;
}

export function throwIfErrors(errors: readonly string[]): void {
  if (errors.length > 0) throw new UsageError(errors.join('\n'));
}

/** `--out DIR` of compare/history/report: checked before anything is read or written. */
export function checkOutputOption(out: string | undefined, ownFiles: readonly string[], errors: string[], flag = '--out'): void {
  if (out !== undefined) checkOutDir(out, { flag, ownFiles }, errors);
}

/** Writes each file atomically into `dir` (created if needed); returns their paths. */
export function writeOutputs(dir: string, files: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, content]) => {
    const file = path.join(dir, name);
    writeFileAtomic(file, content);
    return file;
  });
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function note(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

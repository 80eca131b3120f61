/*
 * Reading and checking results.json. Every reader goes through loadResults, the
 * writer through assertValidResults: both check against harness/results/results.schema.json,
 * which is generated from the zod model in ground/result-schema.ts (`npm run gen:schema`).
 * Newer schema versions are refused with a message that says so; older ones are
 * migrated step by step (MIGRATIONS) before validation.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { SCHEMA_VERSION, type RunResults } from '../../ground/result-schema.ts';
import { BenchError, EXIT } from '../../ground/errors.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { USER_FILE_CAPS, UserFileError, readUserFile } from '../../ground/user-file.ts';

export const RESULTS_FILE_NAME = 'results.json';
export const RESULTS_SCHEMA_FILE = path.join(REPO_ROOT, 'harness', 'results', 'results.schema.json');

export type ResultsProblem =
  | 'missing'        // no such file or directory
  | 'unreadable'     // exists but cannot be read
  | 'not-json'       // not parseable JSON
  | 'no-version'     // no integer schemaVersion
  | 'newer-version'  // written by a newer xdp bench
  | 'no-migration'   // older than any version this one can migrate
  | 'invalid'        // does not match the schema
  | 'implausible';   // a number that is not finite or beyond any measurable value

/** A results file that cannot be used; says which file and why. */
export class ResultsFileError extends BenchError {
  readonly problem: ResultsProblem;
  readonly file: string;
  /** Exit code: reading a bad file means nothing can be compared (5); writing one is a harness bug, the run fails (1). */
  constructor(problem: ResultsProblem, file: string, message: string, exitCode: number = EXIT.notComparable) {
    super(message, exitCode);
    this.problem = problem;
    this.file = file;
  }
}

/** One step: a document of version v (the key) in, a document of version v + 1 out. */
export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;

/**
 * Migrations from each older schema version to the next. Version 1 is the first
 * versioned format, so there is nothing to migrate from yet; when SCHEMA_VERSION
 * becomes 2, add `1: (doc) => ({ ...doc-with-v2-fields, schemaVersion: 2 })` here.
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {};

export interface LoadedResults {
  /** The results.json that was read (a directory argument resolves to DIR/results.json). */
  file: string;
  results: RunResults;
  /** The version the file had when it was older than SCHEMA_VERSION, else null. */
  migratedFrom: number | null;
}

/** The results.json of a run directory, or the file itself. */
export function resultsFileOf(fileOrDir: string): string {
  try {
    if (statSync(fileOrDir).isDirectory()) return path.join(fileOrDir, RESULTS_FILE_NAME);
  } catch {
    // Not there: reported by loadResults with the path as given.
  }
  return fileOrDir;
}

/** Reads, migrates and validates a results file (or DIR/results.json). Throws ResultsFileError. */
export function loadResults(fileOrDir: string): LoadedResults {
  const file = resultsFileOf(fileOrDir);
  let text: string;
  try {
    text = readUserFile(file, USER_FILE_CAPS.resultsFile);
  } catch (err) {
    if (!(err instanceof UserFileError)) throw err;
    if (err.problem === 'missing') throw new ResultsFileError('missing', file, `${file}: no such file (expected a run directory or its ${RESULTS_FILE_NAME})`);
    throw new ResultsFileError('unreadable', file, `${file}: ${err.message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ResultsFileError('not-json', file, `${file}: not JSON (${(err as Error).message})`);
  }
  const { results, migratedFrom } = checkResults(doc, file);
  return { file, results, migratedFrom };
}

/**
 * Checks a parsed document: version, migration, schema. `source` names it in
 * messages. Returns the document as the current version.
 */
export function checkResults(
  doc: unknown,
  source: string,
  migrations: Readonly<Record<number, Migration>> = MIGRATIONS,
  currentVersion: number = SCHEMA_VERSION,
): { results: RunResults; migratedFrom: number | null } {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ResultsFileError('invalid', source, `${source}: not an xdp bench results object (the top level is ${Array.isArray(doc) ? 'an array' : doc === null ? 'null' : typeof doc})`);
  }
  const version = (doc as { schemaVersion?: unknown }).schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new ResultsFileError('no-version', source, `${source}: no integer schemaVersion: not an xdp bench results file`);
  }
  if (version > currentVersion) {
    throw new ResultsFileError('newer-version', source,
      `${source}: results schema version ${version} is newer than this xdp bench understands (up to ${currentVersion}); ` +
        'read it with the xdp bench that wrote it, or upgrade this one');
  }
  let current = doc as Record<string, unknown>;
  const migratedFrom = version < currentVersion ? version : null;
  for (let v = version; v < currentVersion; v++) {
    const step = migrations[v];
    if (!step) {
      const known = Object.keys(migrations).map(Number).sort((a, b) => a - b);
      throw new ResultsFileError('no-migration', source,
        `${source}: results schema version ${version} is older than this xdp bench can migrate ` +
          `(it reads version ${currentVersion}${known.length > 0 ? ` and migrates from ${known[0]}` : ', and has no migrations'})`);
    }
    current = step(current);
    if (current.schemaVersion !== v + 1) throw new Error(`migration from schema version ${v} produced version ${String(current.schemaVersion)}`);
  }
  const implausible = implausibleNumbers(current);
  if (implausible.length > 0) {
    throw new ResultsFileError('implausible', source,
      `${source}: numbers no measurement of xdp bench can produce (finite, at most ${MAX_PLAUSIBLE_MAGNITUDE.toExponential()} in magnitude):\n` +
        implausible.map((e) => `  ${e}`).join('\n'));
  }
  const errors = schemaErrors(current);
  if (errors.length > 0) {
    throw new ResultsFileError('invalid', source,
      `${source}: does not match ${path.relative(REPO_ROOT, RESULTS_SCHEMA_FILE)} (schema version ${currentVersion}${migratedFrom !== null ? `, migrated from ${migratedFrom}` : ''}):\n` +
        errors.map((e) => `  ${e}`).join('\n'));
  }
  return { results: current as unknown as RunResults, migratedFrom };
}

/**
 * Largest magnitude any number in a results file may have. JSON parses 1e400 as
 * Infinity and 1e308 as finite, and both overflow every mean and delta computed
 * from them. 1e15 is far beyond any real figure (pps: a million times 100 GbE
 * line rate; ms: 31,000 years) and below 2^53, where integers stop being exact.
 */
export const MAX_PLAUSIBLE_MAGNITUDE = 1e15;

/** JSON-pointer paths of numbers that are non-finite or beyond MAX_PLAUSIBLE_MAGNITUDE, at most `max`. */
export function implausibleNumbers(doc: unknown, max = 12): string[] {
  const found: string[] = [];
  let count = 0;
  // Iterative walk: a hostile file may nest deeper than the call stack.
  const stack: [unknown, string][] = [[doc, '']];
  while (stack.length > 0) {
    const [v, where] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || Math.abs(v) > MAX_PLAUSIBLE_MAGNITUDE) {
        count++;
        if (found.length < max) found.push(`${where || '/'}: ${String(v)} is not a plausible value`);
      }
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${where}/${i}`]);
    } else if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i]![1], `${where}/${entries[i]![0].replace(/~/g, '~0').replace(/\//g, '~1')}`]);
    }
  }
  if (count > found.length) found.push(`... and ${count - found.length} more`);
  return found;
}

/**
 * Checks results before they are written: exactly what JSON.stringify will put
 * in the file (NaN becomes null there, and is caught). Throws ResultsFileError.
 */
export function assertValidResults(results: RunResults): void {
  const written: unknown = JSON.parse(JSON.stringify(results));
  // The readers refuse implausible numbers: never write a file they would refuse.
  const errors = [...implausibleNumbers(written), ...schemaErrors(written)];
  if (errors.length > 0) {
    throw new ResultsFileError('invalid', RESULTS_FILE_NAME,
      `results about to be written do not match ${path.relative(REPO_ROOT, RESULTS_SCHEMA_FILE)}; ` +
        'change the model in ground/result-schema.ts and run `npm run gen:schema` (and bump SCHEMA_VERSION plus a migration if old files no longer fit):\n' +
        errors.map((e) => `  ${e}`).join('\n'), EXIT.runFailure);
  }
}

/** Human-readable schema violations ("/cases/0/stats: must have required property 'xdpPps'"), at most `max`. */
export function schemaErrors(doc: unknown, max = 12): string[] {
  const validate = validator();
  if (validate(doc)) return [];
  const lines = (validate.errors ?? [])
    .filter((e) => e.keyword !== 'if') // "must match then schema" repeats the error below it
    .map(describeError);
  const unique = [...new Set(lines)];
  return unique.length > max ? [...unique.slice(0, max), `... and ${unique.length - max} more`] : unique;
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return `${where}: unknown property "${String(e.params['additionalProperty'])}"`;
  if (e.keyword === 'enum') return `${where}: ${e.message} (${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
  if (e.keyword === 'const') return `${where}: must be ${JSON.stringify(e.params['allowedValue'])}`;
  return `${where}: ${e.message ?? e.keyword}`;
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(RESULTS_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    // Not strict here: a slip in the generated file must not stop every read and write
    // (test/harness/results-schema.test.ts compiles it in strict mode and fails instead).
    compiled = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return compiled;
}

/* Scenario files (YAML): a user's program, its traffic, expectations and map
 * preloads. Validated by one zod schema (scenarioFileSchema); every problem
 * is reported at once, each naming its field. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { XDP_ACTIONS, ALL_MODES, type XdpAction, type XdpMode } from '../ground/result-schema.ts';
import { XDP_MODE_NAMES } from '../ground/xdp.ts';
import type { Expectation } from './builtin.ts';
import { USER_FILE_CAPS, UserFileError, readUserFile } from '../ground/user-file.ts';
import { fields, formatProblem, isPlainObject, list, oneMessage, rateText, reissue, report, validate } from '../ground/validation.ts';

/** A map entry as written: an integer (host byte order, the map's key/value size), "hex:0035", or a byte list. */
export type EntryValue = number | string | number[];

export interface ScenarioFileMap {
  name: string;
  entries: { key: EntryValue; value: EntryValue }[];
  /** The map's size at load (max_entries): for maps the object declares with 0, or to resize one. */
  maxEntries?: number;
}

/** A scenario file after validation; paths are absolute. Map entries are encoded once the map sizes are known. */
export interface ScenarioFile {
  file: string;
  name: string;
  description: string;
  /** Absolute path of the object, or a built-in program name (xdp_drop, ...). */
  program: { kind: 'object'; path: string } | { kind: 'builtin'; name: string };
  /** Program by function name, or by ELF section name. */
  prog?: string;
  section?: string;
  expect: Expectation;
  traffic: { sizes?: number[]; flows?: number; rate?: string; srcPort: number; dstPort: number };
  maps: ScenarioFileMap[];
  run: { modes?: XdpMode[]; trials?: number; duration?: number; warmup?: number };
}

export class ScenarioFileError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ScenarioFileError';
  }
}

const BUILTIN_PROGRAMS = ['xdp_drop', 'xdp_pass', 'xdp_tx', 'xdp_redirect', 'xdp_aborted'];
/** max_entries is a u32; the kernel refuses sizes its memory cannot hold. */
const MAX_MAP_ENTRIES = 0xffffffff;

/* ---- the file's fields (zod, pieces from ground/validation.ts); each field's problem is said in one message ---- */

const port = (fallback: number) => oneMessage(z.int().min(1).max(65535), 'expected a port from 1 to 65535').default(fallback);
const seconds = (lo: number, hi: number) => oneMessage(z.number().min(lo).max(hi), (v) => `${String(v)}: expected seconds from ${lo} to ${hi}`).optional();

const ENTRY_VALUE = oneMessage(
  z.union([z.int().min(0), z.string().regex(/^hex:([0-9a-fA-F]{2})+$/), z.array(z.int().min(0).max(255)).min(1)]),
  'expected a non-negative integer, "hex:<bytes>" or a list of bytes 0..255',
);
const ENTRIES = z.array(z.object({ key: ENTRY_VALUE, value: ENTRY_VALUE }, { error: 'expected {key, value}' }), { error: 'expected a list of {key, value}' });

/** A map preload: entries inline or from a JSON file (relative to the scenario file), or only a size. */
function mapPreload(dir: string) {
  return fields({
    name: oneMessage(z.string(), "required: the map's name in the object"),
    maxEntries: oneMessage(z.int().min(1).max(MAX_MAP_ENTRIES), `expected an integer from 1 to ${MAX_MAP_ENTRIES}`).optional(),
    entries: z.unknown(),
    file: oneMessage(z.string(), 'expected a file name (a JSON list of {key, value})').optional(),
  }, '{name, maxEntries, entries | file}').transform((m, ctx): ScenarioFileMap => {
    const sized = m.maxEntries === undefined ? {} : { maxEntries: m.maxEntries };
    if (m.entries === undefined && m.file === undefined && m.maxEntries !== undefined) return { name: m.name, entries: [], ...sized };
    if ((m.entries === undefined) === (m.file === undefined)) return (report(ctx, 'give entries or file (a JSON list of {key, value}), one of them, or only maxEntries'), z.NEVER);
    let list: unknown = m.entries;
    if (m.file !== undefined) {
      const entriesFile = path.resolve(dir, m.file);
      try {
        list = JSON.parse(readUserFile(entriesFile, USER_FILE_CAPS.mapsFile));
      } catch (err) {
        return (report(ctx, `cannot read ${entriesFile}: ${(err as Error).message}`, ['file']), z.NEVER);
      }
    }
    const entries = ENTRIES.safeParse(list);
    return entries.success ? { name: m.name, entries: entries.data, ...sized } : (reissue(ctx, entries.error, ['entries']), z.NEVER);
  });
}

const IS_ACTION = (k: string): k is XdpAction => (XDP_ACTIONS as readonly string[]).includes(k);

/** expect: an action, mixed (or absent), or fractions per action that add up to 1. */
const EXPECT = z.unknown().transform((v, ctx): Expectation => {
  if (v === undefined || v === null || v === 'mixed') return { kind: 'mixed' };
  if (typeof v === 'string') {
    if (IS_ACTION(v)) return { kind: 'action', action: v };
    return (report(ctx, `"${v}" is not one of ${XDP_ACTIONS.join(', ')}, mixed, or a map of action: fraction`), z.NEVER);
  }
  if (!isPlainObject(v)) return (report(ctx, 'expected an action name, mixed, or a map of action: fraction'), z.NEVER);
  const fractions: Partial<Record<XdpAction, number>> = {};
  let sum = 0;
  let ok = true;
  for (const [k, f] of Object.entries(v)) {
    if (!IS_ACTION(k)) (report(ctx, `not an XDP action (${XDP_ACTIONS.join(', ')})`, [k]), (ok = false));
    else if (typeof f !== 'number' || !Number.isFinite(f) || f < 0 || f > 1) (report(ctx, 'expected a fraction from 0 to 1', [k]), (ok = false));
    else {
      fractions[k] = f;
      sum += f;
    }
  }
  if (Math.abs(sum - 1) > 1e-6) (report(ctx, `the fractions add up to ${sum}, not 1`), (ok = false));
  return ok ? { kind: 'mix', fractions } : z.NEVER;
});

const TRAFFIC = fields({
  sizes: oneMessage(z.array(z.int().min(64).max(1518)).min(1), 'expected a list of sizes from 64 to 1518 bytes').optional(),
  flows: oneMessage(z.int().min(1).max(65535), 'expected an integer from 1 to 65535').optional(),
  rate: oneMessage(z.union([z.string(), z.number()]).refine((r) => rateText(r) !== undefined).transform(String),
    (v) => `${typeof v === 'number' ? String(v) : JSON.stringify(v)}: expected 0 (full speed), packets per second (1..1e9), or a percentage like "50%"`).optional(),
  protocol: oneMessage(z.literal('udp'), 'only "udp" is generated').optional(),
  srcPort: port(1024),
  dstPort: port(9),
}, 'a mapping (sizes, flows, rate, protocol, srcPort, dstPort)');

/** The whole file; paths relative to `dir`. */
function scenarioFileSchema(dir: string) {
  return fields({
    name: oneMessage(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i), 'required, letters, digits, ".", "_" or "-"'),
    description: oneMessage(z.string(), 'expected text').optional(),
    program: oneMessage(z.string().min(1), `required: a path to a BPF object (relative to this file) or one of ${BUILTIN_PROGRAMS.join(', ')}`)
      .transform((p): ScenarioFile['program'] => (BUILTIN_PROGRAMS.includes(p) ? { kind: 'builtin', name: p } : { kind: 'object', path: path.resolve(dir, p) })),
    prog: oneMessage(z.string(), 'expected a program (function) name').optional(),
    section: oneMessage(z.string(), 'expected an ELF section name').optional(),
    expect: EXPECT,
    traffic: TRAFFIC.default({ srcPort: 1024, dstPort: 9 }),
    maps: list(mapPreload(dir), { expected: 'a list of {name, maxEntries, entries | file}' }).default([]),
    modes: oneMessage(z.array(z.enum(XDP_MODE_NAMES)).min(1), `expected a list of ${ALL_MODES.join(', ')}`).optional(),
    trials: oneMessage(z.int().min(1).max(100), 'expected an integer from 1 to 100').optional(),
    duration: seconds(0.2, 3600),
    warmup: seconds(0, 600),
  }, 'a mapping of fields (name, program, traffic, ...)');
}

/** Reads a scenario file, bounded (ground/user-file.ts); a missing file keeps its ENOENT code for the callers. */
function readScenarioText(file: string): string {
  try {
    return readUserFile(file, USER_FILE_CAPS.scenarioFile);
  } catch (err) {
    if (!(err instanceof UserFileError)) throw err;
    if (err.problem === 'missing') throw Object.assign(new Error(`${file}: no such file`), { code: 'ENOENT' });
    throw new ScenarioFileError(path.resolve(file), [`cannot read the file: ${err.message}`]);
  }
}

export function parseScenarioFile(file: string, text = readScenarioText(file)): ScenarioFile {
  const abs = path.resolve(file);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ScenarioFileError(abs, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (!isPlainObject(doc)) throw new ScenarioFileError(abs, ['expected a mapping of fields (name, program, traffic, ...)']);
  const result = validate(scenarioFileSchema(path.dirname(abs)), doc);
  const problems = result.ok ? [] : result.problems.map(formatProblem);
  if (doc.prog != null && doc.section != null) problems.push('prog, section: give one of them, not both');
  if (!result.ok || problems.length) throw new ScenarioFileError(abs, problems);
  const f = result.value;
  const run: ScenarioFile['run'] = {
    ...(f.modes ? { modes: f.modes } : {}),
    ...(f.trials !== undefined ? { trials: f.trials } : {}),
    ...(f.duration !== undefined ? { duration: f.duration } : {}),
    ...(f.warmup !== undefined ? { warmup: f.warmup } : {}),
  };
  const { protocol: _udp, ...traffic } = f.traffic;
  return {
    file: abs, name: f.name, description: f.description ?? '', program: f.program, prog: f.prog, section: f.section,
    expect: f.expect, traffic, maps: f.maps, run,
  };
}

/** Encodes an entry value into exactly `size` bytes (integers in host byte order, little-endian here). */
export function encodeEntryValue(v: EntryValue, size: number, where: string): string {
  let bytes: number[];
  if (typeof v === 'number') {
    if (size > 8 || v >= 2 ** (8 * size)) throw new RangeError(`${where}: ${v} does not fit in ${size} byte(s)`);
    bytes = [];
    let x = BigInt(v);
    for (let i = 0; i < size; i++) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    }
  } else if (typeof v === 'string') {
    bytes = (v.slice(4).match(/../g) ?? []).map((h) => parseInt(h, 16));
  } else bytes = v;
  if (bytes.length !== size) throw new RangeError(`${where}: ${bytes.length} byte(s) given, the map wants ${size}`);
  return Buffer.from(bytes).toString('hex');
}

/** Scenario files (.yaml/.yml) under dir, recursively, sorted. */
export function listScenarioFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: false })
      .map(String)
      .filter((f) => /\.ya?ml$/i.test(f))
      .map((f) => path.join(dir, f))
      .sort();
  } catch {
    return [];
  }
}

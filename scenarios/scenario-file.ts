/* Scenario files (YAML): a user's program, its traffic, expectations and map
 * preloads. Validation reports every problem at once, each naming its field. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { XDP_ACTIONS, ALL_MODES, type XdpAction, type XdpMode } from '../ground/result-schema.ts';
import type { Expectation } from './builtin.ts';
import { USER_FILE_CAPS, UserFileError, readUserFile } from '../ground/user-file.ts';
import { parseRate } from '../ground/values.ts';

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
const KNOWN_TOP = ['name', 'description', 'program', 'prog', 'section', 'expect', 'traffic', 'maps', 'modes', 'trials', 'duration', 'warmup'];
const KNOWN_MAP = ['name', 'maxEntries', 'entries', 'file'];
/** max_entries is a u32; the kernel refuses sizes its memory cannot hold. */
const MAX_MAP_ENTRIES = 0xffffffff;
const KNOWN_TRAFFIC = ['sizes', 'flows', 'rate', 'protocol', 'srcPort', 'dstPort'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function intIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

function parseExpect(v: unknown, problems: string[]): Expectation {
  if (v === undefined || v === 'mixed') return { kind: 'mixed' };
  if (typeof v === 'string') {
    if ((XDP_ACTIONS as readonly string[]).includes(v)) return { kind: 'action', action: v as XdpAction };
    problems.push(`expect: "${v}" is not one of ${XDP_ACTIONS.join(', ')}, mixed, or a map of action: fraction`);
    return { kind: 'mixed' };
  }
  if (isObj(v)) {
    const fractions: Partial<Record<XdpAction, number>> = {};
    let sum = 0;
    for (const [k, f] of Object.entries(v)) {
      if (!(XDP_ACTIONS as readonly string[]).includes(k)) problems.push(`expect.${k}: not an XDP action (${XDP_ACTIONS.join(', ')})`);
      else if (typeof f !== 'number' || !Number.isFinite(f) || f < 0 || f > 1) problems.push(`expect.${k}: expected a fraction from 0 to 1`);
      else {
        fractions[k as XdpAction] = f;
        sum += f;
      }
    }
    if (Math.abs(sum - 1) > 1e-6) problems.push(`expect: the fractions add up to ${sum}, not 1`);
    return { kind: 'mix', fractions };
  }
  problems.push('expect: expected an action name, mixed, or a map of action: fraction');
  return { kind: 'mixed' };
}

function parseEntryValue(v: unknown, where: string, problems: string[]): EntryValue | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^hex:([0-9a-fA-F]{2})+$/.test(v)) return v;
  if (Array.isArray(v) && v.length > 0 && v.every((b) => intIn(b, 0, 255))) return v as number[];
  problems.push(`${where}: expected a non-negative integer, "hex:<bytes>" or a list of bytes 0..255`);
  return undefined;
}

function parseEntries(list: unknown, where: string, problems: string[]): { key: EntryValue; value: EntryValue }[] {
  if (!Array.isArray(list)) {
    problems.push(`${where}: expected a list of {key, value}`);
    return [];
  }
  const out: { key: EntryValue; value: EntryValue }[] = [];
  list.forEach((e, i) => {
    if (!isObj(e)) return problems.push(`${where}[${i}]: expected {key, value}`);
    const key = parseEntryValue(e.key, `${where}[${i}].key`, problems);
    const value = parseEntryValue(e.value, `${where}[${i}].value`, problems);
    if (key !== undefined && value !== undefined) out.push({ key, value });
  });
  return out;
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
  const dir = path.dirname(abs);
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ScenarioFileError(abs, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (!isObj(doc)) throw new ScenarioFileError(abs, ['expected a mapping of fields (name, program, traffic, ...)']);
  for (const k of Object.keys(doc)) if (!KNOWN_TOP.includes(k)) problems.push(`${k}: unknown field (known: ${KNOWN_TOP.join(', ')})`);

  const name = typeof doc.name === 'string' && /^[a-z0-9][a-z0-9._-]*$/i.test(doc.name) ? doc.name : undefined;
  if (!name) problems.push('name: required, letters, digits, ".", "_" or "-"');
  if (doc.description !== undefined && typeof doc.description !== 'string') problems.push('description: expected text');

  let program: ScenarioFile['program'] = { kind: 'builtin', name: 'xdp_drop' };
  if (typeof doc.program !== 'string' || !doc.program) problems.push(`program: required: a path to a BPF object (relative to this file) or one of ${BUILTIN_PROGRAMS.join(', ')}`);
  else if (BUILTIN_PROGRAMS.includes(doc.program)) program = { kind: 'builtin', name: doc.program };
  else program = { kind: 'object', path: path.resolve(dir, doc.program) };
  if (doc.prog !== undefined && typeof doc.prog !== 'string') problems.push('prog: expected a program (function) name');
  if (doc.section !== undefined && typeof doc.section !== 'string') problems.push('section: expected an ELF section name');
  if (doc.prog !== undefined && doc.section !== undefined) problems.push('prog, section: give one of them, not both');

  const traffic: ScenarioFile['traffic'] = { srcPort: 1024, dstPort: 9 };
  if (doc.traffic !== undefined) {
    const t = doc.traffic;
    if (!isObj(t)) problems.push('traffic: expected a mapping (sizes, flows, rate, protocol, srcPort, dstPort)');
    else {
      for (const k of Object.keys(t)) if (!KNOWN_TRAFFIC.includes(k)) problems.push(`traffic.${k}: unknown field (known: ${KNOWN_TRAFFIC.join(', ')})`);
      if (t.protocol !== undefined && t.protocol !== 'udp') problems.push('traffic.protocol: only "udp" is generated');
      if (t.sizes !== undefined) {
        if (!Array.isArray(t.sizes) || t.sizes.length === 0 || !t.sizes.every((x) => intIn(x, 64, 1518))) problems.push('traffic.sizes: expected a list of sizes from 64 to 1518 bytes');
        else traffic.sizes = t.sizes as number[];
      }
      if (t.flows !== undefined) {
        if (!intIn(t.flows, 1, 65535)) problems.push('traffic.flows: expected an integer from 1 to 65535');
        else traffic.flows = t.flows;
      }
      if (t.rate !== undefined) {
        const rateErrors: string[] = [];
        if (typeof t.rate === 'string' || typeof t.rate === 'number') parseRate(String(t.rate), rateErrors);
        if ((typeof t.rate !== 'string' && typeof t.rate !== 'number') || rateErrors.length) {
          problems.push(`traffic.rate: ${typeof t.rate === 'number' ? String(t.rate) : JSON.stringify(t.rate)}: expected 0 (full speed), packets per second (1..1e9), or a percentage like "50%"`);
        } else traffic.rate = String(t.rate);
      }
      for (const port of ['srcPort', 'dstPort'] as const) {
        if (t[port] !== undefined) {
          if (!intIn(t[port], 1, 65535)) problems.push(`traffic.${port}: expected a port from 1 to 65535`);
          else traffic[port] = t[port] as number;
        }
      }
    }
  }

  const maps: ScenarioFileMap[] = [];
  if (doc.maps !== undefined) {
    if (!Array.isArray(doc.maps)) problems.push('maps: expected a list of {name, maxEntries, entries | file}');
    else {
      doc.maps.forEach((m, i) => {
        const where = `maps[${i}]`;
        if (!isObj(m) || typeof m.name !== 'string') return problems.push(`${where}.name: required: the map's name in the object`);
        for (const k of Object.keys(m)) if (!KNOWN_MAP.includes(k)) problems.push(`${where}.${k}: unknown field (known: ${KNOWN_MAP.join(', ')})`);
        let maxEntries: number | undefined;
        if (m.maxEntries !== undefined) {
          if (!intIn(m.maxEntries, 1, MAX_MAP_ENTRIES)) problems.push(`${where}.maxEntries: expected an integer from 1 to ${MAX_MAP_ENTRIES}`);
          else maxEntries = m.maxEntries;
        }
        if (m.entries === undefined && m.file === undefined && m.maxEntries !== undefined) return maps.push({ name: m.name, entries: [], maxEntries });
        if ((m.entries === undefined) === (m.file === undefined)) return problems.push(`${where}: give entries or file (a JSON list of {key, value}), one of them, or only maxEntries`);
        let list: unknown = m.entries;
        if (typeof m.file === 'string') {
          const entriesFile = path.resolve(dir, m.file);
          try {
            list = JSON.parse(readUserFile(entriesFile, USER_FILE_CAPS.mapsFile));
          } catch (err) {
            return problems.push(`${where}.file: cannot read ${entriesFile}: ${(err as Error).message}`);
          }
        }
        maps.push({ name: m.name, entries: parseEntries(list, `${where}.entries`, problems), ...(maxEntries === undefined ? {} : { maxEntries }) });
      });
    }
  }

  const run: ScenarioFile['run'] = {};
  if (doc.modes !== undefined) {
    if (!Array.isArray(doc.modes) || doc.modes.length === 0 || !doc.modes.every((m) => (ALL_MODES as readonly unknown[]).includes(m))) {
      problems.push(`modes: expected a list of ${ALL_MODES.join(', ')}`);
    } else run.modes = doc.modes as XdpMode[];
  }
  if (doc.trials !== undefined) {
    if (!intIn(doc.trials, 1, 100)) problems.push('trials: expected an integer from 1 to 100');
    else run.trials = doc.trials;
  }
  for (const k of ['duration', 'warmup'] as const) {
    if (doc[k] !== undefined) {
      const v = doc[k];
      const [lo, hi] = k === 'duration' ? [0.2, 3600] : [0, 600];
      // YAML has .nan and .inf: NaN passes every comparison, so finiteness is checked first.
      if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) problems.push(`${k}: ${String(v)}: expected seconds from ${lo} to ${hi}`);
      else run[k] = v;
    }
  }
  const expect = parseExpect(doc.expect, problems);
  if (problems.length) throw new ScenarioFileError(abs, problems);
  return {
    file: abs,
    name: name!,
    description: typeof doc.description === 'string' ? doc.description : '',
    program,
    prog: doc.prog as string | undefined,
    section: doc.section as string | undefined,
    expect,
    traffic,
    maps,
    run,
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

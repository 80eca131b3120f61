/* Bring your own XDP program: checks a user's object before anything is
 * created (a BPF ELF, an XDP program to pick, preloaded maps that exist with
 * the right sizes, the verifier's verdict), and turns it into a Scenario. */
import { createHash } from 'node:crypto';
import { existsSync, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { inspectObject, loadObject, type ObjectInspection } from '../drivers/xdpb-helper.ts';
import type { Expectation, MapPreload, Scenario } from '../scenarios/builtin.ts';
import { encodeEntryValue, type ScenarioFileMap } from '../scenarios/scenario-file.ts';
import { KernelRefusalError, UsageError } from './errors.ts';
import { BPFFS_ROOT } from './paths.ts';
import { formatBytes, readUserBytes, USER_FILE_CAPS } from './user-file.ts';
import { ensureBpffs } from './preflight.ts';

const EM_BPF = 247;

/** Reads the ELF header: a little-endian ELF whose machine is BPF, or a sentence saying what it is instead. */
export function checkBpfElf(file: string): string | null {
  if (!existsSync(file)) return `${file}: no such file`;
  if (!statSync(file).isFile()) return `${file}: not a regular file`;
  if (statSync(file).size > USER_FILE_CAPS.bpfObject) return `${file}: ${formatBytes(statSync(file).size)}, larger than the ${formatBytes(USER_FILE_CAPS.bpfObject)} limit for a BPF object`;
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  const n = readSync(fd, header, 0, 20, 0);
  closeSync(fd);
  if (n < 20 || header.readUInt32BE(0) !== 0x7f454c46) return `${file}: not an ELF file (compile the program with clang -target bpf)`;
  const machine = header[5] === 1 ? header.readUInt16LE(18) : header.readUInt16BE(18);
  if (machine !== EM_BPF) return `${file}: an ELF file for machine ${machine}, not a BPF object (EM_BPF = ${EM_BPF}); compile with clang -target bpf`;
  return null;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readUserBytes(file, USER_FILE_CAPS.bpfObject)).digest('hex');
}

/** Picks the XDP program: by function name, by section, or the only one there is. */
export function pickXdpProgram(inspection: ObjectInspection, file: string, by: { prog?: string; section?: string }): { name?: string; problem?: string } {
  const xdp = inspection.programs.filter((p) => p.type === 'xdp');
  const list = xdp.map((p) => `${p.name} (section ${p.section})`).join(', ');
  if (xdp.length === 0) return { problem: `${path.basename(file)} has no XDP program (programs: ${inspection.programs.map((p) => `${p.name}: ${p.type}`).join(', ') || 'none'})` };
  if (by.prog) {
    const p = inspection.programs.find((x) => x.name === by.prog);
    if (!p) return { problem: `${path.basename(file)} has no program named ${by.prog}; its XDP programs: ${list}` };
    if (p.type !== 'xdp') return { problem: `${by.prog} in ${path.basename(file)} is a ${p.type} program, not XDP` };
    return { name: p.name };
  }
  if (by.section) {
    const matches = xdp.filter((x) => x.section === by.section);
    if (matches.length !== 1) return { problem: `${matches.length === 0 ? 'no' : 'more than one'} XDP program in section ${by.section} of ${path.basename(file)}; its XDP programs: ${list}${matches.length ? '; use --prog' : ''}` };
    return { name: matches[0]!.name };
  }
  if (xdp.length > 1) return { problem: `${path.basename(file)} has several XDP programs: ${list}; choose one with --prog NAME (or prog: in the scenario file)` };
  return { name: xdp[0]!.name };
}

/** The verifier's verdict, shortened: the kernel's last words before the log ends. */
export function shortVerifierLog(err: KernelRefusalError, maxLines = 8): string {
  const lines = (err.log ?? '').split('\n').filter((l) => l && !/PROG LOAD LOG --|failed to load|BPF program load failed/.test(l));
  return lines.slice(-maxLines).map((l) => `    ${l.replace(/^libbpf: /, '')}`).join('\n');
}

export interface UserScenarioInput {
  name: string;
  doc: string;
  objectPath: string;
  prog?: string;
  section?: string;
  expect: Expectation;
  srcPort: number;
  dstPort: number;
  maps: ScenarioFileMap[];
  /** Where it came from, for messages: "--program" or the scenario file. */
  source: string;
}

/**
 * Every check before anything is created; each failure is one clear
 * UsageError (exit 2). The verifier check loads the object into a temporary
 * bpffs directory and removes it: nothing is attached.
 */
export async function prepareUserScenario(input: UserScenarioInput): Promise<Scenario> {
  const where = input.source;
  const elfProblem = checkBpfElf(input.objectPath);
  if (elfProblem) throw new UsageError(`${where}: ${elfProblem}`);
  let inspection: ObjectInspection;
  try {
    inspection = await inspectObject(input.objectPath);
  } catch (err) {
    throw new UsageError(`${where}: libbpf cannot open ${input.objectPath}: ${(err as Error).message}`);
  }
  const pick = pickXdpProgram(inspection, input.objectPath, { prog: input.prog, section: input.section });
  const problems: string[] = pick.problem ? [pick.problem] : [];
  const maps: MapPreload[] = [];
  input.maps.forEach((m, i) => {
    const info = inspection.maps.find((x) => x.name === m.name);
    if (!info) {
      problems.push(`maps[${i}]: ${path.basename(input.objectPath)} has no map named ${m.name} (maps: ${inspection.maps.map((x) => x.name).filter((n) => !n.includes('.')).join(', ') || 'none'})`);
      return;
    }
    const entries: MapPreload['entries'] = [];
    m.entries.forEach((e, j) => {
      try {
        entries.push({ keyHex: encodeEntryValue(e.key, info.keySize, `maps[${i}].entries[${j}].key`), valueHex: encodeEntryValue(e.value, info.valueSize, `maps[${i}].entries[${j}].value`) });
      } catch (err) {
        problems.push(`${(err as Error).message} (map ${m.name}: ${info.keySize}-byte keys, ${info.valueSize}-byte values)`);
      }
    });
    maps.push({ map: m.name, entries });
  });
  if (problems.length) throw new UsageError(`${where}:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  await ensureBpffs();
  const checkDir = path.join(BPFFS_ROOT, `xdpb-check-${process.pid}`);
  try {
    await loadObject(input.objectPath, checkDir);
  } catch (err) {
    if (err instanceof KernelRefusalError) {
      throw new UsageError(`${where}: the kernel's verifier rejected ${path.basename(input.objectPath)} (${err.message.split(';')[0]}):\n${shortVerifierLog(err)}`);
    }
    throw err;
  } finally {
    rmSync(checkDir, { recursive: true, force: true });
  }
  return {
    name: input.name,
    doc: input.doc,
    program: pick.name!,
    object: { path: input.objectPath, sha256: sha256File(input.objectPath) },
    maps,
    expect: input.expect,
    proof: 'none',
    dstPort: input.dstPort,
    srcPort: input.srcPort,
    source: input.source,
  };
}

/* Bring your own XDP program: checks a user's object before anything is
 * created (a BPF ELF, an XDP program to pick, preloaded maps that exist with
 * the right sizes, the verifier's verdict), and turns it into a Scenario that
 * loads the object as ip(8) and libxdp would: untyped sections as XDP, maps
 * declared with max_entries 0 sized, maps pinned by name under the run's dir. */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { inspectObject, loadObject, type ObjectInspection } from '../../drivers/xdpb-helper.ts';
import type { Expectation, MapPreload, Scenario, UserObjectLoad } from '../../scenarios/builtin.ts';
import { encodeEntryValue, type ScenarioFileMap } from '../../scenarios/scenario-file.ts';
import { checkBpfElf, slowHelpersOf } from './bpf-elf.ts';
import { KernelRefusalError, UsageError } from '../../ground/errors.ts';
import { describeLoadFailure } from './load-failure.ts';
import { planMapSizes, possibleCpus } from './map-sizing.ts';
import { BPFFS_ROOT } from '../../ground/paths.ts';
import { readUserBytes, USER_FILE_CAPS } from '../../ground/user-file.ts';
import { ensureBpffs } from '../run/preflight.ts';

export { checkBpfElf };

export function sha256File(file: string): string {
  return createHash('sha256').update(readUserBytes(file, USER_FILE_CAPS.bpfObject)).digest('hex');
}

/** libbpf's sections for XDP programs run by a cpumap/devmap entry (expected attach BPF_XDP_CPUMAP/DEVMAP). */
const MAP_PROGRAM_SECTION = /^xdp(?:\.frags)?\/(cpumap|devmap)\b/;

/** "xdp.frags" or "xdp.frags/...": a program that takes multi-buffer frames (apply_as_xdp in native/object_load.c matches the same). */
export const isFragsSection = (section: string) => section === 'xdp.frags' || section.startsWith('xdp.frags/');

type Programs = { programs: Pick<ObjectInspection['programs'][number], 'name' | 'section' | 'type'>[] };

/**
 * Picks the XDP program: by function name, by section, or the only candidate.
 * A program in a section libbpf cannot type ("unspec": SEC("prog"),
 * SEC("xdp_prog"), SEC("xdp/guard")) is a candidate as ip(8) sees it, loaded
 * as XDP (asXdp) when picked by name or section, or when the object has no
 * typed XDP program and it is the only untyped one.
 */
export function pickXdpProgram(inspection: Programs, file: string, by: { prog?: string; section?: string }): { name?: string; asXdp?: boolean; problem?: string } {
  const xdp = inspection.programs.filter((p) => p.type === 'xdp' && !MAP_PROGRAM_SECTION.test(p.section));
  const untyped = inspection.programs.filter((p) => p.type === 'unspec');
  const candidates = [...xdp, ...untyped];
  const list = candidates.map((p) => `${p.name} (section ${p.section}${p.type === 'unspec' ? ', untyped: loaded as XDP' : ''})`).join(', ');
  const picked = (p: Programs['programs'][number]) => (p.type === 'unspec' ? { name: p.name, asXdp: true } : { name: p.name });
  if (candidates.length === 0) return { problem: `${path.basename(file)} has no XDP program (programs: ${inspection.programs.map((p) => `${p.name}: ${p.type}`).join(', ') || 'none'})` };
  if (by.prog) {
    const p = inspection.programs.find((x) => x.name === by.prog);
    if (!p) return { problem: `${path.basename(file)} has no program named ${by.prog}; its XDP programs: ${list}` };
    if (p.type !== 'xdp' && p.type !== 'unspec') return { problem: `${by.prog} in ${path.basename(file)} is a ${p.type} program, not XDP` };
    const inMap = MAP_PROGRAM_SECTION.exec(p.section);
    if (inMap) return { problem: `${by.prog} in ${path.basename(file)} (section ${p.section}) is an XDP program for ${inMap[1]} entries: the kernel runs it on frames redirected into a ${inMap[1]}, it cannot be attached to an interface` };
    return picked(p);
  }
  if (by.section) {
    const matches = candidates.filter((x) => x.section === by.section);
    if (matches.length !== 1) return { problem: `${matches.length === 0 ? 'no' : 'more than one'} XDP program in section ${by.section} of ${path.basename(file)}; its XDP programs: ${list}${matches.length ? '; use --prog' : ''}` };
    return picked(matches[0]!);
  }
  const only = xdp.length > 0 ? xdp : untyped;
  if (only.length > 1) return { problem: `${path.basename(file)} has several XDP programs: ${list}; choose one with --prog NAME (or prog: in the scenario file)` };
  return picked(only[0]!);
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
    if (err instanceof KernelRefusalError) throw new UsageError(`${where}: ${describeLoadFailure(err, path.basename(input.objectPath))}`);
    throw new UsageError(`${where}: libbpf cannot open ${input.objectPath}: ${(err as Error).message}`);
  }
  const pick = pickXdpProgram(inspection, input.objectPath, { prog: input.prog, section: input.section });
  const problems: string[] = pick.problem ? [pick.problem] : [];
  const maps: MapPreload[] = [];
  const mapNames = () => inspection.maps.map((x) => x.name).filter((n) => !n.includes('.')).join(', ') || 'none';
  input.maps.forEach((m, i) => {
    const info = inspection.maps.find((x) => x.name === m.name);
    if (!info) {
      problems.push(`maps[${i}]: ${path.basename(input.objectPath)} has no map named ${m.name} (maps: ${mapNames()})`);
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
    if (entries.length) maps.push({ map: m.name, entries });
  });
  if (problems.length) throw new UsageError(`${where}:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  const program = inspection.programs.find((p) => p.name === pick.name)!;
  const load: UserObjectLoad = {
    mapSizes: planMapSizes(inspection.maps, input.maps, possibleCpus()),
    ...(pick.asXdp ? { asXdp: { section: program.section, frags: isFragsSection(program.section) } } : {}),
    slowHelpers: slowHelpersOf(input.objectPath, program.helperIds),
  };
  await ensureBpffs();
  // The verifier's verdict before anything is created: a load into a scratch
  // pin dir (maps pinned by name land there too), removed whatever happens.
  const checkDir = path.join(BPFFS_ROOT, `xdpb-check-${process.pid}`);
  try {
    await loadObject(input.objectPath, checkDir, loadOptionsOf(pick.name!, load));
  } catch (err) {
    if (err instanceof KernelRefusalError) throw new UsageError(`${where}: ${describeLoadFailure(err, path.basename(input.objectPath))}`);
    throw err;
  } finally {
    rmSync(checkDir, { recursive: true, force: true });
  }
  return {
    name: input.name,
    doc: input.doc,
    program: pick.name!,
    object: { path: input.objectPath, sha256: sha256File(input.objectPath) },
    load,
    maps,
    expect: input.expect,
    proof: 'none',
    dstPort: input.dstPort,
    srcPort: input.srcPort,
    source: input.source,
  };
}

/** The helper's load options for a user's object: only the picked program is loaded (the object's others may be of types this kernel cannot load). */
export function loadOptionsOf(program: string, load: UserObjectLoad): { mapSizes: UserObjectLoad['mapSizes']; asXdp?: string; only: string } {
  return { mapSizes: load.mapSizes, ...(load.asXdp ? { asXdp: program } : {}), only: program };
}

/* Argv builders and output parsers for native/build/xdpb (the libbpf helper). */
import { KernelRefusalError } from '../ground/errors.ts';
import { XDPB_HELPER } from '../ground/paths.ts';
import type { XdpMode } from '../ground/result-schema.ts';
import { localHost, type Host } from './host.ts';

export interface HelperFailure {
  ok: false;
  stage: string;
  errno: number;
  error: string;
  kernelMessage?: string;
  detail?: string;
  log?: string;
}

export interface LoadedObject {
  /** tag: the kernel's program tag (hex), equal in every load of the same instructions. */
  programs: { name: string; id: number; tag: string; pin: string }[];
  /** pinnedByName: the object asked for the pin (LIBBPF_PIN_BY_NAME); it is under the load's pin dir all the same. */
  maps: { name: string; pin: string; pinnedByName: boolean; maxEntries: number }[];
}

/** How to load a foreign object the way its own loader would. */
export interface LoadOptions {
  /** max_entries to set before load (maps declared with 0, or resized by the scenario). */
  mapSizes?: readonly { map: string; maxEntries: number }[];
  /** A program in a section libbpf cannot type, loaded as XDP (xdp.frags sections with frags). */
  asXdp?: string;
  /** Load only this program of the object (as ip(8) loads one section); its maps are all created. */
  only?: string;
}

export function loadOptionArgv(o: LoadOptions): string[] {
  return [
    ...(o.mapSizes ?? []).flatMap((m) => ['--map-size', `${m.map}=${m.maxEntries}`]),
    ...(o.asXdp ? ['--as-xdp', o.asXdp] : []),
    ...(o.only ? ['--prog-name', o.only] : []),
  ];
}

/** Parses the helper's one-object answer; a failure becomes a KernelRefusalError. */
export function parseHelperAnswer<T extends object>(stdout: string): T & { ok: true } {
  const line = stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`xdpb helper printed something that is not JSON: ${line.slice(0, 200)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { ok?: unknown }).ok !== 'boolean') {
    throw new Error(`xdpb helper gave an unexpected answer: ${line.slice(0, 200)}`);
  }
  if ((parsed as { ok: boolean }).ok !== true) throw refusalFrom(parsed as HelperFailure);
  return parsed as T & { ok: true };
}

export function refusalFrom(f: HelperFailure): KernelRefusalError {
  return new KernelRefusalError(f.stage, f.errno, f.error, f.kernelMessage, f.detail, f.log);
}

/** Runs the helper on `host` (this machine unless a lab host is given). */
async function helper(args: string[], host: Host = localHost, timeoutMs = 30_000): Promise<string> {
  // The helper prints its failure as JSON and exits 1: parse that, not stderr.
  const out = await host.exec([host.helperPath, ...args], { timeoutMs, okExitCodes: [0, 1] });
  return out.stdout;
}

/** Loads every program and map of the object, pinned under pinDir (maps pinned by name too). */
export async function loadObject(objectPath: string, pinDir: string, options: LoadOptions = {}, host: Host = localHost): Promise<LoadedObject> {
  return parseHelperAnswer<LoadedObject>(await helper(['load', '--obj', objectPath, '--pin-dir', pinDir, ...loadOptionArgv(options)], host));
}

export interface AttachTarget {
  netns: string;
  dev: string;
  mode: XdpMode;
}

/** What was attached: the device's ifindex (in its netns) and the program's id and tag. */
export interface AttachAnswer {
  ifindex: number;
  progId: number;
  progTag: string;
}

/** A load of an object for one program (offload: bound to the device at load time). */
export interface ObjectProgram {
  objectPath: string;
  programName: string;
  pinDir: string;
  /** Offload only: cap every map's max_entries (a device's limit, e.g. netdevsim's 2); the instructions are unchanged. */
  offloadMaxEntries?: number;
  /** As for the object's first load (map sizes, untyped section). */
  load?: LoadOptions;
}

export function attachArgv(target: AttachTarget, program: { pin: string } | ObjectProgram): string[] {
  const common = ['--netns', target.netns, '--dev', target.dev, '--mode', target.mode];
  const source = 'pin' in program
    ? ['--prog', program.pin]
    : ['--obj', program.objectPath, '--prog-name', program.programName, '--pin-dir', program.pinDir,
      ...(program.offloadMaxEntries === undefined ? [] : ['--offload-max-entries', String(program.offloadMaxEntries)]),
      ...loadOptionArgv(program.load ?? {})];
  return ['attach', ...source, ...common];
}

/** native/generic attach an already loaded (pinned) program; offload loads the object bound to the device. */
export async function attachProgram(target: AttachTarget, program: { pin: string } | ObjectProgram, host: Host = localHost): Promise<AttachAnswer> {
  return parseHelperAnswer<AttachAnswer>(await helper(attachArgv(target, program), host));
}

export async function detachProgram(target: AttachTarget, host: Host = localHost): Promise<void> {
  parseHelperAnswer(await helper(['detach', '--netns', target.netns, '--dev', target.dev, '--mode', target.mode], host));
}

export interface AttachedIds {
  native: number;
  generic: number;
  offload: number;
}

export async function queryAttached(netns: string, dev: string, host: Host = localHost): Promise<AttachedIds> {
  return parseHelperAnswer<AttachedIds>(await helper(['query', '--netns', netns, '--dev', dev], host));
}

export interface ProgInfo {
  id: number;
  name: string;
  tag: string;
  /** Offloaded program: the device it is bound to (ifindex in that device's netns) and that netns's inode; 0 = not bound. */
  offloadIfindex: number;
  offloadNetnsIno: number;
}

/** A loaded program by id (bpf_prog_info). */
export async function progInfo(id: number): Promise<ProgInfo> {
  return parseHelperAnswer<ProgInfo>(await helper(['prog-info', '--id', String(id)]));
}

/** Writes one entry (raw bytes as hex) into a pinned map; the helper checks the sizes against the map. */
export async function updateMap(mapPin: string, keyHex: string, valueHex: string, host: Host = localHost): Promise<void> {
  parseHelperAnswer(await helper(['map-update', '--map', mapPin, '--key-hex', keyHex, '--value-hex', valueHex], host));
}

export interface ObjectInspection {
  btf: boolean;
  /** type: libbpf's name for the type it gave the section ("unspec": a section it cannot type). helperIds: helpers the program's own instructions call. */
  programs: { name: string; section: string; type: string; helperIds: number[] }[];
  maps: { name: string; type: string; keySize: number; valueSize: number; maxEntries: number; pinByName: boolean }[];
}

/** What an object holds, without loading it. */
export async function inspectObject(objectPath: string): Promise<ObjectInspection> {
  return parseHelperAnswer<ObjectInspection>(await helper(['inspect', '--obj', objectPath]));
}

/** Points devmap slot `key` at `dev`; the ifindex is resolved inside `netns` (as the kernel will). */
export async function setDevmapPort(mapPin: string, key: number, netns: string, dev: string, host: Host = localHost): Promise<number> {
  const a = parseHelperAnswer<{ ifindex: number }>(await helper(['devmap-set', '--map', mapPin, '--key', String(key), '--netns', netns, '--dev', dev], host));
  return a.ifindex;
}

/** argv prefix that runs a tool inside a netns (optionally pinned to a CPU), killed if the harness dies. */
export function execInNetnsArgv(netns: string, argv: readonly string[], cpu?: number): string[] {
  return [XDPB_HELPER, 'exec', '--netns', netns, ...(cpu === undefined ? [] : ['--cpu', String(cpu)]), '--', ...argv];
}

/** The pin of a loaded object's program or map, by name. */
export function pinOf(obj: LoadedObject, kind: 'prog' | 'map', name: string): string {
  const list = kind === 'prog' ? obj.programs : obj.maps;
  const found = list.find((x) => x.name === name);
  if (!found) throw new Error(`object has no ${kind === 'prog' ? 'program' : 'map'} "${name}"`);
  return found.pin;
}

export function idOf(obj: LoadedObject, program: string): number {
  const found = obj.programs.find((p) => p.name === program);
  if (!found) throw new Error(`object has no program "${program}"`);
  return found.id;
}

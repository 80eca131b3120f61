/* Generator `pktgen`: the kernel's packet generator (net/core/pktgen.c),
 * driven through /proc/net/pktgen the way the kernel's samples/pktgen
 * scripts do it: `reset` on pgctrl, `rem_device_all` + `add_device DEV@CPU`
 * on each kpktgend_CPU thread, the device's parameters on /proc/net/pktgen/DEV@CPU,
 * then `start` on pgctrl, which blocks until every device has sent its count
 * (or the writer gets a signal, which stops all threads).
 *
 * /proc/net/pktgen is per network namespace (each netns has its own pgctrl
 * and kpktgend_N threads, and pgctrl acts on the *writer's* netns), so every
 * write is made by a worker (drivers/pktgen-worker.ts) started inside the
 * namespace with `xdpb exec --netns NS`. Progress is read from
 * /proc/<worker pid>/net/pktgen/DEV@CPU, which shows the worker's namespace.
 *
 * Needs CONFIG_NET_PKTGEN (=m: `modprobe pktgen` on first use). The kernel on
 * the development machines has none: there probe() says so, and the driver runs
 * in the VM lab (drivers/vm/), whose Debian 6.1 kernel has the module. */
import { execa, type ResultPromise } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../ground/exec.ts';
import { REPO_ROOT, XDPB_HELPER } from '../ground/paths.ts';
import { execInNetnsArgv, queryAttached } from './xdpb-helper.ts';
import { GeneratorFailure, type Availability, type GeneratorReport, type RunningTraffic, type TrafficDriver, type TrafficSpec } from './traffic-driver.ts';

export const PKTGEN_PROC_DIR = '/proc/net/pktgen';
export const NO_PKTGEN_REASON = 'this kernel has no pktgen module (CONFIG_NET_PKTGEN unset)';
/**
 * Measured in the VM (Linux 6.1.0-56-amd64): netif_receive hands the stack an
 * skb pktgen keeps a reference to (skb->users += burst); generic XDP then calls
 * pskb_expand_head() on it, which BUG()s on a shared skb: kernel panic.
 */
/**
 * Seen in the VM too: start_xmit into a veth whose peer has a generic XDP
 * program ends in the same BUG (the peer receives pktgen's shared skb).
 */
export const GENERIC_XDP_PEER_REASON =
  'pktgen into a veth whose peer runs a generic XDP program crashes the kernel (pktgen keeps a reference to its skbs; generic XDP expands the shared skb: BUG in pskb_expand_head, seen on Linux 6.1); not run';
export const NETIF_RECEIVE_GENERIC_XDP_REASON =
  'xmit_mode netif_receive into a device with a generic XDP program crashes the kernel (pktgen injects a shared skb; generic XDP expands it: BUG in pskb_expand_head, seen on Linux 6.1)';
const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pktgen-worker.ts');
/** Safety bound on each thread's packet count: more than one thread can send in the run. */
export const PKTGEN_MAX_PPS_PER_THREAD = 20_000_000;

export type PktgenXmitMode = 'start_xmit' | 'netif_receive' | 'queue_xmit';

/** The parameters of the kernel's samples/pktgen scripts (their option letter in brackets). */
export interface PktgenParams {
  /** [-i] output device (in netif_receive mode: the device the frames are injected into as if received). */
  dev: string;
  /** [-s] pkt_size: bytes handed to the device, without the 4-byte FCS (60 for a "64-byte packet"). */
  pktSizeBytes: number;
  /** [-d] destination IPv4: one address, a CIDR (network..broadcast, as the samples' parse_addr) or "A-B". */
  dstIp: string;
  /** [-m] destination MAC. */
  dstMac: string;
  /** Source MAC (default: the device's own). */
  srcMac?: string;
  /** Source IPv4: one address, a CIDR or "A-B" (default: the device's address). */
  srcIp?: string;
  /**
   * [-p] destination UDP port or range "A-B": sets flag UDPDST_RND as the samples do.
   * pktgen's max is exclusive when min < max (pktgen.c: cur >= max wraps to min;
   * random: min + prandom(max - min)): "9-109" sends to ports 9..108.
   */
  dstPort?: string;
  /** Source UDP port or range "A-B" (max exclusive, as above). */
  srcPort?: string;
  /** A source port range is random (flag UDPSRC_RND, the samples' default) or sequential (false). */
  srcPortRandom?: boolean;
  /** [-t]/[-f] threads, given as the CPUs of their kpktgend_N threads (the samples: f..f+t-1). */
  cpus: number[];
  /** [-c] clone_skb: send each skb this many extra times (0 = new skb per packet; refused by veth and by netif_receive). */
  cloneSkb: number;
  /** [-n] packets per thread; 0 = until stopped (the driver never uses 0). */
  count: number;
  /** [-b] burst: skbs per xmit_more batch (start_xmit needs a device with IFF_TX_SKB_SHARING; veth has not). */
  burst: number;
  /** [-w] delay between packets in ns (0 = as fast as possible). */
  delayNs: number;
  /** Rate per thread in packets per second (pktgen `ratep`); 0 = no limit. */
  ratePpsPerThread: number;
  xmitMode: PktgenXmitMode;
  /** flag UDPCSUM. */
  udpChecksum?: boolean;
  /** flag NO_TIMESTAMP (the samples set it; default true). */
  noTimestamp?: boolean;
}

export interface PktgenWrite {
  /** File under /proc/net/pktgen: pgctrl, kpktgend_N or DEV@N. */
  file: string;
  command: string;
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new RangeError(`not an IPv4 address: ${ip}`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** "198.18.0.42" | "198.18.0.0/15" | "198.18.0.1-198.18.0.9" -> [min, max] (CIDR: network..broadcast, as samples/pktgen's parse_addr). */
export function parseIpRange(spec: string): [string, string] {
  const dash = spec.split('-');
  if (dash.length === 2) {
    const [a, b] = [ipToInt(dash[0]!), ipToInt(dash[1]!)];
    if (a > b) throw new RangeError(`IPv4 range ${spec} runs backwards`);
    return [intToIp(a), intToIp(b)];
  }
  const [net, prefixText] = spec.split('/');
  const ip = ipToInt(net!);
  if (prefixText === undefined) return [net!, net!];
  if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) throw new RangeError(`bad CIDR prefix in ${spec}`);
  const prefix = Number(prefixText);
  const hostBits = 32 - prefix;
  const size = 2 ** hostBits;
  const min = Math.floor(ip / size) * size;
  return [intToIp(min), intToIp(min + size - 1)];
}

/** "9" | "9-20" -> [min, max] (as samples/pktgen's parse_ports + validate_ports: 1..65535). */
export function parsePortRange(spec: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(spec);
  if (!m) throw new RangeError(`not a port or port range: ${spec}`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (min < 1 || max > 65535 || min > max) throw new RangeError(`invalid port(s): ${spec} (1..65535, min <= max)`);
  return [min, max];
}

/** pktgen's name of the device a thread sends on (unique per thread, as the samples' DEV@THREAD). */
export function pktgenDeviceName(dev: string, cpu: number): string {
  return `${dev}@${cpu}`;
}

function assertUint(name: string, v: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${name} must be an integer 0..${max}, got ${v}`);
}

/** Checks the parameters the way the kernel would refuse them, before anything is written. */
export function validatePktgenParams(p: PktgenParams): void {
  if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(p.dev)) throw new RangeError(`not an interface name: ${p.dev}`);
  if (!p.cpus.length) throw new RangeError('pktgen needs at least one thread (CPU)');
  if (new Set(p.cpus).size !== p.cpus.length) throw new RangeError(`a CPU appears twice in ${p.cpus.join(',')}`);
  for (const c of p.cpus) assertUint('cpu', c, 4095);
  assertUint('pkt_size', p.pktSizeBytes, 9000);
  if (p.pktSizeBytes < 14 + 20 + 8 + 16) throw new RangeError(`pkt_size ${p.pktSizeBytes} is below pktgen's minimum (Ethernet + IPv4 + UDP + its 16-byte header = 58)`);
  assertUint('clone_skb', p.cloneSkb);
  assertUint('count', p.count);
  assertUint('burst', p.burst, 1 << 20);
  assertUint('delay', p.delayNs);
  assertUint('rate', p.ratePpsPerThread);
  if (!MAC.test(p.dstMac)) throw new RangeError(`not a MAC address: ${p.dstMac}`);
  if (p.srcMac !== undefined && !MAC.test(p.srcMac)) throw new RangeError(`not a MAC address: ${p.srcMac}`);
  parseIpRange(p.dstIp);
  if (p.srcIp !== undefined) parseIpRange(p.srcIp);
  if (p.dstPort !== undefined) parsePortRange(p.dstPort);
  if (p.srcPort !== undefined) parsePortRange(p.srcPort);
  if (!['start_xmit', 'netif_receive', 'queue_xmit'].includes(p.xmitMode)) throw new RangeError(`unknown xmit_mode ${p.xmitMode} (start_xmit, netif_receive, queue_xmit)`);
  // pktgen.c refuses these with ENOTSUPP: say it before writing.
  if (p.xmitMode === 'netif_receive' && p.cloneSkb > 0) throw new RangeError('clone_skb is not supported with xmit_mode netif_receive (pktgen refuses it: ENOTSUPP)');
  if (p.xmitMode === 'queue_xmit' && (p.cloneSkb > 0 || p.burst > 1)) throw new RangeError('clone_skb and burst > 1 are not supported with xmit_mode queue_xmit');
}

/**
 * The ordered writes that configure pktgen (pure). Mirrors
 * samples/pktgen/pktgen_sample02_multiqueue.sh and
 * pktgen_bench_xmit_mode_netif_receive.sh; `start` is not included.
 */
export function pktgenCommands(p: PktgenParams): PktgenWrite[] {
  validatePktgenParams(p);
  const writes: PktgenWrite[] = [{ file: 'pgctrl', command: 'reset' }];
  const [dstMin, dstMax] = parseIpRange(p.dstIp);
  for (const cpu of p.cpus) {
    const thread = `kpktgend_${cpu}`;
    const dev = pktgenDeviceName(p.dev, cpu);
    const set = (command: string) => writes.push({ file: dev, command });
    writes.push({ file: thread, command: 'rem_device_all' }, { file: thread, command: `add_device ${dev}` });
    if (p.cpus.length > 1) set('flag QUEUE_MAP_CPU');
    set(`count ${p.count}`);
    // netif_receive refuses any clone_skb write while in that mode; it is set before the mode anyway.
    if (p.xmitMode !== 'netif_receive') set(`clone_skb ${p.cloneSkb}`);
    set(`pkt_size ${p.pktSizeBytes}`);
    set(`delay ${p.delayNs}`);
    if (p.noTimestamp ?? true) set('flag NO_TIMESTAMP');
    set(`dst_mac ${p.dstMac.toLowerCase()}`);
    if (p.srcMac) set(`src_mac ${p.srcMac.toLowerCase()}`);
    set(`dst_min ${dstMin}`);
    set(`dst_max ${dstMax}`);
    if (p.srcIp) {
      const [srcMin, srcMax] = parseIpRange(p.srcIp);
      set(`src_min ${srcMin}`);
      set(`src_max ${srcMax}`);
    }
    if (p.dstPort !== undefined) {
      const [min, max] = parsePortRange(p.dstPort);
      set('flag UDPDST_RND');
      set(`udp_dst_min ${min}`);
      set(`udp_dst_max ${max}`);
    }
    if (p.srcPort !== undefined) {
      const [min, max] = parsePortRange(p.srcPort);
      if (min !== max && (p.srcPortRandom ?? true)) set('flag UDPSRC_RND');
      set(`udp_src_min ${min}`);
      set(`udp_src_max ${max}`);
    }
    if (p.udpChecksum) set('flag UDPCSUM');
    if (p.xmitMode !== 'start_xmit') set(`xmit_mode ${p.xmitMode}`);
    // burst is checked against the xmit mode, so it comes after it (as in the samples).
    if (p.burst > 1) set(`burst ${p.burst}`);
    if (p.ratePpsPerThread > 0) set(`ratep ${p.ratePpsPerThread}`);
  }
  return writes;
}

// ---- parsers of /proc/net/pktgen/DEV ----

export interface PktgenResult {
  /** Elapsed run time and its split: c = sending, d = idle (delay). */
  elapsedUs: number;
  busyUs: number;
  idleUs: number;
  packets: number;
  pktSizeBytes: number;
  frags: number;
  pps: number;
  mbPerSec: number;
  bps: number;
  errors: number;
}

export interface PktgenDeviceState {
  /** Params: count. */
  count: number;
  /** Current: pkts-sofar / errors: progress while running. */
  packetsSoFar: number;
  errors: number;
  startedUs: number;
  stoppedUs: number;
  idleUs: number;
  xmitMode: PktgenXmitMode;
  flags: string[];
  /** The "Result:" text (first line): "OK: ..." after a run or a write, "Idle", or pktgen's error. */
  resultText: string;
  /** Parsed when the result is a finished run's "OK: N(cB+dI) usec, ..." line. */
  result: PktgenResult | null;
}

/** The text after "Result: " (may span lines: a run's result continues on the next line). */
export function pktgenResultText(fileText: string): string | null {
  const m = /(?:^|\n)Result: ([\s\S]*)$/.exec(fileText);
  return m ? m[1]!.trimEnd() : null;
}

/** Parses a finished run's result: "OK: 2004213(c2004140+d72) usec, 1000000 (60byte,0frags)\n  498948pps 239Mb/sec (239495040bps) errors: 0". */
export function parsePktgenResult(text: string): PktgenResult | null {
  const m = /OK:\s+(\d+)\(c(\d+)\+d(\d+)\)\s+usec,\s+(\d+)\s+\((\d+)byte,(-?\d+)frags\)\s+(\d+)pps\s+(\d+)Mb\/sec\s+\((\d+)bps\)\s+errors:\s+(\d+)/.exec(text);
  if (!m) return null;
  const n = (i: number) => Number(m[i]);
  const r = { elapsedUs: n(1), busyUs: n(2), idleUs: n(3), packets: n(4), pktSizeBytes: n(5), frags: n(6), pps: n(7), mbPerSec: n(8), bps: n(9), errors: n(10) };
  // The kernel prints 64-bit counters; more digits than a double holds exactly is not a result we can use.
  return Object.values(r).every(Number.isSafeInteger) ? r : null;
}

/** Parses /proc/net/pktgen/DEV (pktgen_if_show); null when the text is not a device file. */
export function parsePktgenDevice(fileText: string): PktgenDeviceState | null {
  const count = /Params: count (\d+)/.exec(fileText);
  const cur = /pkts-sofar: (\d+)\s+errors: (\d+)/.exec(fileText);
  if (!count || !cur) return null;
  const times = /started: (\d+)us\s+stopped: (\d+)us idle: (\d+)us/.exec(fileText);
  const mode = /xmit_mode: (\w+)/.exec(fileText);
  const flags = /Flags: ([^\n]*)/.exec(fileText);
  const resultText = pktgenResultText(fileText) ?? '';
  const numbers = [count[1], cur[1], cur[2], ...(times ? [times[1], times[2], times[3]] : [])].map(Number);
  if (!numbers.every(Number.isSafeInteger)) return null;
  return {
    count: Number(count[1]),
    packetsSoFar: Number(cur[1]),
    errors: Number(cur[2]),
    startedUs: times ? Number(times[1]) : 0,
    stoppedUs: times ? Number(times[2]) : 0,
    idleUs: times ? Number(times[3]) : 0,
    xmitMode: (mode?.[1] as PktgenXmitMode | undefined) ?? 'start_xmit',
    flags: flags ? flags[1]!.trim().split(/\s+/).filter(Boolean) : [],
    resultText: resultText.split('\n')[0] ?? '',
    result: parsePktgenResult(resultText),
  };
}

/** Whether a write's Result line says it was accepted (pktgen reports most refusals there, not as a write error). */
export function pktgenWriteAccepted(fileText: string): boolean {
  return /^OK:/.test(pktgenResultText(fileText) ?? '');
}

/** Parses a thread file (/proc/net/pktgen/kpktgend_N): its running and stopped devices. */
export function parsePktgenThread(fileText: string): { running: string[]; stopped: string[]; resultText: string } | null {
  const running = /Running: ([^\n]*)/.exec(fileText);
  const stopped = /Stopped: ([^\n]*)/.exec(fileText);
  if (!running || !stopped) return null;
  return {
    running: running[1]!.trim().split(/\s+/).filter(Boolean),
    stopped: stopped[1]!.trim().split(/\s+/).filter(Boolean),
    resultText: (pktgenResultText(fileText) ?? '').split('\n')[0] ?? '',
  };
}

// ---- the frame -> parameters ----

export interface FrameFields {
  dstMac: string;
  srcMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
}

/** Reads the Ethernet/IPv4/UDP fields of the harness's test frame (ground/frame.ts). */
export function frameFields(frame: Buffer): FrameFields {
  if (frame.length < 42 || frame.readUInt16BE(12) !== 0x0800 || frame[23] !== 17) throw new RangeError('pktgen sends IPv4/UDP: the frame is not an Ethernet/IPv4/UDP frame');
  const mac = (off: number) => [...frame.subarray(off, off + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  const ip = (off: number) => [...frame.subarray(off, off + 4)].join('.');
  const ihl = (frame[14]! & 0x0f) * 4;
  return { dstMac: mac(0), srcMac: mac(6), srcIp: ip(26), dstIp: ip(30), srcPort: frame.readUInt16BE(14 + ihl), dstPort: frame.readUInt16BE(16 + ihl) };
}

export interface PktgenDriverOptions {
  xmitMode?: PktgenXmitMode;
  burst?: number;
  cloneSkb?: number;
}

/** The parameters one trial uses: the frame's addresses and size, one thread per CPU, a count that bounds the run. */
export function pktgenParamsFor(spec: TrafficSpec, options: PktgenDriverOptions = {}): PktgenParams {
  const f = frameFields(spec.frame);
  const threads = spec.cpus.length;
  const flows = spec.flows ?? 1;
  if (!Number.isInteger(flows) || flows < 1 || f.srcPort + flows > 65535) throw new RangeError(`flows must be 1..${65535 - f.srcPort} from source port ${f.srcPort}, got ${flows}`);
  return {
    dev: spec.dev,
    pktSizeBytes: spec.frame.length,
    dstIp: f.dstIp,
    dstMac: f.dstMac,
    srcMac: f.srcMac,
    srcIp: f.srcIp,
    dstPort: String(f.dstPort),
    // `flows` source ports from the frame's own, in turn (max is exclusive in pktgen).
    srcPort: flows > 1 ? `${f.srcPort}-${f.srcPort + flows}` : String(f.srcPort),
    srcPortRandom: false,
    cpus: spec.cpus,
    cloneSkb: options.cloneSkb ?? 0,
    count: Math.max(1, Math.ceil((PKTGEN_MAX_PPS_PER_THREAD * spec.durationMs) / 1000)),
    burst: options.burst ?? 1,
    delayNs: 0,
    ratePpsPerThread: spec.ratePps > 0 ? Math.max(1, Math.ceil(spec.ratePps / threads)) : 0,
    xmitMode: options.xmitMode ?? 'start_xmit',
  };
}

// ---- the worker's protocol (drivers/pktgen-worker.ts) ----

export interface PktgenWorkerPlan {
  writes: PktgenWrite[];
  /** pktgen device files to read back at the end (DEV@CPU). */
  devices: string[];
  /** Write `start` to pgctrl after the configuration (false: configure only). */
  start: boolean;
}

export type PktgenWorkerEvent =
  | { event: 'configured'; writes: number; ms: number }
  | { event: 'done'; interrupted: boolean; runMs: number; devices: Record<string, string> }
  | { event: 'error'; stage: string; file?: string; command?: string; errno?: number; code?: string; error: string; result?: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDuration = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const optional = (v: unknown, type: 'string' | 'number') => v === undefined || typeof v === type;

/** Whether a parsed line is one of the worker's events, in full (anything else is not ours). */
function isWorkerEvent(e: unknown): e is PktgenWorkerEvent {
  if (!isObj(e)) return false;
  switch (e.event) {
    case 'configured': return Number.isSafeInteger(e.writes) && isDuration(e.ms);
    case 'done': return typeof e.interrupted === 'boolean' && isDuration(e.runMs) && isObj(e.devices) && Object.values(e.devices).every((t) => typeof t === 'string');
    case 'error': return typeof e.stage === 'string' && typeof e.error === 'string' && optional(e.file, 'string') && optional(e.command, 'string') &&
      optional(e.errno, 'number') && optional(e.code, 'string') && optional(e.result, 'string');
    default: return false;
  }
}

export function parseWorkerEvents(stdout: string): PktgenWorkerEvent[] {
  const events: PktgenWorkerEvent[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    let e: unknown;
    try {
      e = JSON.parse(t);
    } catch {
      continue; // not ours
    }
    if (isWorkerEvent(e)) events.push(e);
  }
  return events;
}

export function workerErrorMessage(e: Extract<PktgenWorkerEvent, { event: 'error' }>): string {
  const where = e.file ? `writing "${e.command}" to ${PKTGEN_PROC_DIR}/${e.file}` : e.stage;
  return `${where}: ${e.error}${e.code ? ` (${e.code})` : ''}${e.result ? `; pktgen says: ${e.result}` : ''}`;
}

/** argv of the worker inside the netns (same node, same loader, the repository's own code). */
export function pktgenWorkerArgv(netns: string): string[] {
  const tsx = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  return execInNetnsArgv(netns, [process.execPath, '--import', `file://${tsx}`, WORKER]);
}

export interface PktgenProgress {
  packets: number;
  errors: number;
}

export interface RunningPktgen extends RunningTraffic {
  /** Packets sent so far by all threads (pkts-sofar), read without disturbing the run. */
  progress(): Promise<PktgenProgress>;
}

/** Sums the device files' pkts-sofar; a missing file counts as nothing sent. */
export function sumProgress(texts: readonly string[]): PktgenProgress {
  let packets = 0;
  let errors = 0;
  for (const t of texts) {
    const s = parsePktgenDevice(t);
    if (s) {
      packets += s.packetsSoFar;
      errors += s.errors;
    }
  }
  return { packets, errors };
}

async function modprobePktgen(): Promise<void> {
  if (existsSync(PKTGEN_PROC_DIR)) return;
  await run(['modprobe', 'pktgen'], { timeoutMs: 30_000 });
  if (!existsSync(PKTGEN_PROC_DIR)) throw new GeneratorFailure('pktgen', `modprobe pktgen succeeded but ${PKTGEN_PROC_DIR} did not appear`);
}

export async function probePktgen(): Promise<Availability> {
  if (!existsSync(XDPB_HELPER)) return { available: false, reason: 'native helper not built', fix: 'run make -C native (or ./setup.sh)' };
  if (existsSync(PKTGEN_PROC_DIR)) return { available: true, detail: 'pktgen is loaded' };
  const dry = await execa('modprobe', ['-n', 'pktgen'], { reject: false, timeout: 10_000 });
  if (dry.exitCode === 0) return { available: true, detail: 'pktgen module present (loaded at first use)' };
  return { available: false, reason: NO_PKTGEN_REASON, fix: 'use a kernel with CONFIG_NET_PKTGEN=m (the VM lab, drivers/vm, boots one), or --generator live|trafgen' };
}

export interface PktgenDriver extends TrafficDriver {
  start(spec: TrafficSpec): Promise<RunningPktgen>;
}

export function createPktgenDriver(options: PktgenDriverOptions = {}): PktgenDriver {
  const mode = options.xmitMode ?? 'start_xmit';
  return {
    name: mode === 'start_xmit' ? 'pktgen' : `pktgen-${mode.replace('_', '-')}`,
    description: `kernel pktgen via /proc/net/pktgen (xmit_mode ${mode}), one kpktgend thread per CPU`,
    defaultCpus: (cpuCount) => Array.from({ length: cpuCount }, (_, i) => i),
    refusesMode: (xdpMode, dutDriver) => (xdpMode === 'generic' && dutDriver === 'veth' ? GENERIC_XDP_PEER_REASON : null),
    probe: probePktgen,
    async start(spec: TrafficSpec): Promise<RunningPktgen> {
      const params = pktgenParamsFor(spec, options);
      const plan: PktgenWorkerPlan = { writes: pktgenCommands(params), devices: params.cpus.map((c) => pktgenDeviceName(params.dev, c)), start: true };
      try {
        await modprobePktgen();
      } catch (err) {
        throw new GeneratorFailure('pktgen', `modprobe pktgen: ${(err as Error).message}`);
      }
      if (mode === 'netif_receive') {
        const attached = await queryAttached(spec.netns, spec.dev);
        if (attached.generic) throw new GeneratorFailure('pktgen', `refused: ${NETIF_RECEIVE_GENERIC_XDP_REASON}; ${spec.dev} has generic program id ${attached.generic}`);
      }
      return startWorker(spec.netns, plan, spec.durationMs, mode);
    },
  };
}

export const pktgenGenerator = createPktgenDriver();

/** The generator report from the device files read after the run (pure): pktgen's own counts. */
export function reportFromDevices(devices: Record<string, string>, runMs: number, mode: PktgenXmitMode): GeneratorReport {
  let framesSent = 0;
  let errors = 0;
  const messages: string[] = [];
  for (const [dev, text] of Object.entries(devices)) {
    const s = parsePktgenDevice(text);
    if (!s) {
      messages.push(`${dev}: unreadable device file`);
      continue;
    }
    framesSent += s.result?.packets ?? s.packetsSoFar;
    errors += s.result?.errors ?? s.errors;
    if (!s.result) messages.push(`${dev}: no result yet (${s.resultText}): pkts-sofar counted`);
  }
  if (errors) messages.push(mode === 'netif_receive' ? `${errors} frames dropped by the stack (pktgen's errors: NET_RX_DROP)` : `${errors} failed transmits (pktgen's errors)`);
  return { framesSent, durationMs: runMs, message: messages.length ? messages.join('; ') : undefined };
}

/** The worker process died by a signal before pktgen was configured (nothing was started). */
class WorkerCrashed extends GeneratorFailure {}

/**
 * Starts the worker; resolves once pktgen is configured and the run is
 * starting. A worker that crashes before configuring anything (seen once:
 * node SIGSEGV under TCG emulation) is started once more; the worker resets
 * pktgen first, so a second start is safe. Refusals are never retried.
 */
export async function startWorker(netns: string, plan: PktgenWorkerPlan, durationMs: number, mode: PktgenXmitMode = 'start_xmit'): Promise<RunningPktgen> {
  try {
    return await startWorkerOnce(netns, plan, durationMs, mode);
  } catch (err) {
    if (!(err instanceof WorkerCrashed)) throw err;
    return startWorkerOnce(netns, plan, durationMs, mode);
  }
}

async function startWorkerOnce(netns: string, plan: PktgenWorkerPlan, durationMs: number, mode: PktgenXmitMode): Promise<RunningPktgen> {
  const [file, ...args] = pktgenWorkerArgv(netns);
  const started = performance.now();
  const child: ResultPromise = execa(file!, args, { reject: false, input: JSON.stringify(plan), timeout: durationMs + 60_000, killSignal: 'SIGKILL', buffer: true });
  let stdoutSeen = '';
  const configured = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      stdoutSeen += chunk.toString();
      const events = parseWorkerEvents(stdoutSeen);
      const err = events.find((e) => e.event === 'error');
      if (err && err.event === 'error') reject(new GeneratorFailure('pktgen', workerErrorMessage(err)));
      else if (events.some((e) => e.event === 'configured')) resolve();
    };
    child.stdout!.on('data', onData);
    child.then((r) => {
      const message = `the pktgen worker ended before pktgen was configured (${r.signal ?? `exit ${r.exitCode}`}): ${String(r.stderr).slice(-400)}`;
      reject(r.signal && r.signal !== 'SIGKILL' ? new WorkerCrashed('pktgen', message) : new GeneratorFailure('pktgen', message));
    }, reject);
  });
  let stopRequested = false;
  const finished = child.then((r): GeneratorReport => {
    const events = parseWorkerEvents(String(r.stdout));
    const err = events.find((e) => e.event === 'error');
    if (err && err.event === 'error') throw new GeneratorFailure('pktgen', workerErrorMessage(err));
    const done = events.find((e) => e.event === 'done');
    if (!done || done.event !== 'done') {
      if (stopRequested) return { framesSent: null, durationMs: performance.now() - started };
      throw new GeneratorFailure('pktgen', `the pktgen worker ended without a report (${r.signal ?? `exit ${r.exitCode}`}): ${String(r.stderr).slice(-400)}`);
    }
    return reportFromDevices(done.devices, done.runMs, mode);
  });
  finished.catch(() => undefined);
  try {
    await configured;
  } catch (err) {
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    throw err;
  }
  const pid = child.pid!;
  const stopTimer = setTimeout(() => void stop(), durationMs);
  async function stop(): Promise<GeneratorReport> {
    stopRequested = true;
    clearTimeout(stopTimer);
    // SIGINT, as Ctrl-C on the samples: the worker's blocking `start` write returns and pktgen stops every thread.
    if (child.exitCode === null) child.kill('SIGINT');
    // The worker then waits (up to 3 s) for the threads' results: a slow (emulated) machine needs the margin.
    const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    try {
      return await finished;
    } finally {
      clearTimeout(hard);
    }
  }
  finished.finally(() => clearTimeout(stopTimer)).catch(() => undefined);
  return {
    finished,
    stop,
    async progress(): Promise<PktgenProgress> {
      const texts = plan.devices.map((d) => {
        try {
          return readFileSync(`/proc/${pid}/net/pktgen/${d}`, 'utf8');
        } catch {
          return '';
        }
      });
      return sumProgress(texts);
    },
  };
}

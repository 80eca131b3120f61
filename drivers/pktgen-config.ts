/* pktgen's configuration: the parameters of the kernel's samples/pktgen
 * scripts, checked the way the kernel would refuse them, turned into the
 * ordered writes to /proc/net/pktgen (pure); and the parameters one trial's
 * frame and rate ask for. The worker (drivers/pktgen-worker.ts) makes the writes. */
import type { TrafficSpec } from './traffic-driver.ts';

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

/* The latency prober: `native/build/xdpb-lat probe` sends sequence-numbered,
 * timestamped UDP probes from inside the generator netns at a low fixed rate
 * and timestamps the replies with SO_TIMESTAMPING; this file builds its argv,
 * parses its JSON, and turns the raw per-probe RTTs into percentiles and an
 * HDR-style log-linear histogram.
 *
 * Topology needs (measured on veth, kernel 6.18):
 *  - DUT: `xdp_reflect` (native/build/latency.bpf.o) on dut0 in the mode under test.
 *  - native mode: gen0 needs an XDP program of its own, or XDP_TX'd replies stay
 *    in gen0's ring (veth kicks the peer's NAPI after XDP_TX only when the peer
 *    has an XDP program; GRO alone is not enough). Attach `xdp_probe_sink` from
 *    the same object on gen0 in native mode: probe replies go on to the stack,
 *    the reflected background load is dropped and counted.
 *  - generic mode: replies come back through the stack; `xdp_probe_sink` on
 *    gen0 does no harm and keeps the reflected load out of gen0's stack.
 */
import path from 'node:path';
import { run } from '../ground/exec.ts';
import { BenchError, EXIT, KernelRefusalError } from '../ground/errors.ts';
import { NATIVE_BUILD_DIR } from '../ground/paths.ts';
import { parseHelperAnswer } from './xdpb-helper.ts';
import type { TimestampKind, TimestampSource } from '../ground/result-schema.ts';
export type { TimestampKind, TimestampSource } from '../ground/result-schema.ts';

export const XDPB_LAT = path.join(NATIVE_BUILD_DIR, 'xdpb-lat');
export const LATENCY_OBJECT = path.join(NATIVE_BUILD_DIR, 'latency.bpf.o');
/** The DUT's reflector and the generator side's probe sink, both in LATENCY_OBJECT. */
export const REFLECT_PROGRAM = 'xdp_reflect';
export const PROBE_SINK_PROGRAM = 'xdp_probe_sink';
/** First four payload bytes of every probe (big endian); xdp_probe_sink passes exactly these. */
export const PROBE_MAGIC = 0x58445060;
/** Background load as fractions of the measured maximum (the default). */
export const DEFAULT_LOAD_FRACTIONS: readonly number[] = [0, 0.1, 0.5, 0.9];

export interface ProbeOptions {
  netns: string;
  /** Interface the probes leave by: asked whether it timestamps in hardware. */
  dev: string;
  dstIp: string;
  dstPort: number;
  count: number;
  ratePps: number;
  /** 0 (default): an ephemeral port. */
  srcPort?: number;
  /** How long to wait for replies after the last probe (default 1000). */
  timeoutMs?: number;
  /** UDP payload bytes, 20..1472 (default 20: a 62-byte frame). */
  payloadBytes?: number;
  cpu?: number;
  /** Probes sent first and left out of every figure (default 2 in the prober). */
  warmup?: number;
  hwTimestamps?: 'auto' | 'off';
  /** Default false: checksum 0, which native XDP_TX on veth needs (see native/lat_probe.c). */
  udpChecksum?: boolean;
}

export interface TimestampCounts {
  hardware: number;
  software: number;
  user: number;
}

/** The prober's answer, as printed (units in names). */
export interface ProbeReport {
  netns: string;
  dev: string;
  dstIp: string;
  dstPort: number;
  srcPort: number;
  payloadBytes: number;
  ratePps: number;
  warmup: number;
  requested: number;
  sent: number;
  sendErrors: number;
  lastSendErrno: number;
  received: number;
  lost: number;
  reordered: number;
  duplicates: number;
  /** Datagrams on the socket that were not replies to this run's probes. */
  foreign: number;
  interrupted: boolean;
  durationNs: number;
  /** Worst lateness of a send against its schedule. */
  maxSendLateNs: number;
  udpChecksum: boolean;
  /** Kernel-timestamped RTT of each received probe, in sequence order. */
  rttNs: number[];
  /** The same probes timed from user space (clock_gettime around sendto/recvmsg). */
  userRttNs: number[];
  rxTimestamps: TimestampCounts;
  txTimestamps: TimestampCounts;
  rxTimestampSource: TimestampKind | null;
  txTimestampSource: TimestampKind | null;
  timestampSource: TimestampSource;
  kernelTimestamping: boolean;
  kernelTimestampingErrno: number;
  txStampsMatched: number;
  hardwareTimestamps: { offered: boolean; enabled: boolean; detail: string };
  clock: string;
  clockResolutionNs: number;
}

/** The prober printed something that is not a valid answer. */
export class ProbeOutputError extends BenchError {
  constructor(message: string) {
    super(`xdpb-lat probe: ${message}`, EXIT.runFailure);
  }
}

export function probeArgv(o: ProbeOptions): string[] {
  const argv = [XDPB_LAT, 'probe', '--netns', o.netns, '--dev', o.dev, '--dst-ip', o.dstIp,
    '--dst-port', String(o.dstPort), '--count', String(o.count), '--rate-pps', String(o.ratePps)];
  const opt = (flag: string, v: number | string | undefined) => {
    if (v !== undefined) argv.push(flag, String(v));
  };
  opt('--src-port', o.srcPort);
  opt('--timeout-ms', o.timeoutMs);
  opt('--payload-bytes', o.payloadBytes);
  opt('--cpu', o.cpu);
  opt('--warmup', o.warmup);
  opt('--hw-timestamps', o.hwTimestamps);
  opt('--udp-checksum', o.udpChecksum === undefined ? undefined : o.udpChecksum ? 'on' : 'off');
  return argv;
}

const NUMBER_FIELDS = ['dstPort', 'srcPort', 'payloadBytes', 'ratePps', 'warmup', 'requested', 'sent', 'sendErrors',
  'lastSendErrno', 'received', 'lost', 'reordered', 'duplicates', 'foreign', 'durationNs', 'maxSendLateNs',
  'kernelTimestampingErrno', 'txStampsMatched', 'clockResolutionNs'] as const;
const SOURCES: readonly string[] = ['hardware', 'software', 'user', 'mixed', 'none'];

/** Parses and checks the prober's JSON; a failure answer becomes a KernelRefusalError. */
export function parseProbeOutput(stdout: string): ProbeReport {
  let r: ProbeReport & { ok: true };
  try {
    r = parseHelperAnswer<ProbeReport>(stdout);
  } catch (error) {
    if (error instanceof KernelRefusalError) throw error;
    throw new ProbeOutputError((error as Error).message.replace(/^xdpb helper /, ''));
  }
  for (const f of NUMBER_FIELDS) {
    if (typeof r[f] !== 'number' || !Number.isFinite(r[f])) throw new ProbeOutputError(`field ${f} is missing or not a number`);
  }
  for (const f of ['rttNs', 'userRttNs'] as const) {
    if (!Array.isArray(r[f]) || r[f].some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new ProbeOutputError(`field ${f} is not a list of numbers`);
    }
  }
  if (r.rttNs.length !== r.received || r.userRttNs.length !== r.received) {
    throw new ProbeOutputError(`${r.received} replies but ${r.rttNs.length} RTTs and ${r.userRttNs.length} user RTTs`);
  }
  if (r.sent !== r.received + r.lost) throw new ProbeOutputError(`sent ${r.sent} != received ${r.received} + lost ${r.lost}`);
  if (!SOURCES.includes(r.timestampSource)) throw new ProbeOutputError(`unknown timestampSource ${String(r.timestampSource)}`);
  if (typeof r.hardwareTimestamps?.offered !== 'boolean') throw new ProbeOutputError('field hardwareTimestamps is missing');
  for (const f of ['rxTimestamps', 'txTimestamps'] as const) {
    const c = r[f];
    if (!c || ![c.hardware, c.software, c.user].every((v) => typeof v === 'number')) throw new ProbeOutputError(`field ${f} is missing`);
  }
  const { ok: _ok, ...report } = r;
  return report;
}

/** Runs the prober; bounded by its own schedule plus a margin. */
export async function runProbe(o: ProbeOptions): Promise<ProbeReport> {
  const scheduleMs = ((o.count + (o.warmup ?? 2)) / o.ratePps) * 1000 + (o.timeoutMs ?? 1000);
  const out = await run(probeArgv(o), { timeoutMs: Math.ceil(scheduleMs) + 15_000, okExitCodes: [0, 1] });
  if (out.exitCode === 2) throw new ProbeOutputError(`usage: ${out.stderr.trim()}`);
  return parseProbeOutput(out.stdout);
}

/** Background load rates for each fraction of a measured maximum (rounded; 0 stays 0 = no load). */
export function loadRatesPps(maxPps: number, fractions: readonly number[] = DEFAULT_LOAD_FRACTIONS): { fraction: number; ratePps: number }[] {
  if (!(maxPps > 0) || !Number.isFinite(maxPps)) throw new RangeError(`maximum must be a positive rate, got ${maxPps}`);
  return fractions.map((fraction) => {
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`load fraction must be 0..1, got ${fraction}`);
    return { fraction, ratePps: Math.round(maxPps * fraction) };
  });
}

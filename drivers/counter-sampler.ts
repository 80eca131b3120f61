/* Counter source: one `xdpb sample` child reads the XDP program's per-CPU
 * stats, link stats (/proc/net/dev) and ethtool stats of each device at the
 * same instant, on a fixed schedule, and on demand (a byte on its stdin). */
import readline from 'node:readline';
import { XDPB_HELPER } from '../ground/paths.ts';
import { localHost, type Host, type HostProcess } from './host.ts';
import { refusalFrom, type HelperFailure } from './xdpb-helper.ts';

export interface LinkStats {
  rx_packets: number;
  rx_bytes: number;
  rx_errors: number;
  rx_dropped: number;
  tx_packets: number;
  tx_bytes: number;
  tx_errors: number;
  tx_dropped: number;
}

/** One device at one instant. A device that went away after the sampler opened it
 * (topology torn down, replaced by another of the same name) has link null and `error`. */
export interface DeviceCounters {
  link: LinkStats | null;
  /** Why link is null. */
  error?: string;
  /** Absent: the driver has no ethtool stats; null: they could not be read (ethtoolError says why). */
  ethtool?: Record<string, number> | null;
  ethtoolError?: string;
}

export interface RawSample {
  /** CLOCK_MONOTONIC, nanoseconds. */
  tNs: number;
  /** Per stats map label: packets[action][cpu]; null when the map could not be read (error says why). */
  stats: Record<string, { packets: number[][] | null; error?: string }>;
  dev: Record<string, DeviceCounters>;
  /** Per namespace label: /proc/net/snmp groups (Ip, Udp) -> counter -> value. */
  snmp?: Record<string, Record<string, Record<string, number>>>;
  /** Per namespace label whose /proc/net/snmp could not be read: why (its snmp entry is empty). */
  snmpErrors?: Record<string, string>;
  /** With `trace`: the program's exception counts, exceptions[slot][cpu] (slots: native/xdpb_trace.h). */
  exceptions?: number[][];
  /** With `trace`: why the tracepoints could not be counted. */
  exceptionsError?: string;
}

export interface SamplerSources {
  intervalMs: number;
  /** label -> pinned xdpb_stats map */
  statsMaps: Record<string, string>;
  /** label -> { netns, dev } */
  devices: Record<string, { netns: string; dev: string }>;
  /** label -> netns whose /proc/net/snmp to read */
  snmp?: Record<string, string>;
  /** Count one XDP program's exceptions from the xdp tracepoints (native/trace.bpf.o; the links live as long as the sampler). */
  trace?: { object: string; progId: number };
}

/** The helper printed something that is not a sample: says what, with the start of the line. */
export class SamplerOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamplerOutputError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The helper prints unsigned 64-bit counters; JSON turns too many digits into Infinity. */
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const LINK_FIELDS: readonly (keyof LinkStats)[] = ['rx_packets', 'rx_bytes', 'rx_errors', 'rx_dropped', 'tx_packets', 'tx_bytes', 'tx_errors', 'tx_dropped'];

/** Where a parsed line differs from RawSample (every counter a finite number), or null. */
function sampleShapeProblem(s: Obj): string | null {
  if (!isCount(s.tNs)) return 'tNs is not a non-negative number';
  if (!isObj(s.stats)) return 'stats is not an object';
  for (const [label, m] of Object.entries(s.stats)) {
    if (!isObj(m)) return `stats.${label} is not an object`;
    if (m.packets === null) {
      if (typeof m.error !== 'string') return `stats.${label}.packets is null without an error`;
    } else if (!Array.isArray(m.packets) || !m.packets.every((row) => Array.isArray(row) && row.every(isCount))) {
      return `stats.${label}.packets is not a list of per-CPU counter lists`;
    }
  }
  if (!isObj(s.dev)) return 'dev is not an object';
  for (const [label, d] of Object.entries(s.dev)) {
    if (!isObj(d)) return `dev.${label} is not an object`;
    if (d.link === null ? typeof d.error !== 'string' : !(isObj(d.link) && LINK_FIELDS.every((f) => isCount((d.link as Obj)[f])))) return `dev.${label}.link is neither link counters nor null with an error`;
    if (d.ethtool === null ? typeof d.ethtoolError !== 'string' : d.ethtool !== undefined && !(isObj(d.ethtool) && Object.values(d.ethtool).every(isCount))) return `dev.${label}.ethtool is not a map of counters`;
  }
  if (s.snmp !== undefined) {
    // /proc/net/snmp has signed values (Tcp MaxConn -1).
    const ok = isObj(s.snmp) && Object.values(s.snmp).every((groups) => isObj(groups) &&
      Object.values(groups).every((g) => isObj(g) && Object.values(g).every((v) => typeof v === 'number' && Number.isFinite(v))));
    if (!ok) return 'snmp is not a map of namespaces, groups and counters';
  }
  if (s.exceptions !== undefined && !(Array.isArray(s.exceptions) && s.exceptions.every((row) => Array.isArray(row) && row.every(isCount)))) return 'exceptions is not a list of per-CPU counter lists';
  if (s.snmpErrors !== undefined && !(isObj(s.snmpErrors) && Object.values(s.snmpErrors).every((v) => typeof v === 'string'))) return 'snmpErrors is not a map of reasons';
  return null;
}

/** One line of `xdpb sample`; the helper's failure report becomes a KernelRefusalError naming the source;
 * anything else that is not a sample (garbage, a wrong shape) a SamplerOutputError. */
export function parseSampleLine(line: string): RawSample {
  let s: unknown;
  try {
    s = JSON.parse(line);
  } catch {
    throw new SamplerOutputError(`counter sampler printed a line that is not JSON: ${line.slice(0, 200)}`);
  }
  if (isObj(s) && s.ok === false) {
    // The helper's own failure report (no such map, netns or device): the kernel's words, naming the source.
    if (typeof s.stage === 'string' && typeof s.errno === 'number' && typeof s.error === 'string') throw refusalFrom(s as unknown as HelperFailure);
    throw new SamplerOutputError(`counter sampler failed: ${line.slice(0, 1000)}`);
  }
  const problem = isObj(s) ? sampleShapeProblem(s) : 'not an object';
  if (problem) throw new SamplerOutputError(`counter sampler printed an unexpected line (${problem}): ${line.slice(0, 200)}`);
  return s as unknown as RawSample;
}

export function samplerArgv(src: SamplerSources, helperPath = XDPB_HELPER): string[] {
  const argv = [helperPath, 'sample', '--interval-ms', String(src.intervalMs)];
  for (const [label, pin] of Object.entries(src.statsMaps)) argv.push('--stats', `${label}=${pin}`);
  for (const [label, d] of Object.entries(src.devices)) argv.push('--dev-stats', `${label}=${d.netns}/${d.dev}`);
  for (const [label, netns] of Object.entries(src.snmp ?? {})) argv.push('--snmp', `${label}=${netns}`);
  if (src.trace) argv.push('--trace-obj', src.trace.object, '--trace-prog-id', String(src.trace.progId));
  return argv;
}

export class CounterSampler {
  readonly samples: RawSample[] = [];
  private readonly proc: HostProcess;
  private waiters: ((s: RawSample) => void)[] = [];
  private failure: Error | null = null;
  private readonly exited: Promise<void>;

  private constructor(src: SamplerSources, host: Host) {
    // The sampler reads its stdin (a byte: sample now; EOF: exit), so over SSH it ends with the connection.
    this.proc = host.spawn(samplerArgv(src, host.helperPath), { stdinIsInput: true });
    const rl = readline.createInterface({ input: this.proc.child.stdout! });
    rl.on('line', (line) => {
      try {
        const sample = parseSampleLine(line);
        this.samples.push(sample);
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w(sample);
      } catch (err) {
        this.failure = err as Error;
      }
    });
    this.exited = this.proc.child.then((r) => {
      if (r.exitCode !== 0 && !this.failure) {
        this.failure = new Error(r.exitCode === 255 && host.kind === 'ssh'
          ? `the SSH connection to ${host.name} was lost (its counter sampler's ssh exited 255${String(r.stderr).trim() ? `: ${String(r.stderr).trim().slice(-200)}` : ''})`
          : `counter sampler exited ${r.exitCode}: ${String(r.stderr).slice(-300)}`);
      }
    });
  }

  static async start(src: SamplerSources, host: Host = localHost): Promise<CounterSampler> {
    const sampler = new CounterSampler(src, host);
    await sampler.next(); // the first sample proves every source opened
    return sampler;
  }

  private next(timeoutMs = 5000): Promise<RawSample> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const timer = setTimeout(() => reject(this.failure ?? new Error('counter sampler gave no sample within 5 s')), timeoutMs);
      this.waiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.exited.then(() => {
        if (this.failure) {
          clearTimeout(timer);
          reject(this.failure);
        }
      });
    });
  }

  /** Takes a sample right now (used to mark trial window edges). */
  async sampleNow(): Promise<RawSample> {
    const p = this.next();
    this.proc.child.stdin!.write('s');
    return p;
  }

  /** Samples with tNs in [fromNs, toNs]. */
  between(fromNs: number, toNs: number): RawSample[] {
    return this.samples.filter((s) => s.tNs >= fromNs && s.tNs <= toNs);
  }

  /** Drops samples older than tNs (keeps memory flat on long runs). */
  forgetBefore(tNs: number): void {
    let i = 0;
    while (i < this.samples.length && this.samples[i]!.tNs < tNs) i++;
    this.samples.splice(0, i);
  }

  async stop(): Promise<void> {
    await this.proc.stop(3000);
    await this.exited;
  }
}

/** What the runner needs of a counter source: one host's sampler, or several lined up. */
export interface Sampler {
  sampleNow(): Promise<RawSample>;
  between(fromNs: number, toNs: number): RawSample[];
  forgetBefore(tNs: number): void;
  stop(): Promise<void>;
}

/** How a host's CLOCK_MONOTONIC maps onto the reference host's, measured through the controller. */
export interface ClockAlignment {
  host: string;
  /** Add to this host's tNs to get the reference host's (ms). 0 for the reference itself. */
  offsetMs: number;
  /** Half the best round trip of the probes: the alignment is good to about this much (ms). */
  uncertaintyMs: number;
}

const ALIGN_PROBES = 5;

/**
 * Counter samplers on several hosts (generator and DUT of a lab), read as
 * one: each host's clock is mapped onto the reference host's (the DUT) with
 * an offset measured at start (NTP-style: the sample taken half way through
 * the controller's round trip, the best of ALIGN_PROBES); a merged sample is
 * a reference sample plus the nearest sample of every other host. Window
 * edges are sampled on all hosts at once. Rates still come from one clock:
 * the reference's, over windows that are seconds long against an
 * uncertainty of about half an SSH round trip.
 */
export class MultiHostSampler implements Sampler {
  private constructor(
    private readonly reference: { name: string; sampler: CounterSampler },
    private readonly others: { name: string; sampler: CounterSampler; offsetNs: number }[],
    readonly alignment: ClockAlignment[],
  ) {}

  static async start(reference: { name: string; sampler: CounterSampler }, others: { name: string; sampler: CounterSampler }[]): Promise<MultiHostSampler> {
    const alignment: ClockAlignment[] = [{ host: reference.name, offsetMs: 0, uncertaintyMs: 0 }];
    const aligned: { name: string; sampler: CounterSampler; offsetNs: number }[] = [];
    /** The host clock minus the controller's at the probe with the shortest round trip. */
    const bestProbe = async (s: CounterSampler) => {
      let best = { rttMs: Infinity, hostMinusCtlMs: 0 };
      for (let i = 0; i < ALIGN_PROBES; i++) {
        const t0 = performance.now();
        const sample = await s.sampleNow();
        const t1 = performance.now();
        if (t1 - t0 < best.rttMs) best = { rttMs: t1 - t0, hostMinusCtlMs: sample.tNs / 1e6 - (t0 + t1) / 2 };
      }
      return best;
    };
    const ref = await bestProbe(reference.sampler);
    for (const o of others) {
      const b = await bestProbe(o.sampler);
      const offsetMs = ref.hostMinusCtlMs - b.hostMinusCtlMs;
      alignment.push({ host: o.name, offsetMs, uncertaintyMs: (b.rttMs + ref.rttMs) / 2 });
      aligned.push({ ...o, offsetNs: offsetMs * 1e6 });
    }
    return new MultiHostSampler(reference, aligned, alignment);
  }

  private merge(r: RawSample): RawSample {
    const merged: RawSample = { tNs: r.tNs, stats: { ...r.stats }, dev: { ...r.dev }, ...(r.snmp ? { snmp: { ...r.snmp } } : {}) };
    for (const o of this.others) {
      let nearest: RawSample | undefined;
      let gap = Infinity;
      for (const s of o.sampler.samples) {
        const d = Math.abs(s.tNs + o.offsetNs - r.tNs);
        if (d < gap) [gap, nearest] = [d, s];
      }
      if (!nearest) continue;
      Object.assign(merged.stats, nearest.stats);
      Object.assign(merged.dev, nearest.dev);
      if (nearest.snmp) merged.snmp = { ...merged.snmp, ...nearest.snmp };
    }
    return merged;
  }

  async sampleNow(): Promise<RawSample> {
    const [r] = await Promise.all([this.reference.sampler.sampleNow(), ...this.others.map((o) => o.sampler.sampleNow())]);
    return this.merge(r!);
  }

  between(fromNs: number, toNs: number): RawSample[] {
    return this.reference.sampler.between(fromNs, toNs).map((r) => this.merge(r));
  }

  forgetBefore(tNs: number): void {
    this.reference.sampler.forgetBefore(tNs);
    // Keep the other hosts' samples a little longer: a merge looks for the nearest one.
    for (const o of this.others) o.sampler.forgetBefore(tNs - o.offsetNs - 5e9);
  }

  async stop(): Promise<void> {
    await Promise.all([this.reference.sampler.stop(), ...this.others.map((o) => o.sampler.stop())]);
  }
}

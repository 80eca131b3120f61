/* Counter source: one `xdpb sample` child reads the XDP program's per-CPU
 * stats, link stats (/proc/net/dev) and ethtool stats of each device at the
 * same instant, on a fixed schedule, and on demand (a byte on its stdin). */
import { execa, type ResultPromise } from 'execa';
import readline from 'node:readline';
import { XDPB_HELPER } from '../harness/paths.ts';

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

export interface DeviceCounters {
  link: LinkStats | null;
  ethtool?: Record<string, number>;
}

export interface RawSample {
  /** CLOCK_MONOTONIC, nanoseconds. */
  tNs: number;
  /** Per stats map label: packets[action][cpu]. */
  stats: Record<string, { packets: number[][] }>;
  dev: Record<string, DeviceCounters>;
  /** Per namespace label: /proc/net/snmp groups (Ip, Udp) -> counter -> value. */
  snmp?: Record<string, Record<string, Record<string, number>>>;
}

export interface SamplerSources {
  intervalMs: number;
  /** label -> pinned xdpb_stats map */
  statsMaps: Record<string, string>;
  /** label -> { netns, dev } */
  devices: Record<string, { netns: string; dev: string }>;
  /** label -> netns whose /proc/net/snmp to read */
  snmp?: Record<string, string>;
}

export function parseSampleLine(line: string): RawSample {
  const s = JSON.parse(line) as RawSample & { ok?: boolean; error?: string };
  if (s.ok === false) throw new Error(`counter sampler failed: ${line}`);
  if (typeof s.tNs !== 'number' || typeof s.stats !== 'object' || typeof s.dev !== 'object') {
    throw new Error(`counter sampler printed an unexpected line: ${line.slice(0, 200)}`);
  }
  return s;
}

export function samplerArgv(src: SamplerSources): string[] {
  const argv = [XDPB_HELPER, 'sample', '--interval-ms', String(src.intervalMs)];
  for (const [label, pin] of Object.entries(src.statsMaps)) argv.push('--stats', `${label}=${pin}`);
  for (const [label, d] of Object.entries(src.devices)) argv.push('--dev-stats', `${label}=${d.netns}/${d.dev}`);
  for (const [label, netns] of Object.entries(src.snmp ?? {})) argv.push('--snmp', `${label}=${netns}`);
  return argv;
}

export class CounterSampler {
  readonly samples: RawSample[] = [];
  private readonly child: ResultPromise;
  private waiters: ((s: RawSample) => void)[] = [];
  private failure: Error | null = null;
  private readonly exited: Promise<void>;

  private constructor(src: SamplerSources) {
    const [file, ...args] = samplerArgv(src);
    this.child = execa(file!, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: { stdout: false } });
    const rl = readline.createInterface({ input: this.child.stdout! });
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
    this.exited = this.child.then((r) => {
      if (r.exitCode !== 0 && !this.failure) this.failure = new Error(`counter sampler exited ${r.exitCode}: ${String(r.stderr).slice(-300)}`);
    });
  }

  static async start(src: SamplerSources): Promise<CounterSampler> {
    const sampler = new CounterSampler(src);
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
    this.child.stdin!.write('s');
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
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

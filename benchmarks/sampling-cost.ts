/* The sampling loop's own cost per sample, for npm run bench:harness: the real
 * `xdpb sample` (drivers/counter-sampler.ts CounterSampler) reading what a
 * local veth run reads (three xdpb_stats maps, the gen0/dut0 device and
 * ethtool counters, the DUT namespace's /proc/net/snmp, the xdp exception
 * tracepoints) on a throwaway topology xdpb-hb<8 hex>-gen / -dut that this
 * module creates and removes (the "hb" keeps a concurrent run's leftover
 * sweep, which matches xdpb-<8 hex>, off it). No traffic: the counters are
 * read the same way whatever their values.
 *
 * Cost = CPU the sampler process used between two reads of /proc/PID
 * (after its first sample, so its start-up is not counted) plus the CPU this
 * process used meanwhile (reading and parsing the lines; the event loop's
 * wake-ups are in it too, so it is an upper bound), over the samples taken. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CounterSampler } from '../drivers/counter-sampler.ts';
import { localHost, type Host, type HostProcess } from '../drivers/host.ts';
import { bringUpVeth, deleteNetns, planVethTopology } from '../drivers/veth-topology.ts';
import { loadObject, type LoadedObject } from '../drivers/xdpb-helper.ts';
import { run } from '../ground/exec.ts';
import { BENCH_OBJECT, BPFFS_ROOT, TRACE_OBJECT, XDPB_HELPER } from '../ground/paths.ts';
import { SOURCE } from '../harness/analysis/trial-analysis.ts';

export const DEFAULT_SAMPLE_INTERVAL_MS = 250;
/** The goal of the issue: the loop costs under 1 % of the interval. */
export const COST_LIMIT_FRACTION = 0.01;

export type SamplingCost =
  | {
      measured: true;
      intervalMs: number;
      samples: number;
      windowMs: number;
      /** Where samplerCpuNs came from: schedstat (ns, summed over threads) or utime+stime (clock ticks). */
      samplerCpuSource: 'schedstat' | 'stat';
      samplerCpuNs: number;
      /** utime+stime from /proc/PID/stat over the same window, and the tick they count in. */
      samplerStatTicks: number;
      clockTicksPerS: number;
      harnessCpuNs: number;
      /** This process's CPU over a window as long, before the sampler started: its idle floor (part of harnessCpuNs, not taken out). */
      harnessIdleCpuNs: number;
      perSampleUs: number;
      fractionOfInterval: number;
      limitFraction: number;
      pass: boolean;
    }
  | { measured: false; reason: string };

/** Why the measurement cannot run here, or null. */
export function samplingCostUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root (the sampler needs a netns, veth and BPF maps)';
  if (!existsSync(XDPB_HELPER)) return `${XDPB_HELPER} is missing (make -C native)`;
  if (!existsSync(BENCH_OBJECT) || !existsSync(TRACE_OBJECT)) return `${BENCH_OBJECT} or ${TRACE_OBJECT} is missing (make -C native)`;
  return null;
}

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat, counted after the comm's closing parenthesis). */
function statTicks(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU time of every thread of a process in ns (first field of /proc/PID/task/TID/schedstat), or null without schedstat. */
function schedstatNs(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]), 0);
  } catch {
    return null;
  }
}

function ownCpuNs(): number {
  const own = process.cpuUsage();
  return (own.user + own.system) * 1000;
}

function cpuNow(pid: number) {
  return { ticks: statTicks(pid), ns: schedstatNs(pid), ownNs: ownCpuNs() };
}

function mapPin(obj: LoadedObject, name: string): string {
  const m = obj.maps.find((x) => x.name === name);
  if (!m) throw new Error(`${BENCH_OBJECT} has no map ${name}`);
  return m.pin;
}

function progId(obj: LoadedObject, name: string): number {
  const p = obj.programs.find((x) => x.name === name);
  if (!p) throw new Error(`${BENCH_OBJECT} has no program ${name}`);
  return p.id;
}

/** Undo steps, run newest first; every failure is reported, none stops the others. */
export class Cleanup {
  private readonly steps: { what: string; undo: () => Promise<void> | void }[] = [];
  push(what: string, undo: () => Promise<void> | void): void {
    this.steps.push({ what, undo });
  }
  async run(): Promise<string[]> {
    const failures: string[] = [];
    while (this.steps.length) {
      const s = this.steps.pop()!;
      try {
        await s.undo();
      } catch (err) {
        failures.push(`${s.what}: ${(err as Error).message}`);
      }
    }
    return failures;
  }
}

/** Starts the real sampler at `intervalMs` on a topology it builds, counts `samples` of them, and returns what they cost. */
export async function measureSamplingCost(samples: number, cleanup: Cleanup, intervalMs = DEFAULT_SAMPLE_INTERVAL_MS): Promise<SamplingCost> {
  const prefix = `xdpb-hb${randomBytes(4).toString('hex')}`;
  const topology = planVethTopology(prefix);
  await bringUpVeth(topology, (ns) => cleanup.push(`netns ${ns}`, () => deleteNetns(ns)));
  const pinRoot = path.join(BPFFS_ROOT, prefix);
  mkdirSync(pinRoot, { recursive: true });
  cleanup.push(`bpffs ${pinRoot}`, () => rmSync(pinRoot, { recursive: true, force: true }));
  // As a local run has them: the DUT object and a sink object per generator port.
  const statsMaps: Record<string, string> = {};
  let dutProgId = -1;
  for (const label of [SOURCE.dutProgram, SOURCE.sinkGen0, SOURCE.sinkGen1]) {
    const loaded = await loadObject(BENCH_OBJECT, path.join(pinRoot, label));
    statsMaps[label] = mapPin(loaded, 'xdpb_stats');
    if (label === SOURCE.dutProgram) dutProgId = progId(loaded, 'xdp_drop');
  }
  const clockTicksPerS = Number((await run(['getconf', 'CLK_TCK'])).stdout.trim());
  if (!(clockTicksPerS > 0)) throw new Error('getconf CLK_TCK gave no tick rate');

  // Half an interval past the last sample: the window's edges fall between samples.
  const windowMs = samples * intervalMs + intervalMs / 2;
  const idleFrom = ownCpuNs();
  await sleep(windowMs);
  const harnessIdleCpuNs = ownCpuNs() - idleFrom;

  let proc: HostProcess | undefined;
  const recording: Host = { ...localHost, spawn: (argv, opts) => (proc = localHost.spawn(argv, opts)) };
  const sampler = await CounterSampler.start({
    intervalMs,
    statsMaps,
    devices: { [SOURCE.genDev]: { netns: topology.gen0.netns, dev: topology.gen0.dev }, [SOURCE.dutDev]: { netns: topology.dut0.netns, dev: topology.dut0.dev } },
    snmp: { [SOURCE.dutStack]: topology.dutNetns },
    trace: { object: TRACE_OBJECT, progId: dutProgId },
  }, recording);
  cleanup.push('counter sampler', () => sampler.stop());
  const pid = proc?.child.pid;
  if (!pid) throw new Error('the counter sampler has no pid');

  // Two intervals to settle (the first lines parsed, their code compiled), then the window.
  await sleep(2 * intervalMs);
  const n0 = sampler.samples.length;
  const t0 = performance.now();
  const before = cpuNow(pid);
  await sleep(windowMs);
  const after = cpuNow(pid); // read while the sampler still runs
  const elapsedMs = performance.now() - t0;
  const taken = sampler.samples.length - n0;
  if (taken < 1) throw new Error(`the counter sampler took no sample in ${elapsedMs.toFixed(0)} ms`);

  const samplerStatTicks = after.ticks - before.ticks;
  const fromSchedstat = before.ns !== null && after.ns !== null;
  const samplerCpuNs = fromSchedstat ? after.ns! - before.ns! : (samplerStatTicks / clockTicksPerS) * 1e9;
  const harnessCpuNs = after.ownNs - before.ownNs;
  const perSampleUs = (samplerCpuNs + harnessCpuNs) / taken / 1000;
  const fractionOfInterval = perSampleUs / (intervalMs * 1000);
  return {
    measured: true, intervalMs, samples: taken, windowMs: elapsedMs,
    samplerCpuSource: fromSchedstat ? 'schedstat' : 'stat', samplerCpuNs, samplerStatTicks, clockTicksPerS, harnessCpuNs, harnessIdleCpuNs,
    perSampleUs, fractionOfInterval, limitFraction: COST_LIMIT_FRACTION, pass: fractionOfInterval < COST_LIMIT_FRACTION,
  };
}

/** The lines bench:harness prints for the measurement. */
export function samplingCostLines(c: SamplingCost): string[] {
  if (!c.measured) return [`sampling cost per sample: skipped: ${c.reason}`];
  const ms = (ns: number) => `${(ns / 1e6).toFixed(2)} ms`;
  const pct = (x: number) => `${(x * 100).toFixed(3)} %`;
  return [
    `sampling cost per sample: ${c.perSampleUs.toFixed(1)} us = ${pct(c.fractionOfInterval)} of the ${c.intervalMs} ms interval: ` +
      `${c.pass ? 'PASS' : 'FAIL'} (limit ${pct(c.limitFraction)})`,
    `  ${c.samples} samples in ${(c.windowMs / 1000).toFixed(1)} s; xdpb sample used ${ms(c.samplerCpuNs)} CPU (${c.samplerCpuSource === 'schedstat' ? '/proc/PID/task/*/schedstat' : 'utime+stime'}; ` +
      `utime+stime ${c.samplerStatTicks} ticks of ${(1000 / c.clockTicksPerS).toFixed(0)} ms), this process ${ms(c.harnessCpuNs)} ` +
      `(reading and parsing the lines; ${ms(c.harnessIdleCpuNs)} over as long without the sampler, not taken out)`,
  ];
}

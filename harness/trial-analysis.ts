/* Pure functions from counter samples to trial figures and case flags. */
import type { RawSample } from '../drivers/counter-sampler.ts';
import { XDP_ACTIONS, type CaseFlag, type Sample, type TrialResult, type XdpAction, type XdpMode } from './result-schema.ts';
import { median, relativeDifference } from './statistics.ts';

/** Labels the runner gives its counter sources. */
export const SOURCE = {
  dutProgram: 'dut',
  sinkGen0: 'sink0',
  sinkGen1: 'sink1',
  genDev: 'gen0',
  dutDev: 'dut0',
} as const;

export type ProofSource = 'none' | 'reflected-to-gen0' | 'redirected-to-gen1';

function programPackets(s: RawSample, label: string): number[][] {
  const st = s.stats[label];
  if (!st) throw new Error(`sample has no program stats "${label}"`);
  return st.packets;
}

function actionTotals(s: RawSample, label: string): number[] {
  return programPackets(s, label).map((perCpu) => perCpu.reduce((a, b) => a + b, 0));
}

function link(s: RawSample, label: string, field: 'rx_packets' | 'tx_packets' | 'tx_dropped' | 'rx_dropped'): number {
  return s.dev[label]?.link?.[field] ?? 0;
}

/** Sum of ethtool counters whose names match, or null if the driver has none. */
export function ethtoolSum(s: RawSample, label: string, pattern: RegExp): number | null {
  const e = s.dev[label]?.ethtool;
  if (!e) return null;
  let sum = 0;
  let found = false;
  for (const [k, v] of Object.entries(e)) {
    if (pattern.test(k)) {
      sum += v;
      found = true;
    }
  }
  return found ? sum : null;
}

const DRIVER_XDP_PACKETS = /^rx_queue_\d+_xdp_packets$/;

function rates(a: RawSample, b: RawSample): { dtS: number; action: Record<XdpAction, number> } {
  const dtS = (b.tNs - a.tNs) / 1e9;
  const ta = actionTotals(a, SOURCE.dutProgram);
  const tb = actionTotals(b, SOURCE.dutProgram);
  const action = Object.fromEntries(XDP_ACTIONS.map((name, i) => [name, (tb[i]! - ta[i]!) / dtS])) as Record<XdpAction, number>;
  return { dtS, action };
}

function sampleBetween(a: RawSample, b: RawSample, trialStartNs: number): Sample {
  const { dtS, action } = rates(a, b);
  return {
    tStartMs: (a.tNs - trialStartNs) / 1e6,
    durationMs: dtS * 1e3,
    progPps: action,
    genTxPps: (link(b, SOURCE.genDev, 'tx_packets') - link(a, SOURCE.genDev, 'tx_packets')) / dtS,
    dutRxPps: (link(b, SOURCE.dutDev, 'rx_packets') - link(a, SOURCE.dutDev, 'rx_packets')) / dtS,
  };
}

export interface TrialInput {
  index: number;
  mode: XdpMode;
  /** Samples from window start to window end, in time order (at least two). */
  window: RawSample[];
  proof: ProofSource;
  genOwnFrames: number | null;
  genOwnDurationMs: number | null;
}

export function analyseTrial(input: TrialInput): TrialResult {
  const w = input.window;
  if (w.length < 2) throw new Error('a trial window needs at least two samples');
  const a = w[0]!;
  const b = w[w.length - 1]!;
  const { dtS, action } = rates(a, b);
  const xdpPps = XDP_ACTIONS.reduce((s, name) => s + action[name], 0);
  const pa = programPackets(a, SOURCE.dutProgram);
  const pb = programPackets(b, SOURCE.dutProgram);
  const cpuCount = pa[0]?.length ?? 0;
  const perCpuPps = Array.from({ length: cpuCount }, (_, cpu) =>
    pa.reduce((s, row, act) => s + (pb[act]![cpu]! - row[cpu]!), 0) / dtS);
  const delta = (label: string, f: 'rx_packets' | 'tx_packets' | 'tx_dropped' | 'rx_dropped') => (link(b, label, f) - link(a, label, f)) / dtS;
  const genTxPps = delta(SOURCE.genDev, 'tx_packets');
  // veth counts frames its peer refused (ring full, xdp_xmit errors) as tx_dropped of the sender.
  const genTxDroppedPps = delta(SOURCE.genDev, 'tx_dropped');
  const dutRxPps = delta(SOURCE.dutDev, 'rx_packets');
  const da = ethtoolSum(a, SOURCE.dutDev, DRIVER_XDP_PACKETS);
  const db = ethtoolSum(b, SOURCE.dutDev, DRIVER_XDP_PACKETS);
  // Driver XDP counters only see native-mode programs.
  const driverXdpPps = input.mode === 'native' && da !== null && db !== null ? (db - da) / dtS : null;
  let proofPps: number | null = null;
  if (input.proof !== 'none') {
    const sink = input.proof === 'reflected-to-gen0' ? SOURCE.sinkGen0 : SOURCE.sinkGen1;
    const sa = actionTotals(a, sink);
    const sb = actionTotals(b, sink);
    proofPps = sb.reduce((s, v, i) => s + v - sa[i]!, 0) / dtS;
  }
  const samples: Sample[] = [];
  for (let i = 1; i < w.length; i++) samples.push(sampleBetween(w[i - 1]!, w[i]!, a.tNs));
  return {
    index: input.index,
    durationMs: dtS * 1e3,
    xdpPps,
    actionPps: action,
    perCpuPps,
    genOwnPps: input.genOwnFrames !== null && input.genOwnDurationMs ? input.genOwnFrames / (input.genOwnDurationMs / 1e3) : null,
    genTxPps,
    offeredPps: genTxPps + genTxDroppedPps,
    dutRxPps,
    driverXdpPps,
    lostBeforeXdpPps: Math.max(0, genTxPps + genTxDroppedPps - xdpPps),
    proofPps,
    samples,
  };
}

export interface VerdictInput {
  trials: TrialResult[];
  expectedAction: XdpAction;
  /** CPUs the generator's threads ran on. */
  generatorCpus: number[];
  tolerance: number;
  cvLimit: number;
}

export interface Verdict {
  flags: CaseFlag[];
  notes: string[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function judgeCase(v: VerdictInput): Verdict {
  const flags = new Set<CaseFlag>();
  const notes: string[] = [];
  const med = (f: (t: TrialResult) => number) => median(v.trials.map(f));
  const xdp = med((t) => t.xdpPps);
  const offered = med((t) => t.offeredPps);

  if (offered > 0 && xdp >= (1 - v.tolerance) * offered) {
    flags.add('generator-bound');
    notes.push(`the program handled ${pct(xdp / offered)} of what the generator offered: the DUT was not saturated, so this is a lower bound`);
  }
  const cpuTotals = v.trials[0]?.perCpuPps.map((_, cpu) => v.trials.reduce((s, t) => s + (t.perCpuPps[cpu] ?? 0), 0)) ?? [];
  const all = cpuTotals.reduce((a, b) => a + b, 0);
  const onGenCpus = v.generatorCpus.reduce((s, cpu) => s + (cpuTotals[cpu] ?? 0), 0);
  if (all > 0 && onGenCpus / all >= 0.5) {
    flags.add('coupled');
    notes.push(`${pct(onGenCpus / all)} of the program's frames ran on the generator's CPUs (${v.generatorCpus.join(',')}): generator and DUT shared the CPU`);
  }
  const expected = med((t) => t.actionPps[v.expectedAction]);
  if (xdp <= 0 || expected < (1 - 0.01) * xdp) {
    flags.add('unexpected-action');
    const mix = Object.entries(v.trials[0]?.actionPps ?? {}).filter(([, pps]) => pps > 0).map(([a, pps]) => `${a} ${pps.toFixed(0)} pps`).join(', ');
    notes.push(`expected ${v.expectedAction} for every frame; the program returned: ${mix || 'nothing'}`);
  }
  const dutRx = med((t) => t.dutRxPps);
  if (relativeDifference(dutRx, xdp) > v.tolerance) {
    flags.add('sources-disagree');
    notes.push(`DUT interface RX ${dutRx.toFixed(0)} pps vs program ${xdp.toFixed(0)} pps differ by ${pct(relativeDifference(dutRx, xdp))}`);
  }
  const driverValues = v.trials.map((t) => t.driverXdpPps).filter((x): x is number => x !== null);
  if (driverValues.length === v.trials.length && driverValues.length > 0) {
    const driver = median(driverValues);
    if (relativeDifference(driver, xdp) > v.tolerance) {
      flags.add('sources-disagree');
      notes.push(`driver XDP counter ${driver.toFixed(0)} pps vs program ${xdp.toFixed(0)} pps differ by ${pct(relativeDifference(driver, xdp))}`);
    }
  }
  const proofValues = v.trials.map((t) => t.proofPps).filter((x): x is number => x !== null);
  if (proofValues.length > 0 && relativeDifference(median(proofValues), expected) > v.tolerance) {
    flags.add('sources-disagree');
    notes.push(`frames seen behind the DUT ${median(proofValues).toFixed(0)} pps vs ${v.expectedAction} by the program ${expected.toFixed(0)} pps`);
  }
  const xs = v.trials.map((t) => t.xdpPps);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  if (mean > 0 && sd / mean > v.cvLimit) {
    flags.add('high-variance');
    notes.push(`trial-to-trial CV ${pct(sd / mean)} is above ${pct(v.cvLimit)}: more or longer trials, or a quieter machine`);
  }
  return { flags: [...flags], notes };
}

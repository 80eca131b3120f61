/* Pure functions from counter samples to trial figures and case flags. */
import type { RawSample } from '../../drivers/counter-sampler.ts';
import { XDP_ACTIONS, type CaseFlag, type CounterSource, type CountingProblem, type Sample, type TrialResult, type XdpAction, type XdpMode } from '../../ground/result-schema.ts';
import type { Expectation } from '../../scenarios/builtin.ts';
import { median, relativeDifference } from './statistics.ts';

/** Labels the runner gives its counter sources. */
export const SOURCE = {
  dutProgram: 'dut',
  sinkGen0: 'sink0',
  sinkGen1: 'sink1',
  genDev: 'gen0',
  dutDev: 'dut0',
  dutStack: 'dutStack',
} as const;

export type ProofSource = 'none' | 'reflected-to-gen0' | 'redirected-to-gen1';

function programPackets(s: RawSample, label: string): number[][] {
  const st = s.stats[label];
  if (!st) throw new Error(`sample has no program stats "${label}"`);
  if (!st.packets) throw new Error(`the program stats "${label}" could not be read: ${st.error ?? 'no reason given'}`);
  return st.packets;
}

function actionTotals(s: RawSample, label: string): number[] {
  return programPackets(s, label).map((perCpu) => perCpu.reduce((a, b) => a + b, 0));
}

function snmp(s: RawSample, label: string, group: 'Ip' | 'Udp', field: string): number {
  const v = s.snmp?.[label]?.[group]?.[field];
  const why = s.snmpErrors?.[label];
  if (typeof v !== 'number') throw new Error(`sample has no /proc/net/snmp ${group} ${field} for "${label}"${why ? `: ${why}` : ''}`);
  return v;
}

/** Slots of the exception counters (native/xdpb_trace.h): 0..4 by the action returned, then these. */
const TRACE_INVALID_ACTION = 5;
const TRACE_REDIRECT_ERR = 6;
/** Index in actionCounts after the five XDP actions: a return value that is no XDP action. */
export const INVALID_ACTION = 5;

/** Exception counts per slot, summed over CPUs; null when the sampler had no tracepoint counters. */
function exceptionTotals(s: RawSample): number[] | null {
  return s.exceptions ? s.exceptions.map((perCpu) => perCpu.reduce((a, b) => a + b, 0)) : null;
}

/**
 * Cumulative frames per XDP action (index = action value; INVALID_ACTION
 * after them) at one sample:
 * - program: the built-in program's own per-CPU counters;
 * - driver:  a foreign program in native mode, from the driver's XDP counters
 *            (veth: xdp_packets, xdp_drops [aborted and invalid included],
 *            xdp_tx, xdp_redirect [successful ones]);
 * - effects: a foreign program in generic mode, from where frames went: the
 *            DUT stack's IP InReceives (pass), the sink behind the generator
 *            (tx); the rest of what the DUT interface received counts as drop.
 * Where the xdp tracepoints were sampled (s.exceptions), aborted and invalid
 * actions are taken out of drop, and TX/redirects the driver could not do are
 * counted as the action the program returned (they are not passes or drops).
 */
export function actionCounts(source: CounterSource, s: RawSample): number[] {
  if (source === 'program') return [...actionTotals(s, SOURCE.dutProgram), 0];
  const exc = exceptionTotals(s);
  const e = (slot: number) => exc?.[slot] ?? 0;
  const aborted = e(XDP_ACTIONS.indexOf('aborted'));
  const invalid = e(TRACE_INVALID_ACTION);
  const txFailed = e(XDP_ACTIONS.indexOf('tx'));
  // Some drivers report a failed redirect on both tracepoints: the larger count, never their sum.
  const redirectFailed = Math.max(e(XDP_ACTIONS.indexOf('redirect')), e(TRACE_REDIRECT_ERR));
  if (source === 'driver') {
    const sum = (re: RegExp) => ethtoolSum(s, SOURCE.dutDev, re);
    const packets = sum(DRIVER_XDP_PACKETS);
    const drops = sum(/^rx_queue_\d+_xdp_drops$/);
    const tx = sum(/^rx_queue_\d+_xdp_tx$/);
    const redirect = sum(/^rx_queue_\d+_xdp_redirect$/);
    if (packets === null || drops === null || tx === null || redirect === null) {
      throw new Error('the DUT driver has no per-queue XDP counters (ethtool -S): per-action counts are not available');
    }
    return [aborted, drops - aborted - invalid, packets - drops - tx - redirect - txFailed - redirectFailed, tx + txFailed, redirect + redirectFailed, invalid];
  }
  const received = link(s, SOURCE.dutDev, 'rx_packets');
  const pass = snmp(s, SOURCE.dutStack, 'Ip', 'InReceives');
  const tx = actionTotals(s, SOURCE.sinkGen0).reduce((a, b) => a + b, 0);
  return [aborted, received - pass - tx - txFailed - redirectFailed - aborted - invalid, pass, tx + txFailed, redirectFailed, invalid];
}

/**
 * A link counter of a sampled device. A device the sample has no counters for
 * (gone, replaced, never sampled) throws with the sampler's reason: a rate is
 * never computed from a missing counter as if it were 0.
 */
export function linkCounter(s: RawSample, label: string, field: 'rx_packets' | 'tx_packets' | 'tx_dropped' | 'rx_dropped'): number {
  const d = s.dev[label];
  if (!d) throw new Error(`the counter sample has no device "${label}"`);
  if (!d.link) throw new Error(`no link counters for device "${label}": ${d.error ?? 'the sampler gave no reason'}`);
  return d.link[field];
}

const link = linkCounter;

/** Sum of ethtool counters whose names match, or null if the driver has none; throws if they could not be read. */
export function ethtoolSum(s: RawSample, label: string, pattern: RegExp): number | null {
  const d = s.dev[label];
  if (d?.error) throw new Error(`no counters for device "${label}": ${d.error}`);
  if (d?.ethtool === null) throw new Error(`no ethtool counters for device "${label}": ${d.ethtoolError ?? 'the sampler gave no reason'}`);
  const e = d?.ethtool;
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

/**
 * Per-action rates between two samples. A rate worked out as a remainder
 * (drop or pass of a foreign program) can come out below zero when the
 * counters disagree: that is a counting problem, reported, and the rate is
 * held at 0 rather than shown as a negative figure.
 */
function rates(source: CounterSource, a: RawSample, b: RawSample): { dtS: number; action: Record<XdpAction, number>; invalidPps: number; problems: CountingProblem[] } {
  const dtS = (b.tNs - a.tNs) / 1e9;
  // Exceptions read at one end only (a failed read: exceptionsError) would count every exception ever as this window's.
  if (!a.exceptions !== !b.exceptions) [a, b] = [withoutExceptions(a), withoutExceptions(b)];
  const ta = actionCounts(source, a);
  const tb = actionCounts(source, b);
  const problems: CountingProblem[] = [];
  const rate = (i: number, name: string) => {
    const r = (tb[i]! - ta[i]!) / dtS;
    if (r >= 0) return r;
    problems.push({ rate: name, remainderPps: r });
    return 0;
  };
  const action = Object.fromEntries(XDP_ACTIONS.map((name, i) => [name, rate(i, name)])) as Record<XdpAction, number>;
  return { dtS, action, invalidPps: rate(INVALID_ACTION, 'invalid action'), problems };
}

function withoutExceptions(s: RawSample): RawSample {
  const { exceptions: _dropped, ...rest } = s;
  return rest;
}

const TRACE_SLOT_NAMES = ['aborted', 'drop', 'pass', 'tx', 'redirect', 'invalid action', 'redirect error'];

/**
 * Exception and redirect-error rates between two samples, with their per-CPU
 * split; null without tracepoint counters. The counters only grow: a slot that
 * went backwards on any CPU is a counting problem (recorded in `problems`),
 * counted as 0, never a negative figure.
 */
function exceptionRates(a: RawSample, b: RawSample, dtS: number, problems: CountingProblem[]): NonNullable<TrialResult['exceptions']> | null {
  if (!a.exceptions || !b.exceptions) return null;
  const cpus = b.exceptions[0]?.length ?? 0;
  const deltas = b.exceptions.map((row, i) => row.map((v, cpu) => v - (a.exceptions![i]?.[cpu] ?? 0)));
  const backwards = deltas.map((row) => row.filter((d) => d < 0).reduce((s, d) => s + d, 0));
  backwards.forEach((sum, i) => {
    if (sum < 0) problems.push({ rate: `xdp tracepoint count (${TRACE_SLOT_NAMES[i] ?? `slot ${i}`})`, remainderPps: sum / dtS });
  });
  const ok = (i: number) => backwards[i] === 0;
  const slot = (i: number) => (ok(i) ? deltas[i]!.reduce((s, d) => s + d, 0) / dtS : 0);
  return {
    abortedPps: slot(XDP_ACTIONS.indexOf('aborted')),
    invalidActionPps: slot(TRACE_INVALID_ACTION),
    txErrorPps: slot(XDP_ACTIONS.indexOf('tx')),
    redirectErrorPps: Math.max(slot(XDP_ACTIONS.indexOf('redirect')), slot(TRACE_REDIRECT_ERR)),
    perCpuPps: Array.from({ length: cpus }, (_, cpu) => deltas.reduce((s, row, i) => s + (ok(i) ? row[cpu]! : 0), 0) / dtS),
  };
}

function sampleBetween(source: CounterSource, a: RawSample, b: RawSample, trialStartNs: number): Sample {
  const { dtS, action } = rates(source, a, b);
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
  /** Where per-action counts come from (see actionCounts). */
  counters: CounterSource;
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
  const { dtS, action, invalidPps, problems } = rates(input.counters, a, b);
  // All frames the program handled: an invalid return value is a frame it handled too.
  const xdpPps = XDP_ACTIONS.reduce((s, name) => s + action[name], 0) + invalidPps;
  const exceptions = exceptionRates(a, b, dtS, problems);
  const exceptionsError = w.find((s) => s.exceptionsError)?.exceptionsError;
  // Per-CPU counts exist only where the program counts itself.
  let perCpuPps: number[] = [];
  if (input.counters === 'program') {
    const pa = programPackets(a, SOURCE.dutProgram);
    const pb = programPackets(b, SOURCE.dutProgram);
    perCpuPps = Array.from({ length: pa[0]?.length ?? 0 }, (_, cpu) => pa.reduce((s, row, act) => s + (pb[act]![cpu]! - row[cpu]!), 0) / dtS);
  }
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
  for (let i = 1; i < w.length; i++) samples.push(sampleBetween(input.counters, w[i - 1]!, w[i]!, a.tNs));
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
    ...(exceptions ? { exceptions } : {}),
    ...(problems.length ? { countingProblems: problems } : {}),
    ...(exceptionsError ? { exceptionsError } : {}),
  };
}

export interface VerdictInput {
  trials: TrialResult[];
  expect: Expectation;
  /** CPUs the generator's threads ran on. */
  generatorCpus: number[];
  /** Where the DUT's NAPI ran: used for `coupled` when there are no per-CPU counts. */
  dutNapiCpu: number | null;
  tolerance: number;
  cvLimit: number;
  /** Generator and DUT on one machine (default): only then can they share CPUs. */
  sameHost?: boolean;
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
  if (v.sameHost === false) {
    // Separate hosts: the generator's CPU numbers say nothing about the DUT's.
  } else if (all > 0 && onGenCpus / all >= 0.5) {
    flags.add('coupled');
    notes.push(`${pct(onGenCpus / all)} of the program's frames ran on the generator's CPUs (${v.generatorCpus.join(',')}): generator and DUT shared the CPU`);
  } else if (all === 0 && v.dutNapiCpu === null) {
    flags.add('coupled');
    notes.push('no per-CPU program counters; the DUT was not decoupled, so on veth it ran on the generator\'s CPUs');
  }
  const mixText = () => [...XDP_ACTIONS.map((a) => [a, med((t) => t.actionPps[a])] as const), ['invalid action', med((t) => t.exceptions?.invalidActionPps ?? 0)] as const]
    .filter(([, pps]) => pps > 0).map(([a, pps]) => `${a} ${pct(pps / xdp)}`).join(', ');
  let expected = xdp;
  if (v.expect.kind === 'action') {
    expected = med((t) => t.actionPps[(v.expect as { action: XdpAction }).action]);
    if (xdp <= 0 || expected < (1 - 0.01) * xdp) {
      flags.add('unexpected-action');
      notes.push(`expected ${v.expect.action} for every frame; the program returned: ${xdp > 0 ? mixText() : 'nothing'}`);
    }
  } else if (v.expect.kind === 'mix') {
    const off = XDP_ACTIONS.filter((a) => Math.abs((xdp > 0 ? med((t) => t.actionPps[a]) / xdp : 0) - ((v.expect as { fractions: Partial<Record<XdpAction, number>> }).fractions[a] ?? 0)) > v.tolerance);
    if (xdp <= 0 || off.length) {
      flags.add('unexpected-action');
      const want = Object.entries(v.expect.fractions).map(([a, f]) => `${a} ${pct(f ?? 0)}`).join(', ');
      notes.push(`expected ${want}; the program returned: ${xdp > 0 ? mixText() : 'nothing'}`);
    }
  }
  // A remainder below zero: counters read one after another in a sample differ by a few frames
  // (within tolerance), or they do not count the same frames (beyond it: flagged).
  for (const t of v.trials) {
    for (const p of t.countingProblems ?? []) {
      const beyond = Math.abs(p.remainderPps) > v.tolerance * Math.max(t.xdpPps, 1);
      if (beyond) flags.add('sources-disagree');
      notes.push(`trial ${t.index + 1}: ${p.rate} worked out as ${p.remainderPps.toFixed(0)} pps, a remainder below zero: a counting problem (${beyond ? 'beyond' : 'within'} the tolerance of ${pct(v.tolerance)} of ${t.xdpPps.toFixed(0)} pps), counted as 0, not a figure`);
    }
  }
  const uncounted = v.trials.filter((t) => t.exceptionsError);
  if (uncounted.length) {
    const why = [...new Set(uncounted.map((t) => t.exceptionsError!))].join('; ');
    notes.push(`xdp exception tracepoints not counted in trial ${uncounted.map((t) => t.index + 1).join(', ')} (${why}): for a program that does not count itself, aborted and invalid actions are counted as drop, and failed TX/redirects may be counted as another action`);
  }
  const exc = v.trials.filter((t) => t.exceptions).map((t) => t.exceptions!);
  if (exc.length) {
    const m = (f: (e: NonNullable<TrialResult['exceptions']>) => number) => median(exc.map(f));
    const parts = [['aborted', m((e) => e.abortedPps)], ['invalid action', m((e) => e.invalidActionPps)], ['TX the driver could not do', m((e) => e.txErrorPps)], ['failed redirects', m((e) => e.redirectErrorPps)]] as const;
    const seen = parts.filter(([, pps]) => pps > 0);
    if (seen.length) notes.push(`xdp exception tracepoints: ${seen.map(([what, pps]) => `${what} ${pps.toFixed(0)} pps`).join(', ')}`);
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
  if (v.expect.kind === 'action' && proofValues.length > 0 && relativeDifference(median(proofValues), expected) > v.tolerance) {
    flags.add('sources-disagree');
    notes.push(`frames seen behind the DUT ${median(proofValues).toFixed(0)} pps vs ${v.expect.action} by the program ${expected.toFixed(0)} pps`);
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

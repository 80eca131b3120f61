/* analyseTrial on a real captured window (test/fixtures/trial-window-native-drop.jsonl, made by
 * test/fixtures/capture-trial-window.sh: xdp_drop native on a veth, live generator on CPU 0 for 1 s,
 * sampled every 100 ms), and judgeCase on constructed trials. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import type { RawSample } from '../../drivers/counter-sampler.ts';
import { parseSampleLine } from '../../drivers/counter-sampler.ts';
import type { TrialInput } from '../../harness/analysis/trial-analysis.ts';
import { analyseTrial, ethtoolSum, judgeCase, SOURCE } from '../../harness/analysis/trial-analysis.ts';
import type { TrialResult, XdpAction } from '../../ground/result-schema.ts';

const LINES = readFileSync(new URL('../fixtures/trial-window-native-drop.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');

/** The raw JSON, read independently of the code under test. */
interface Raw {
  tNs: number;
  stats: Record<string, { packets: number[][] }>;
  dev: Record<string, { link: Record<string, number>; ethtool?: Record<string, number> }>;
}
const RAW: Raw[] = LINES.map((l) => JSON.parse(l) as Raw);
const WINDOW: RawSample[] = LINES.map(parseSampleLine);

const first = RAW[0]!;
const last = RAW[RAW.length - 1]!;
const DT_S = (last.tNs - first.tNs) / 1e9;
const DROP = 1; // XDP_DROP row
const sumRow = (r: Raw, action: number) => r.stats.dut!.packets[action]!.reduce((a, b) => a + b, 0);
const sumAll = (r: Raw) => r.stats.dut!.packets.flat().reduce((a, b) => a + b, 0);

function close(t: { true: (c: boolean, m?: string) => void }, actual: number, expected: number, rel = 1e-9, what = '') {
  const ok = Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected));
  t.true(ok, `${what} expected ${expected}, got ${actual}`);
}

function input(overrides: Partial<TrialInput> = {}): TrialInput {
  return { index: 0, mode: 'native', counters: 'program', window: WINDOW, proof: 'none', genOwnFrames: null, genOwnDurationMs: null, ...overrides } as TrialInput;
}

test('the captured window is a real run: 100 ms samples, labels the runner uses, traffic in the middle', (t) => {
  t.true(RAW.length >= 10, `${RAW.length} samples`);
  for (const label of [SOURCE.dutProgram, SOURCE.sinkGen0, SOURCE.sinkGen1]) t.truthy(first.stats[label]);
  for (const label of [SOURCE.genDev, SOURCE.dutDev]) t.truthy(first.dev[label]);
  t.true(sumRow(last, DROP) - sumRow(first, DROP) > 100_000, 'the generator got frames to the DUT');
  t.true(DT_S > 1 && DT_S < 3, `window ${DT_S} s`);
});

test('analyseTrial: xdpPps = drop counter delta / dt computed from the raw lines', (t) => {
  const r = analyseTrial(input());
  const dropDelta = sumRow(last, DROP) - sumRow(first, DROP);
  const allDelta = sumAll(last) - sumAll(first);
  t.is(dropDelta, allDelta, 'xdp_drop only ever returns XDP_DROP');
  close(t, r.xdpPps, dropDelta / DT_S, 1e-9, 'xdpPps');
  close(t, r.durationMs, DT_S * 1000, 1e-12, 'durationMs');
  t.is(r.index, 0);
});

test('analyseTrial: actionPps.drop carries all of it, the other actions 0', (t) => {
  const r = analyseTrial(input());
  close(t, r.actionPps.drop, r.xdpPps, 1e-12, 'drop');
  for (const a of ['aborted', 'pass', 'tx', 'redirect'] as XdpAction[]) t.is(r.actionPps[a], 0, a);
});

test('analyseTrial: perCpuPps has one entry per CPU column and sums to xdpPps', (t) => {
  const r = analyseTrial(input());
  const cpus = first.stats.dut!.packets[0]!.length;
  t.is(r.perCpuPps.length, cpus);
  for (let c = 0; c < cpus; c++) {
    const delta = last.stats.dut!.packets.reduce((s, row, act) => s + row[c]! - first.stats.dut!.packets[act]![c]!, 0);
    close(t, r.perCpuPps[c]!, delta / DT_S, 1e-9, `cpu ${c}`);
  }
  close(t, r.perCpuPps.reduce((a, b) => a + b, 0), r.xdpPps, 1e-9, 'sum');
  // the generator ran on CPU 0 and veth delivers on the sender's CPU: almost everything is on CPU 0
  t.true(r.perCpuPps[0]! / r.xdpPps > 0.99);
});

test('analyseTrial: link counters -> genTxPps, dutRxPps; nothing lost before XDP here', (t) => {
  const r = analyseTrial(input());
  const genTx = (last.dev.gen0!.link.tx_packets! - first.dev.gen0!.link.tx_packets!) / DT_S;
  const genTxDropped = (last.dev.gen0!.link.tx_dropped! - first.dev.gen0!.link.tx_dropped!) / DT_S;
  const dutRx = (last.dev.dut0!.link.rx_packets! - first.dev.dut0!.link.rx_packets!) / DT_S;
  close(t, r.genTxPps, genTx, 1e-9, 'genTxPps');
  close(t, r.dutRxPps, dutRx, 1e-9, 'dutRxPps');
  close(t, r.lostBeforeXdpPps, Math.max(0, genTx + genTxDropped - r.xdpPps), 1e-6, 'lostBeforeXdpPps');
  t.true(r.lostBeforeXdpPps >= 0);
});

test('analyseTrial: driverXdpPps = ethtool rx_queue_N_xdp_packets delta in native mode', (t) => {
  const r = analyseTrial(input({ mode: 'native' }));
  const e = (x: Raw) => x.dev.dut0!.ethtool!.rx_queue_0_xdp_packets!;
  t.not(r.driverXdpPps, null);
  close(t, r.driverXdpPps!, (e(last) - e(first)) / DT_S, 1e-9, 'driverXdpPps');
  // veth's own XDP counter agrees with the program's
  close(t, r.driverXdpPps!, r.xdpPps, 1e-3, 'driver vs program');
});

test('analyseTrial: driverXdpPps is null in generic and offload mode', (t) => {
  t.is(analyseTrial(input({ mode: 'generic' })).driverXdpPps, null);
  t.is(analyseTrial(input({ mode: 'offload' })).driverXdpPps, null);
});

test('analyseTrial: samples are the consecutive intervals (lines - 1 of them)', (t) => {
  const r = analyseTrial(input());
  t.is(r.samples.length, LINES.length - 1);
  t.is(r.samples[0]!.tStartMs, 0);
  let total = 0;
  for (let i = 0; i < r.samples.length; i++) {
    const s = r.samples[i]!;
    const a = RAW[i]!;
    const b = RAW[i + 1]!;
    const dt = (b.tNs - a.tNs) / 1e9;
    close(t, s.tStartMs, (a.tNs - first.tNs) / 1e6, 1e-12, `tStartMs ${i}`);
    close(t, s.durationMs, dt * 1e3, 1e-12, `durationMs ${i}`);
    close(t, s.progPps.drop, (sumRow(b, DROP) - sumRow(a, DROP)) / dt, 1e-9, `drop ${i}`);
    close(t, s.genTxPps, (b.dev.gen0!.link.tx_packets! - a.dev.gen0!.link.tx_packets!) / dt, 1e-9, `genTx ${i}`);
    close(t, s.dutRxPps, (b.dev.dut0!.link.rx_packets! - a.dev.dut0!.link.rx_packets!) / dt, 1e-9, `dutRx ${i}`);
    total += s.durationMs;
  }
  close(t, total, r.durationMs, 1e-9, 'intervals cover the window');
});

test('analyseTrial: proof counters from sink0 / sink1, null without proof', (t) => {
  t.is(analyseTrial(input({ proof: 'none' })).proofPps, null);
  // The capture pointed sink0 and sink1 at the DUT's own map, so the proof equals the program's total.
  const expected = (sumAll(last) - sumAll(first)) / DT_S;
  close(t, analyseTrial(input({ proof: 'reflected-to-gen0' })).proofPps!, expected, 1e-9, 'sink0');
  close(t, analyseTrial(input({ proof: 'redirected-to-gen1' })).proofPps!, expected, 1e-9, 'sink1');
});

test('analyseTrial: genOwnPps from the generator\'s own count, null when missing', (t) => {
  close(t, analyseTrial(input({ genOwnFrames: 3_000_000, genOwnDurationMs: 1500 })).genOwnPps!, 2_000_000, 1e-12, 'genOwnPps');
  t.is(analyseTrial(input({ genOwnFrames: null, genOwnDurationMs: 1000 })).genOwnPps, null);
  t.is(analyseTrial(input({ genOwnFrames: 5, genOwnDurationMs: null })).genOwnPps, null);
  t.is(analyseTrial(input({ genOwnFrames: 5, genOwnDurationMs: 0 })).genOwnPps, null);
});

test('analyseTrial: a sub-window gives that sub-window\'s rate', (t) => {
  const from = 4;
  const to = 12;
  const r = analyseTrial(input({ window: WINDOW.slice(from, to + 1) }));
  const dt = (RAW[to]!.tNs - RAW[from]!.tNs) / 1e9;
  close(t, r.xdpPps, (sumAll(RAW[to]!) - sumAll(RAW[from]!)) / dt, 1e-9, 'xdpPps');
  t.is(r.samples.length, to - from);
  t.true(r.xdpPps > 100_000, 'traffic was flowing then');
});

test('analyseTrial: fewer than two samples throws', (t) => {
  t.throws(() => analyseTrial(input({ window: [WINDOW[0]!] })), { message: /at least two samples/ });
  t.throws(() => analyseTrial(input({ window: [] })), { message: /at least two samples/ });
});

test('analyseTrial: a window without the DUT program stats names the missing label', (t) => {
  const noDut = WINDOW.map((s) => ({ ...s, stats: { sink0: s.stats.sink0! } }));
  t.throws(() => analyseTrial(input({ window: noDut })), { message: /"dut"/ });
});

// The reason text is xdpb sample's own (captured after `ip link del` of a sampled device, see counter-sampler.test.ts).
const GONE = 'device xdpb-a is gone from netns xdpb-nh4895 (No such device)';
const withLastDev = (label: string, d: RawSample['dev'][string]) =>
  WINDOW.map((s, i) => (i === WINDOW.length - 1 ? { ...s, dev: { ...s.dev, [label]: d } } : s));

test('analyseTrial: a device gone before the window ended fails with its name and the reason, never a rate from 0', (t) => {
  for (const label of [SOURCE.genDev, SOURCE.dutDev]) {
    const err = t.throws(() => analyseTrial(input({ window: withLastDev(label, { link: null, error: GONE }) })));
    t.is(err!.message, `no link counters for device "${label}": ${GONE}`);
  }
});

test('analyseTrial: a device missing from a sample, or ethtool stats that could not be read, fail the trial', (t) => {
  const noDev = WINDOW.map((s) => ({ ...s, dev: { dut0: s.dev.dut0! } }));
  t.throws(() => analyseTrial(input({ window: noDev })), { message: 'the counter sample has no device "gen0"' });
  const last = WINDOW[WINDOW.length - 1]!.dev.dut0!;
  const noEthtool = withLastDev(SOURCE.dutDev, { link: last.link, ethtool: null, ethtoolError: 'ethtool stats of dut0 in netns x: No such device' });
  t.throws(() => analyseTrial(input({ window: noEthtool })), { message: /no ethtool counters for device "dut0": ethtool stats of dut0/ });
});

test('ethtoolSum: sums matching keys, null without ethtool or without a match', (t) => {
  const s: RawSample = {
    tNs: 0,
    stats: {},
    dev: {
      d: { link: null, ethtool: { rx_queue_0_xdp_packets: 5, rx_queue_1_xdp_packets: 7, rx_queue_0_xdp_bytes: 100 } },
      n: { link: null },
    },
  };
  t.is(ethtoolSum(s, 'd', /^rx_queue_\d+_xdp_packets$/), 12);
  t.is(ethtoolSum(s, 'd', /^nothing$/), null);
  t.is(ethtoolSum(s, 'n', /./), null);
  t.is(ethtoolSum(s, 'missing', /./), null);
});

/* ---- judgeCase on constructed trials ---- */

const ZERO: Record<XdpAction, number> = { aborted: 0, drop: 0, pass: 0, tx: 0, redirect: 0 };

interface TrialShape {
  xdp: number;
  offered?: number; // genTxPps; lost before XDP is 0 unless given
  lost?: number;
  dutRx?: number;
  perCpu?: number[];
  actions?: Partial<Record<XdpAction, number>>;
  driver?: number | null;
  proof?: number | null;
}

function trial(s: TrialShape, index = 0): TrialResult {
  return {
    index,
    durationMs: 10_000,
    xdpPps: s.xdp,
    actionPps: { ...ZERO, ...(s.actions ?? { drop: s.xdp }) },
    perCpuPps: s.perCpu ?? [0, s.xdp],
    genOwnPps: null,
    genTxPps: s.offered ?? s.xdp * 2,
    offeredPps: (s.offered ?? s.xdp * 2) + (s.lost ?? 0),
    dutRxPps: s.dutRx ?? s.xdp,
    driverXdpPps: s.driver ?? null,
    lostBeforeXdpPps: s.lost ?? 0,
    proofPps: s.proof ?? null,
    samples: [],
  };
}

const judge = (trials: TrialResult[], extra: { expectedAction?: XdpAction; generatorCpus?: number[]; tolerance?: number; cvLimit?: number } = {}) => {
  const { expectedAction = 'drop', ...rest } = extra;
  return judgeCase({ trials, expect: { kind: 'action', action: expectedAction }, generatorCpus: [0], dutNapiCpu: 1, tolerance: 0.05, cvLimit: 0.05, ...rest });
};

test('judgeCase: a saturated, clean case has no flags and no notes', (t) => {
  // DUT handled 1 Mpps of 2 Mpps offered, all dropped, all on CPU 1, sources agree, 3 steady trials
  const v = judge([trial({ xdp: 1_000_000 }, 0), trial({ xdp: 1_010_000 }, 1), trial({ xdp: 990_000 }, 2)]);
  t.deepEqual(v.flags, []);
  t.deepEqual(v.notes, []);
});

test('judgeCase: generator-bound when xdp >= (1 - tolerance) * offered', (t) => {
  const bound = judge([trial({ xdp: 960_000, offered: 1_000_000 })]);
  t.deepEqual(bound.flags, ['generator-bound']);
  t.regex(bound.notes[0]!, /96\.0 %/);
  // offered includes what was lost before XDP: 960k of (900k + 100k) offered
  t.true(judge([trial({ xdp: 960_000, offered: 900_000, lost: 100_000 })]).flags.includes('generator-bound'));
  t.true(judge([trial({ xdp: 950_001, offered: 1_000_000 })]).flags.includes('generator-bound'));
  t.false(judge([trial({ xdp: 949_000, offered: 1_000_000 })]).flags.includes('generator-bound'));
  t.false(judge([trial({ xdp: 500_000, offered: 1_000_000 })]).flags.includes('generator-bound'));
  // a looser tolerance makes the same figures generator-bound
  t.true(judge([trial({ xdp: 800_000, offered: 1_000_000, dutRx: 800_000 })], { tolerance: 0.25 }).flags.includes('generator-bound'));
  // nothing offered (no link counter): not generator-bound
  t.false(judge([trial({ xdp: 1_000_000, offered: 0 })]).flags.includes('generator-bound'));
});

test('judgeCase: generator-bound uses the medians over trials', (t) => {
  const trials = [
    trial({ xdp: 990_000, offered: 1_000_000 }, 0),
    trial({ xdp: 1_000_000, offered: 1_010_000 }, 1),
    trial({ xdp: 100_000, offered: 1_000_000, dutRx: 100_000 }, 2), // outlier: medians still bound
  ];
  t.true(judge(trials, { cvLimit: 10 }).flags.includes('generator-bound'));
});

test('judgeCase: coupled when >= half of the frames ran on the generator\'s CPUs', (t) => {
  const onGen = judge([trial({ xdp: 1_000_000, perCpu: [900_000, 100_000] })], { generatorCpus: [0] });
  t.deepEqual(onGen.flags, ['coupled']);
  t.regex(onGen.notes[0]!, /90\.0 % .*CPUs \(0\)/);
  t.deepEqual(judge([trial({ xdp: 1_000_000, perCpu: [900_000, 100_000] })], { generatorCpus: [1] }).flags, []);
  t.true(judge([trial({ xdp: 1_000_000, perCpu: [500_000, 500_000] })], { generatorCpus: [1] }).flags.includes('coupled'));
  t.false(judge([trial({ xdp: 1_000_000, perCpu: [510_000, 490_000] })], { generatorCpus: [1] }).flags.includes('coupled'));
  // several generator CPUs add up; a CPU beyond the list counts 0
  t.true(judge([trial({ xdp: 1_000_000, perCpu: [300_000, 300_000, 400_000] })], { generatorCpus: [0, 1] }).flags.includes('coupled'));
  t.false(judge([trial({ xdp: 1_000_000, perCpu: [300_000, 700_000] })], { generatorCpus: [0, 9] }).flags.includes('coupled'));
});

test('judgeCase: coupled is judged over all trials together', (t) => {
  const trials = [
    trial({ xdp: 1_000_000, perCpu: [1_000_000, 0] }, 0),
    trial({ xdp: 1_000_000, perCpu: [0, 1_000_000] }, 1),
    trial({ xdp: 1_000_000, perCpu: [0, 1_000_000] }, 2),
  ];
  t.false(judge(trials).flags.includes('coupled')); // 1/3 on CPU 0
  t.true(judge(trials, { generatorCpus: [1] }).flags.includes('coupled')); // 2/3 on CPU 1
});

test('judgeCase: unexpected-action when the expected action is not ~all of xdp', (t) => {
  const pass = judge([trial({ xdp: 1_000_000, actions: { pass: 1_000_000 } })]);
  t.deepEqual(pass.flags, ['unexpected-action']);
  t.is(pass.notes[0], 'expected drop for every frame; the program returned: pass 100.0 %');
  t.true(judge([trial({ xdp: 1_000_000, actions: { drop: 980_000, aborted: 20_000 } })]).flags.includes('unexpected-action'));
  t.false(judge([trial({ xdp: 1_000_000, actions: { drop: 995_000, aborted: 5_000 } })]).flags.includes('unexpected-action'));
  t.false(judge([trial({ xdp: 1_000_000, actions: { tx: 1_000_000 } })], { expectedAction: 'tx' }).flags.includes('unexpected-action'));
  const none = judge([trial({ xdp: 0, actions: {}, perCpu: [0, 0], offered: 1_000_000 })]);
  t.true(none.flags.includes('unexpected-action'), 'no frame at all is not the expected action');
  t.true(none.notes.some((n) => n.endsWith('returned: nothing')));
});

test('judgeCase: sources-disagree when DUT link RX differs from the program', (t) => {
  const v = judge([trial({ xdp: 1_000_000, dutRx: 800_000 })]);
  t.deepEqual(v.flags, ['sources-disagree']);
  t.is(v.notes[0], 'DUT interface RX 800000 pps vs program 1000000 pps differ by 20.0 %');
  t.deepEqual(judge([trial({ xdp: 1_000_000, dutRx: 970_000 })]).flags, []);
  t.deepEqual(judge([trial({ xdp: 1_000_000, dutRx: 1_200_000 })]).flags, ['sources-disagree']);
});

test('judgeCase: sources-disagree from the driver counter, only when every trial has one', (t) => {
  t.deepEqual(judge([trial({ xdp: 1_000_000, driver: 700_000 })]).flags, ['sources-disagree']);
  t.deepEqual(judge([trial({ xdp: 1_000_000, driver: 1_000_000 })]).flags, []);
  const partial = [trial({ xdp: 1_000_000, driver: 700_000 }, 0), trial({ xdp: 1_000_000, driver: null }, 1)];
  t.deepEqual(judge(partial).flags, []);
});

test('judgeCase: sources-disagree from the proof counter vs the expected action', (t) => {
  const v = judge([trial({ xdp: 1_000_000, actions: { tx: 1_000_000 }, proof: 600_000 })], { expectedAction: 'tx' });
  t.deepEqual(v.flags, ['sources-disagree']);
  t.regex(v.notes[0]!, /behind the DUT 600000 pps vs tx by the program 1000000 pps/);
  t.deepEqual(judge([trial({ xdp: 1_000_000, actions: { tx: 1_000_000 }, proof: 990_000 })], { expectedAction: 'tx' }).flags, []);
});

test('judgeCase: high-variance when the sample CV of xdpPps exceeds the limit', (t) => {
  // 90k, 100k, 110k: mean 100k, sample sd 10k -> CV 10 %
  const trials = [trial({ xdp: 90_000 }, 0), trial({ xdp: 100_000 }, 1), trial({ xdp: 110_000 }, 2)];
  const v = judge(trials, { cvLimit: 0.05 });
  t.deepEqual(v.flags, ['high-variance']);
  t.is(v.notes[0], 'trial-to-trial CV 10.0 % is above 5.0 %: more or longer trials, or a quieter machine');
  t.deepEqual(judge(trials, { cvLimit: 0.11 }).flags, []);
  // population sd would be 8.16k (CV 8.2 %): a 9 % limit separates n-1 from n
  t.deepEqual(judge(trials, { cvLimit: 0.09 }).flags, ['high-variance']);
  t.deepEqual(judge([trial({ xdp: 90_000 })], { cvLimit: 0.0001 }).flags, [], 'one trial has no spread');
});

test('judgeCase: several flags at once, each with a note', (t) => {
  const trials = [
    trial({ xdp: 1_000_000, offered: 1_000_000, perCpu: [1_000_000, 0], actions: { pass: 1_000_000 }, dutRx: 500_000 }, 0),
    trial({ xdp: 1_500_000, offered: 1_500_000, perCpu: [1_500_000, 0], actions: { pass: 1_500_000 }, dutRx: 700_000 }, 1),
  ];
  const v = judge(trials);
  t.deepEqual(v.flags, ['generator-bound', 'coupled', 'unexpected-action', 'sources-disagree', 'high-variance']);
  t.is(v.notes.length, 5);
});

test('judgeCase on the real captured trial: generator-bound and coupled, sources agree', (t) => {
  const r = analyseTrial(input({ window: WINDOW }));
  const v = judge([r], { generatorCpus: [0] });
  t.deepEqual(v.flags, ['generator-bound', 'coupled']);
});

test('judgeCase: an expected action mix is checked within the tolerance', (t) => {
  const mixed = trial({ xdp: 1_000_000, actions: { drop: 500_000, pass: 500_000 } });
  const ok = judgeCase({ trials: [mixed], expect: { kind: 'mix', fractions: { drop: 0.5, pass: 0.5 } }, generatorCpus: [0], dutNapiCpu: 1, tolerance: 0.05, cvLimit: 0.1 });
  t.false(ok.flags.includes('unexpected-action'));
  const bad = judgeCase({ trials: [mixed], expect: { kind: 'mix', fractions: { drop: 0.9, pass: 0.1 } }, generatorCpus: [0], dutNapiCpu: 1, tolerance: 0.05, cvLimit: 0.1 });
  t.true(bad.flags.includes('unexpected-action'));
  t.regex(bad.notes.join('\n'), /expected drop 90.0 %, pass 10.0 %; the program returned: drop 50.0 %, pass 50.0 %/);
  const any = judgeCase({ trials: [mixed], expect: { kind: 'mixed' }, generatorCpus: [0], dutNapiCpu: 1, tolerance: 0.05, cvLimit: 0.1 });
  t.false(any.flags.includes('unexpected-action'));
});

test('judgeCase: without per-CPU counters, coupled follows the placement', (t) => {
  const noCpu = trial({ xdp: 1_000_000, perCpu: [] });
  const j = (dutNapiCpu: number | null) => judgeCase({ trials: [noCpu], expect: { kind: 'action', action: 'drop' }, generatorCpus: [0], dutNapiCpu, tolerance: 0.05, cvLimit: 0.1 });
  t.true(j(null).flags.includes('coupled'));
  t.false(j(1).flags.includes('coupled'));
});

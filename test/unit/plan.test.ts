/* The run plan (harness/plan/plan.ts): the explicit case list the runner
 * executes, for a local run and for a lab config's expansion, its rendering
 * for --dry-run, and the grouping the runner attaches by. Pure: no root. */
import test from 'ava';
import path from 'node:path';
import { liveGenerator } from '../../drivers/live-generator.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { planLabRun } from '../../harness/cli/commands/lab.ts';
import { FIXED, RUN_DEFAULTS } from '../../harness/plan/defaults.ts';
import { expandLabPlan, parseLabConfig } from '../../harness/plan/lab-config.ts';
import { executable, planRun, type PlanContext } from '../../harness/plan/plan.ts';
import { renderPlan } from '../../harness/plan/render-plan.ts';
import { validateRunOptions, type RawRunOptions } from '../../harness/plan/run-options.ts';
import { resourcePrefix } from '../../harness/run/run-registry.ts';
import { groupCases } from '../../harness/run/runner.ts';
import { findScenario } from '../../scenarios/builtin.ts';

const RAW: RawRunOptions = {
  modes: 'all', trials: '2', duration: '1', warmup: '0.5', interval: '100', generator: 'live', sizes: '64,512', rate: '0', flows: '1',
  work: 'no-touch', decouple: true, latencyLoads: '0', probes: '10', probeRate: '100', tolerance: '0.05', out: '/tmp/plan-test-out',
};
const CX: PlanContext = {
  runId: '0123abcd', argv: ['bench', 'run'], rig: { kind: 'veth' }, rateText: '0',
  generator: { driver: liveGenerator, why: 'test' }, placement: { placement: { generatorCpus: [0], dutNapiCpu: 1 }, why: '' },
};

test('a local run: every scenario x mode x size, scenario outermost, in that order, numbered', (t) => {
  const p = planRun(validateRunOptions(['drop-all', 'tx-reflect'], RAW, 0, 2), CX);
  t.is(p.cases.length, 2 * 3 * 2);
  t.deepEqual(p.cases.slice(0, 3).map((c) => [c.index, c.scenario.name, c.mode, c.pktSizeBytes]), [[1, 'drop-all', 'native', 64], [2, 'drop-all', 'native', 512], [3, 'drop-all', 'generic', 64]]);
  t.is(p.cases.at(-1)!.scenario.name, 'tx-reflect');
  t.deepEqual(p.calibrationSizesBytes, [64, 512]);
  t.is(p.settleMs, FIXED.settleMs);
  t.is(p.cvLimit, FIXED.cvLimit);
  t.true(p.cases.every((c) => c.trials === 2));
});

test('the expected duration follows the timing: more trials take longer; prog-run has none', (t) => {
  const short = planRun(validateRunOptions(['drop-all'], RAW, 0, 2), CX);
  const long = planRun(validateRunOptions(['drop-all'], { ...RAW, trials: '5' }, 0, 2), CX);
  t.true(short.expectedDurationMs! > 0);
  // Three more trials in each of 6 cases: at least 18 more windows of 1 s.
  t.true(long.expectedDurationMs! - short.expectedDurationMs! >= 18 * 1000);
  const progRun = planRun(validateRunOptions(['drop-all'], { ...RAW, progRun: true }, 0, 2), CX);
  t.is(progRun.expectedDurationMs, null);
  t.deepEqual(progRun.cases, []);
  t.deepEqual(progRun.calibrationSizesBytes, []);
});

test('a lab plan is the config\'s own case list through the same planner', (t) => {
  const lab = expandLabPlan(parseLabConfig(path.join(REPO_ROOT, 'scenarios', 'lab', 'example-lab.yaml')));
  const scenarios = [...new Set(lab.cases.map((c) => c.scenario))].map((n) => findScenario(n)!);
  const p = planLabRun(lab, scenarios, { driver: liveGenerator, why: 'test' }, { generatorCpus: [2, 3], dutNapiCpu: null }, { kind: 'max' }, '/tmp/x', ['bench'], { plan: lab, forceInterfaces: [] });
  t.deepEqual(p.cases.map((c) => [c.scenario.name, c.mode, c.pktSizeBytes]), lab.cases.map((c) => [c.scenario, c.mode, c.pktSizeBytes]));
  t.is(p.rig.kind, 'lab');
  t.is(p.trials, lab.trials);
  t.is(p.tolerance, RUN_DEFAULTS.tolerance);
  const text = renderPlan(p, resourcePrefix);
  t.regex(text, /^throughput: 3 scenarios x 2 modes x 3 sizes = 18 cases; 5 trials of 10 s after 2 s warm-up each$/m);
  t.regex(text, /^ {2}18 {2}redirect {4}generic {2}1518 B {2}5$/m);
  t.regex(text, /^placement: generator threads on CPUs 2,3 of loadgen/m);
});

test('a case naming a scenario the run does not have is refused', (t) => {
  const o = validateRunOptions(['drop-all'], RAW, 0, 2);
  t.throws(() => planRun(o, { ...CX, cases: [{ scenario: 'nope', mode: 'native', pktSizeBytes: 64 }] }), { message: /case 1 names scenario "nope"/ });
});

test('renderPlan: the rig it would create, generator and placement with why, every case, expected time', (t) => {
  const text = renderPlan(planRun(validateRunOptions(['drop-all'], { ...RAW, sizes: '64' }, 0, 2), CX), resourcePrefix);
  t.regex(text, /^plan of run 0123abcd \(dry run: nothing is created\)$/m);
  t.regex(text, /^ {4}ip netns add xdpb-0123abcd-gen$/m);
  t.regex(text, /^generator: live \(test\)$/m);
  t.regex(text, /^placement: decoupled: generator on CPUs 0, DUT NAPI kthread on CPU 1$/m);
  t.regex(text, /^ {2}3 {2}drop-all {2}offload {2}64 B {2}2$/m);
  t.regex(text, /^expected: at most about \d+ s/m);
});

test('a VM plan has no generator here: the runner refuses it, the guest plans its own', (t) => {
  const p = planRun(validateRunOptions(['drop-all'], RAW, 0, 2), { ...CX, rig: { kind: 'vm' }, generator: null });
  t.is(p.generator, null);
  t.regex(renderPlan(p, resourcePrefix), /^generator: chosen in the guest/m);
  t.throws(() => executable(p), { message: /no generator chosen \(rig vm\)/ });
});

test('groupCases: one load per run of a scenario\'s cases, one attach per mode, sizes in plan order', (t) => {
  const p = planRun(validateRunOptions(['drop-all', 'tx-reflect'], RAW, 0, 2), CX);
  const groups = groupCases(p.cases);
  t.deepEqual(groups.map((g) => [g.scenario.name, g.modes.map((m) => `${m.mode}:${m.sizesBytes.join('+')}`)]), [
    ['drop-all', ['native:64+512', 'generic:64+512', 'offload:64+512']],
    ['tx-reflect', ['native:64+512', 'generic:64+512', 'offload:64+512']],
  ]);
});

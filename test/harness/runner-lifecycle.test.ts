/* The runner's lifecycle without a rig (as hyperfine tests its scheduler with
 * a mock executor): a fake rig that records every call in order and what it
 * still holds, a fake generator (TrafficDriver), and a fake sampler replaying
 * the real sampler lines captured in test/fixtures/trial-window-native-drop.jsonl.
 * The fake comes in through runBench's options; every test takes milliseconds. */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RawSample, Sampler } from '../../drivers/counter-sampler.ts';
import { localHost } from '../../drivers/host.ts';
import { GeneratorFailure, type TrafficDriver, type TrafficSpec } from '../../drivers/traffic-driver.ts';
import { InterruptedError, KernelRefusalError, RunAbortedError } from '../../ground/errors.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import type { RunResults, XdpMode } from '../../ground/result-schema.ts';
import { planRun, type RunPlan } from '../../harness/plan/plan.ts';
import { validateRunOptions } from '../../harness/plan/run-options.ts';
import type { CleanupStack } from '../../harness/run/cleanup-stack.ts';
import type { Attachment, LoadedProgram, Rig, UpRig } from '../../harness/run/rig.ts';
import { newRunId, runBench, type RunRegistry } from '../../harness/run/runner.ts';

const FIXTURE = readFileSync(path.join(REPO_ROOT, 'test/fixtures/trial-window-native-drop.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RawSample);
const EPOCH_NS = 10e9;

/** Every window replays the captured one, shifted in time: sampleNow gives its first line once the traffic starts, then its last. */
class ReplaySampler implements Sampler {
  private epoch = -1;
  private atStart = false;
  constructor(private readonly onStop: () => void) {}
  newWindow(): void {
    this.epoch++;
    this.atStart = true;
  }
  private line(i: number, epoch = this.epoch): RawSample {
    const s = FIXTURE[i]!;
    return { ...s, tNs: s.tNs + Math.max(epoch, 0) * EPOCH_NS };
  }
  async sampleNow(): Promise<RawSample> {
    const s = this.line(this.atStart ? 0 : FIXTURE.length - 1);
    this.atStart = false;
    return s;
  }
  between(fromNs: number, toNs: number): RawSample[] {
    return FIXTURE.map((_, i) => this.line(i)).filter((s) => s.tNs >= fromNs && s.tNs <= toNs);
  }
  forgetBefore(): void {}
  async stop(): Promise<void> {
    this.onStop();
  }
}

interface Hooks {
  /** Before the n-th traffic start (1-based, calibration included). */
  onTraffic?: (n: number, spec: TrafficSpec) => void | Promise<void>;
  /** Throws to fail an attach, after the rig took what it takes first. */
  onAttach?: (scenario: string, mode: XdpMode) => void;
}

/** The fake rig's and generator's record: calls in order, and what is held now. */
class Recorder {
  readonly calls: string[] = [];
  readonly held = new Set<string>();
  traffic = 0;
  take(what: string, stack: CleanupStack, release: () => void = () => undefined): void {
    this.held.add(what);
    stack.push(what, async () => {
      this.calls.push(`release ${what}`);
      this.held.delete(what);
      release();
    });
  }
}

function fakeGenerator(rec: Recorder, hooks: Hooks, sampler: () => ReplaySampler | null): TrafficDriver {
  return {
    name: 'fake',
    description: 'replays a captured window',
    defaultCpus: () => [0],
    probe: async () => ({ available: true, detail: 'test' }),
    async start(spec) {
      const n = ++rec.traffic;
      rec.calls.push(`traffic ${spec.frame.length + 4}B`);
      await hooks.onTraffic?.(n, spec);
      sampler()?.newWindow();
      rec.held.add(`generator ${n}`);
      const report = { framesSent: null, durationMs: spec.durationMs };
      let stopped = false;
      return {
        finished: new Promise(() => undefined),
        stop: async () => {
          if (!stopped) rec.calls.push(`stop traffic ${n}`);
          stopped = true;
          rec.held.delete(`generator ${n}`);
          return report;
        },
      };
    },
  };
}

function fakeUpRig(rec: Recorder, hooks: Hooks, current: { sampler: ReplaySampler | null }): UpRig {
  return async (spec, cx) => {
    rec.calls.push(`up ${spec.kind}`);
    rec.take('rig', cx.stack);
    const topology = {
      dutNetns: 'fake-dut',
      gen0: { netns: 'fake-gen', dev: 'g0', mac: '02:58:44:50:00:10', ip: '198.18.0.1' },
      dut0: { netns: 'fake-dut', dev: 'd0', mac: '02:58:44:50:00:20', ip: '198.18.0.2' },
      gen1: null, dut1: null,
    };
    let progIds = 0;
    const rig: Rig = {
      kind: spec.kind, topology, genHost: localHost, dutHost: localHost, dutDriver: 'veth', labRecord: null, veth: null,
      dut: { programs: [], maps: [] } as unknown as Rig['dut'], pinRoot: '/nonexistent', scratchDir: '/nonexistent',
      async loadProgram(scenario) {
        rec.calls.push(`load ${scenario.name}`);
        return { scenario, programPin: `/fake/${scenario.program}`, objectPath: '/fake.o', programName: scenario.program, progId: ++progIds, statsPin: '/fake/stats', redirectMapPin: null, info: undefined } satisfies LoadedProgram;
      },
      async attach(program, mode): Promise<Attachment> {
        rec.calls.push(`attach ${program.scenario.name} ${mode}`);
        const what = `attachment ${program.scenario.name} ${mode}`;
        rec.take(what, cx.stack, () => rec.calls.push(`detach ${program.scenario.name} ${mode}`));
        hooks.onAttach?.(program.scenario.name, mode);
        return { mode, progId: program.progId, progTag: 'feedfacefeedface', detach: async () => undefined };
      },
      checkOffload: null,
      async startSampler(program) {
        rec.calls.push(`sampler ${program.scenario.name}`);
        const what = `sampler ${program.scenario.name}`;
        rec.held.add(what);
        const s = new ReplaySampler(() => {
          rec.calls.push(`stop sampler ${program.scenario.name}`);
          rec.held.delete(what);
        });
        current.sampler = s;
        return s;
      },
      startTraffic: (s) => cx.plan.generator.start({
        netns: topology.gen0.netns, dev: topology.gen0.dev, frame: Buffer.alloc(s.pktSizeBytes - 4), durationMs: s.durationMs, cpus: [0], ratePps: s.ratePps, flows: 1, scratchDir: '/nonexistent',
      }),
      down: async () => {
        rec.calls.push('down');
      },
    };
    return rig;
  };
}

interface Setup {
  scenarios?: string[];
  modes?: string;
  sizes?: string;
  trials?: number;
  hooks?: Hooks;
}

function setUp(name: string, o: Setup = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), `xdpb-lifecycle-${name}-`));
  const out = path.join(dir, 'out');
  const rec = new Recorder();
  const hooks = o.hooks ?? {};
  const current = { sampler: null as ReplaySampler | null };
  const opts = validateRunOptions(o.scenarios ?? ['drop-all'], {
    modes: o.modes ?? 'native', trials: String(o.trials ?? 1), duration: '0.5', warmup: '0', interval: '100', generator: 'live', sizes: o.sizes ?? '64', rate: '0', flows: '1',
    work: 'no-touch', decouple: true, latencyLoads: '0', probes: '10', probeRate: '100', tolerance: '0.05', out,
  });
  const planned = planRun(opts, {
    runId: newRunId(), argv: ['bench', 'run', 'test'], rig: { kind: 'veth' }, rateText: '0',
    generator: { driver: fakeGenerator(rec, hooks, () => current.sampler), why: 'test' }, placement: { placement: { generatorCpus: [0], dutNapiCpu: 1 }, why: 'test' },
  });
  // Milliseconds, not seconds: the windows replay a captured second anyway.
  const plan: RunPlan = { ...planned, durationMs: 5, settleMs: 1, calibrationMs: 5 };
  const controller = new AbortController();
  const log: string[] = [];
  // The machine's run registry (/run/xdp-bench) needs root and sweeps other runs' leftovers: a record of its own here.
  const registry: RunRegistry = {
    sweepLeftovers: async () => void rec.calls.push('sweep'),
    register: (id) => void rec.held.add(`registry ${id}`),
    unregister: (id) => void rec.held.delete(`registry ${id}`),
  };
  const run = (upRig: UpRig = fakeUpRig(rec, hooks, current)) => runBench(plan, { info: (l) => log.push(l) }, controller.signal, { upRig, registry });
  const results = () => JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResults;
  return { out, rec, plan, controller, log, run, results, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test.serial('load, attach and detach in plan order: one load and sampler per scenario, one attach per mode, calibration first, down last', async (t) => {
  const s = setUp('order', { scenarios: ['drop-all', 'pass-all'], modes: 'native,generic', sizes: '64,128' });
  try {
    await s.run();
    t.deepEqual(s.rec.calls, [
      'sweep', 'up veth',
      'load drop-all', 'attach drop-all native', 'sampler drop-all', 'traffic 64B', 'stop traffic 1', 'stop sampler drop-all', 'release attachment drop-all native', 'detach drop-all native',
      'load drop-all', 'attach drop-all native', 'sampler drop-all', 'traffic 128B', 'stop traffic 2', 'stop sampler drop-all', 'release attachment drop-all native', 'detach drop-all native',
      'load drop-all', 'sampler drop-all',
      'attach drop-all native', 'traffic 64B', 'stop traffic 3', 'traffic 128B', 'stop traffic 4', 'release attachment drop-all native', 'detach drop-all native',
      'attach drop-all generic', 'traffic 64B', 'stop traffic 5', 'traffic 128B', 'stop traffic 6', 'release attachment drop-all generic', 'detach drop-all generic',
      'stop sampler drop-all',
      'load pass-all', 'sampler pass-all',
      'attach pass-all native', 'traffic 64B', 'stop traffic 7', 'traffic 128B', 'stop traffic 8', 'release attachment pass-all native', 'detach pass-all native',
      'attach pass-all generic', 'traffic 64B', 'stop traffic 9', 'traffic 128B', 'stop traffic 10', 'release attachment pass-all generic', 'detach pass-all generic',
      'stop sampler pass-all',
      'down', 'release rig',
    ]);
    const r = s.results();
    t.is(r.state, 'complete');
    t.deepEqual(r.cases.map((c) => `${c.scenario}/${c.mode}/${c.pktSizeBytes}:${c.state}`), [
      'drop-all/native/64:ok', 'drop-all/native/128:ok', 'drop-all/generic/64:ok', 'drop-all/generic/128:ok',
      'pass-all/native/64:ok', 'pass-all/native/128:ok', 'pass-all/generic/64:ok', 'pass-all/generic/128:ok',
    ]);
    t.deepEqual([...s.rec.held], []);
  } finally {
    s.done();
  }
});

test.serial('the figures are the captured window\'s: the trial counts what the sampler replayed', async (t) => {
  const s = setUp('figures');
  try {
    await s.run();
    const c = s.results().cases[0]!;
    if (c.state !== 'ok') return t.fail(`case ${c.state}`);
    const first = FIXTURE[0]!;
    const last = FIXTURE.at(-1)!;
    const dtS = (last.tNs - first.tNs) / 1e9;
    const handled = (x: RawSample) => (x.stats as Record<string, { packets: number[][] }>).dut!.packets.flat().reduce((a, b) => a + b, 0);
    t.is(c.trials[0]!.xdpPps, (handled(last) - handled(first)) / dtS);
    const offered = (x: RawSample) => (x.dev as Record<string, { link: { tx_packets: number; tx_dropped: number } }>).gen0!.link;
    const sent = (x: RawSample) => offered(x).tx_packets + offered(x).tx_dropped;
    t.is(s.results().calibration[0]!.offeredPps, (sent(last) - sent(first)) / dtS);
  } finally {
    s.done();
  }
});

test.serial('results.json is written after every case: each traffic start sees the cases before it on disk', async (t) => {
  const seen: number[] = [];
  const s = setUp('writes', { modes: 'native,generic', sizes: '64,128,256', hooks: { onTraffic: () => void seen.push(s.results().cases.length) } });
  try {
    await s.run();
    // 3 calibration windows (no case yet), then one window per case.
    t.deepEqual(seen, [0, 0, 0, 0, 1, 2, 3, 4, 5]);
    t.is(s.results().cases.length, 6);
  } finally {
    s.done();
  }
});

test.serial('a kernel refusal of a mode makes every size of it skipped with the kernel\'s words; the other mode is measured', async (t) => {
  const refusal = new KernelRefusalError('attach', 95, 'Operation not supported', 'veth: generic refused for the test', 'd0', undefined);
  const s = setUp('refusal', { modes: 'generic,native', sizes: '64,128', hooks: { onAttach: (_s, mode) => { if (mode === 'generic') throw refusal; } } });
  try {
    await s.run();
    const r = s.results();
    t.is(r.state, 'complete');
    t.deepEqual(r.cases.map((c) => `${c.mode}/${c.pktSizeBytes}:${c.state}`), ['generic/64:skipped', 'generic/128:skipped', 'native/64:ok', 'native/128:ok']);
    for (const c of r.cases.slice(0, 2)) {
      if (c.state !== 'skipped') return t.fail();
      t.regex(c.reason, /^the kernel refused generic XDP on d0 \(veth\): /);
      t.is(c.kernelMessage, 'veth: generic refused for the test');
      t.is(c.errno, 95);
    }
    t.deepEqual([...s.rec.held], []);
  } finally {
    s.done();
  }
});

test.serial('an error in attach: its mode\'s cases fail at measure, what it took is released, the run goes on and completes', async (t) => {
  const s = setUp('attach-error', { modes: 'generic,native', sizes: '64,128', hooks: { onAttach: (_s, mode) => { if (mode === 'generic') throw new Error('GRO could not be set'); } } });
  try {
    await s.run();
    const r = s.results();
    t.is(r.state, 'complete');
    t.deepEqual(r.cases.map((c) => `${c.mode}/${c.pktSizeBytes}:${c.state}`), ['generic/64:failed', 'generic/128:failed', 'native/64:ok', 'native/128:ok']);
    const c = r.cases[0]!;
    if (c.state !== 'failed') return t.fail();
    t.is(c.stage, 'measure');
    t.is(c.reason, 'GRO could not be set');
    // The half-done generic attach is released before the native one is made.
    const calls = s.rec.calls;
    const generic = calls.indexOf('attach drop-all generic');
    t.deepEqual(calls.slice(generic, generic + 4), ['attach drop-all generic', 'release attachment drop-all generic', 'detach drop-all generic', 'attach drop-all native']);
    t.deepEqual([...s.rec.held], []);
  } finally {
    s.done();
  }
});

test.serial('an error in a trial: a generator failure fails that size at traffic; any other fails the rest at measure; everything is released', async (t) => {
  // Traffic 1 and 2 are calibration; 3 and 4 are native 64 and 128; 5 and 6 generic 64 and 128.
  const s = setUp('trial-error', {
    modes: 'native,generic', sizes: '64,128',
    hooks: {
      onTraffic: (n) => {
        if (n === 4) throw new GeneratorFailure('fake', 'TX ring failed');
        if (n === 5) throw new Error('sampler went away');
      },
    },
  });
  try {
    await s.run();
    const r = s.results();
    t.is(r.state, 'complete');
    t.deepEqual(r.cases.map((c) => `${c.mode}/${c.pktSizeBytes}:${c.state}:${c.state === 'failed' ? `${c.stage}:${c.reason}` : ''}`), [
      'native/64:ok:', 'native/128:failed:traffic:fake: TX ring failed', 'generic/64:failed:measure:sampler went away', 'generic/128:failed:measure:sampler went away',
    ]);
    t.deepEqual([...s.rec.held], []);
  } finally {
    s.done();
  }
});

test.serial('an interrupt mid-trial: the case is interrupted with its finished trials, the run stops, everything is released, results.json says interrupted', async (t) => {
  // Traffic 1 and 2 are calibration, 3..5 the three trials of the 64 B case: abort while the third runs.
  const s = setUp('interrupt', { trials: 3, sizes: '64,128', hooks: { onTraffic: (n) => { if (n === 5) setTimeout(() => s.controller.abort('SIGINT'), 1); } } });
  try {
    const err = await t.throwsAsync(s.run());
    t.true(err instanceof InterruptedError, String(err));
    const r = s.results();
    t.is(r.state, 'interrupted');
    t.not(r.finishedAt, null);
    t.is(r.cases.length, 1, 'the 128 B case never started');
    const c = r.cases[0]!;
    if (c.state !== 'interrupted') return t.fail(`case ${c.state}`);
    t.is(c.trials.length, 2);
    t.is(c.trialsPlanned, 3);
    t.is(c.reason, 'interrupted by SIGINT after 2 of 3 trials');
    t.true(s.rec.calls.includes('stop traffic 5'), 'the running generator is stopped');
    t.is(s.rec.traffic, 5, 'no window after the interrupted one');
    t.deepEqual([...s.rec.held], []);
  } finally {
    s.done();
  }
});

test.serial('an interrupt before the first trial finishes records no case; the run is interrupted', async (t) => {
  const s = setUp('interrupt-early', { trials: 2, hooks: { onTraffic: (n) => { if (n === 2) setTimeout(() => s.controller.abort('SIGTERM'), 1); } } });
  try {
    await t.throwsAsync(s.run(), { instanceOf: InterruptedError });
    const r = s.results();
    t.is(r.state, 'interrupted');
    t.deepEqual(r.cases, []);
    t.deepEqual([...s.rec.held], []);
  } finally {
    s.done();
  }
});

test.serial('the generator fails while calibrating: the run fails at calibration, nothing measured, everything released', async (t) => {
  const s = setUp('calibration-fails', { hooks: { onTraffic: (n) => { if (n === 1) throw new GeneratorFailure('fake', 'TX ring failed'); } } });
  try {
    const err = await t.throwsAsync(s.run());
    t.true(err instanceof RunAbortedError, String(err));
    const r = s.results();
    t.is(r.state, 'failed');
    t.is(r.failure?.stage, 'calibration');
    t.regex(r.failure?.reason ?? '', /^the generator failed while calibrating \(64 B into native XDP_DROP on d0\): fake: TX ring failed/);
    t.deepEqual(r.cases, []);
    t.false(s.rec.calls.includes('down'));
    t.is(s.rec.calls.at(-1), 'release rig');
    t.deepEqual([...s.rec.held], []);
  } finally {
    s.done();
  }
});

test.serial('a rig that cannot come up: the run fails with its words, nothing is attached', async (t) => {
  const s = setUp('rig-fails');
  try {
    const failing: UpRig = async () => {
      throw new Error('netns could not be created');
    };
    const err = await t.throwsAsync(s.run(failing));
    t.is(err?.message, 'netns could not be created');
    const r = s.results();
    t.is(r.state, 'failed');
    t.deepEqual(r.failure, { stage: 'run', reason: 'netns could not be created' });
    t.deepEqual([...s.rec.held], [], 'the registry record is removed');
  } finally {
    s.done();
  }
});

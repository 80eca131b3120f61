/* Own programs: load-failure headings (fixtures: xdpb's real refusals, see
 * test/fixtures/capture-load-failures.sh), untyped-section picking, map
 * sizing, scenario maps[].maxEntries, the ELF checks and helper scan on the
 * test objects built by native/Makefile. */
import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classifyLoadFailure } from '../../harness/plan/load-failure.ts';
import { errorText, meaningfulLines } from '../../ground/libbpf-log.ts';
import { isFragsSection, pickXdpProgram } from '../../harness/plan/user-program.ts';
import { planMapSizes, parseCpuList, DEFAULT_MAX_ENTRIES } from '../../harness/plan/map-sizing.ts';
import { checkBpfElf, slowHelpersOf } from '../../harness/plan/bpf-elf.ts';
import { parseScenarioFile, ScenarioFileError } from '../../scenarios/scenario-file.ts';
import { KernelRefusalError } from '../../ground/errors.ts';
import { BPFFS_ROOT, NATIVE_BUILD_DIR, REPO_ROOT } from '../../ground/paths.ts';
import { findLeftovers } from '../../harness/run/run-registry.ts';
import { parseSampleLine, samplerArgv, type RawSample } from '../../drivers/counter-sampler.ts';
import { analyseTrial, judgeCase } from '../../harness/analysis/trial-analysis.ts';
import { actionMix } from '../../reports/summary-table.ts';
import { planPlacement } from '../../drivers/napi-placement.ts';
import { validateRunOptions } from '../../harness/plan/run-options.ts';
import { findDistortions, readBpfStatsEnabled } from '../../harness/run/distortions.ts';
import type { CaseResult } from '../../ground/result-schema.ts';
import type { Scenario } from '../../scenarios/builtin.ts';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures', `xdpb-load-${name}.json`), 'utf8')) as { stage: string; errno: number; error: string; detail?: string; log?: string };
const classify = (name: string) => classifyLoadFailure(fixture(name), 'obj.o');
const TEST_OBJ = (n: string) => path.join(NATIVE_BUILD_DIR, 'test', `${n}.bpf.o`);

test('each kind of load failure gets its own heading and the lines that show it', (t) => {
  const kfunc = classify('missing-kfunc');
  t.is(kfunc.kind, 'missing-kfunc');
  t.is(kfunc.heading, 'obj.o calls the kfunc xdpb_no_such_kfunc, which this kernel does not have');
  const helper = classify('missing-helper');
  t.is(helper.kind, 'missing-helper');
  t.is(helper.heading, 'obj.o calls helper #9999, which this kernel does not have');
  t.true(helper.lines.includes('invalid func unknown#9999'));
  const verifier = classify('verifier');
  t.is(verifier.kind, 'verifier');
  t.regex(verifier.heading, /^the kernel's verifier rejected obj\.o \(Permission denied, errno 13\)/);
  t.true(verifier.lines.some((l) => /invalid access to packet/.test(l)));
  t.false(verifier.lines.some((l) => /PROG LOAD LOG|processed \d+ insns/.test(l)));
  const map = classify('unsized');
  t.is(map.kind, 'map-create');
  t.regex(map.heading, /refused to create map rx_cnt \(Invalid argument, errno 22\)/);
  t.regex(map.hint!, /maxEntries/);
  t.false(map.lines.some((l) => /Retrying without BTF/.test(l)), map.lines.join('\n'));
  const pin = classify('pin-conflict');
  t.is(pin.kind, 'pin-conflict');
  t.regex(pin.heading, /collides with a pin already in bpffs \(\/sys\/fs\/bpf\/xdpb-fixture\/xdpb_test_stats_map\)/);
  // The helper's own program pin failing after the load is no by-name map collision.
  const exists = classify('pin-program-exists');
  t.is(exists.kind, 'pin-failed');
  t.is(exists.heading, 'obj.o loaded, but a program could not be pinned at /sys/fs/bpf/xdpb-fixture/prog_drop_counted_pinned: File exists (errno 17)');
  t.regex(exists.hint!, /already there: another load used this pin dir/);
  const long = classify('pin-program-too-long');
  t.is(long.kind, 'pin-failed');
  t.regex(long.heading, /^obj\.o loaded, but a program could not be pinned at \S+: File name too long \(errno 36\)$/);
  t.regex(long.hint!, /PATH_MAX/);
  const type = classify('untyped-section');
  t.is(type.kind, 'program-type');
  t.regex(type.heading, /section "prog"/);
  const btf = classify('bad-btf');
  t.is(btf.kind, 'btf');
  t.true(btf.lines.includes('BTF is required, but is missing or corrupted.'));
  const trunc = classify('truncated');
  t.is(trunc.kind, 'invalid-object');
  t.regex(trunc.heading, /obj\.o is not a valid BPF object: the BPF object format is invalid: truncated or corrupt ELF/);
  t.notRegex(trunc.heading, /Unknown error/);
});

test('libbpf errnos are sentences and retry/skip noise never reaches a message', (t) => {
  t.regex(errorText(4001, 'Unknown error 4001'), /BPF object format is invalid/);
  t.is(errorText(22, 'Invalid argument'), 'Invalid argument');
  t.deepEqual(meaningfulLines('libbpf: elf: skipping unrecognized data section(7) .xdp_run_config\nlibbpf: Error in bpf_create_map_xattr(rx_cnt):Invalid argument(-22). Retrying without BTF.\nlibbpf: map \'rx_cnt\': failed to create: Invalid argument(-22)\n'), ["map 'rx_cnt': failed to create: Invalid argument(-22)"]);
  const f = fixture('truncated');
  const err = new KernelRefusalError(f.stage, f.errno, f.error, undefined, 'x.o', f.log);
  t.notRegex(err.message, /Unknown error 4001/);
  const u = fixture('unsized');
  t.notRegex(new KernelRefusalError(u.stage, u.errno, u.error, undefined, 'x.o', u.log).message, /Retrying without BTF/);
});

test('pickXdpProgram: untyped sections are XDP when picked by name or section, or the only candidate', (t) => {
  const guard = { programs: [{ name: 'g', section: 'xdp/guard', type: 'unspec' }, { name: 'f', section: 'xdp.frags/guard', type: 'unspec' }] };
  t.deepEqual(pickXdpProgram(guard, 'g.o', { section: 'xdp.frags/guard' }), { name: 'f', asXdp: true });
  t.deepEqual(pickXdpProgram(guard, 'g.o', { prog: 'g' }), { name: 'g', asXdp: true });
  t.regex(pickXdpProgram(guard, 'g.o', {}).problem!, /several XDP programs: g \(section xdp\/guard, untyped: loaded as XDP\), f/);
  t.deepEqual(pickXdpProgram({ programs: [{ name: 'p', section: 'prog', type: 'unspec' }] }, 'p.o', {}), { name: 'p', asXdp: true });
  // A typed XDP program is the only candidate when there is one; the untyped one needs --prog.
  const mixed = { programs: [{ name: 'x', section: 'xdp', type: 'xdp' }, { name: 'p', section: 'prog', type: 'unspec' }] };
  t.deepEqual(pickXdpProgram(mixed, 'm.o', {}), { name: 'x' });
  t.deepEqual(pickXdpProgram(mixed, 'm.o', { prog: 'p' }), { name: 'p', asXdp: true });
  // Programs for cpumap/devmap entries (xdp-bench's cpumap_drop) are no candidates: they cannot be attached to an interface.
  const cpumap = { programs: [{ name: 'cpumap_drop', section: 'xdp/cpumap', type: 'xdp' }, { name: 'no_touch', section: 'xdp', type: 'xdp' }] };
  t.deepEqual(pickXdpProgram(cpumap, 'c.o', {}), { name: 'no_touch' });
  t.regex(pickXdpProgram(cpumap, 'c.o', { prog: 'cpumap_drop' }).problem!, /XDP program for cpumap entries: .* cannot be attached to an interface/);
});

test('planMapSizes: the scenario file first, then a stated default per type; 0 kept where it is right', (t) => {
  const maps = [
    { name: 'rx_cnt', type: 'percpu_array', maxEntries: 0 },
    { name: 'cpu_map', type: 'cpumap', maxEntries: 0 },
    { name: 'flows', type: 'hash', maxEntries: 0 },
    { name: 'events', type: 'ringbuf', maxEntries: 0 },
    { name: 'perf', type: 'perf_event_array', maxEntries: 0 },
    { name: 'store', type: 'sk_storage', maxEntries: 0 },
    { name: 'sized', type: 'hash', maxEntries: 64 },
    { name: 'x.rodata', type: 'array', maxEntries: 0 },
  ];
  const plan = planMapSizes(maps, [{ name: 'flows', maxEntries: 4096 }, { name: 'sized', maxEntries: 8 }], 6);
  t.deepEqual(plan.map((s) => [s.map, s.maxEntries]), [['flows', 4096], ['sized', 8], ['rx_cnt', 6], ['cpu_map', 6], ['events', 262144]]);
  t.regex(plan.find((s) => s.map === 'flows')!.reason, /scenario file/);
  t.regex(plan.find((s) => s.map === 'rx_cnt')!.reason, /max_entries 0: default for a percpu_array map, the 6 possible CPUs/);
  t.is(planMapSizes([{ name: 'h', type: 'lru_hash', maxEntries: 0 }], [], 2)[0]!.maxEntries, DEFAULT_MAX_ENTRIES);
  t.is(parseCpuList('0-1\n'), 2);
  t.is(parseCpuList('0,2-5'), 6);
  t.throws(() => parseCpuList('x'), { message: /cannot read the CPU list/ });
});

test('scenario file maps[].maxEntries: alone or with entries, validated with its field named', (t) => {
  const f = parseScenarioFile('/tmp/s/a.yaml', 'name: a\nprogram: a.o\nmaps:\n  - { name: rx_cnt, maxEntries: 8 }\n  - { name: ports, maxEntries: 16, entries: [{ key: 1, value: 1 }] }\n');
  t.deepEqual(f.maps, [{ name: 'rx_cnt', entries: [], maxEntries: 8 }, { name: 'ports', entries: [{ key: 1, value: 1 }], maxEntries: 16 }]);
  const err = t.throws(() => parseScenarioFile('/tmp/s/a.yaml', 'name: a\nprogram: a.o\nmaps:\n  - { name: rx_cnt, maxEntries: 0 }\n  - { name: y, size: 3 }\n'), { instanceOf: ScenarioFileError });
  t.true(err.problems.includes('maps[0].maxEntries: expected an integer from 1 to 4294967295'), err.problems.join('\n'));
  t.true(err.problems.some((p) => /maps\[1\]\.size: unknown field \(known: name, maxEntries, entries, file\)/.test(p)), err.problems.join('\n'));
});

test('checkBpfElf names a truncated object; the helper scan finds bpf_trace_printk in the program that calls it', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xdpb-unit-'));
  try {
    const whole = readFileSync(TEST_OBJ('firewall'));
    writeFileSync(path.join(dir, 'cut.o'), whole.subarray(0, 3000));
    t.regex(checkBpfElf(path.join(dir, 'cut.o'))!, /not a valid BPF object: the section table ends at byte \d+ but the file has 3000 bytes: truncated/);
    writeFileSync(path.join(dir, 'tiny.o'), whole.subarray(0, 40));
    t.regex(checkBpfElf(path.join(dir, 'tiny.o'))!, /fewer than an ELF64 header/);
    t.is(checkBpfElf(TEST_OBJ('firewall')), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // helperIds as `xdpb inspect` reports them for drop_with_printk (bpf_trace_printk is helper 6).
  t.deepEqual(slowHelpersOf(TEST_OBJ('trace_printk'), [6]).map((h) => [h.helper, h.where]), [['bpf_trace_printk', 'the program']]);
  t.deepEqual(slowHelpersOf(TEST_OBJ('firewall'), [1]), []);
});

/* ---- accounting: a real window of returns_aborted in native mode (test/fixtures/trial-window-native-aborted.jsonl,
 * captured by XDPB_FIXTURE_OBJ=native/build/test/exceptions.bpf.o XDPB_FIXTURE_PROG=returns_aborted
 * test/fixtures/capture-trial-window.sh: live generator on CPU 0 for 1 s, sampler with --trace-obj) ---- */
const ABORTED_LINES = readFileSync(path.join(REPO_ROOT, 'test/fixtures/trial-window-native-aborted.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
const ABORTED_WINDOW: RawSample[] = ABORTED_LINES.map(parseSampleLine);
const trialOf = (window: RawSample[], counters: 'driver' | 'program' = 'driver') =>
  analyseTrial({ index: 0, mode: 'native', counters, window, proof: 'none', genOwnFrames: null, genOwnDurationMs: null });

test('a foreign program returning XDP_ABORTED: aborted from xdp_exception, not folded into the driver\'s drops', (t) => {
  const tr = trialOf(ABORTED_WINDOW);
  const raw = ABORTED_LINES.map((l) => JSON.parse(l) as { tNs: number; exceptions: number[][]; dev: Record<string, { ethtool: Record<string, number> }> });
  const a = raw[0]!, b = raw[raw.length - 1]!;
  const dtS = (b.tNs - a.tNs) / 1e9;
  const abortedPps = (b.exceptions[0]!.reduce((x, y) => x + y, 0) - a.exceptions[0]!.reduce((x, y) => x + y, 0)) / dtS;
  const drops = (b.dev.dut0!.ethtool['rx_queue_0_xdp_drops']! - a.dev.dut0!.ethtool['rx_queue_0_xdp_drops']!) / dtS;
  t.true(abortedPps > 100_000, `aborted ${abortedPps}`);
  t.is(tr.actionPps.aborted, abortedPps);
  t.is(tr.exceptions!.abortedPps, abortedPps);
  t.is(tr.actionPps.drop, drops - abortedPps);
  t.true(tr.actionPps.drop / tr.xdpPps < 0.001);
  t.deepEqual(tr.exceptions!.perCpuPps.length, b.exceptions[0]!.length);
  t.is(tr.countingProblems, undefined);
  t.regex(judgeCase({ trials: [tr], expect: { kind: 'action', action: 'aborted' }, generatorCpus: [0], dutNapiCpu: 1, tolerance: 0.05, cvLimit: 0.1 }).notes.join('\n'), /xdp exception tracepoints: aborted \d+ pps/);
});

test('a remainder below zero is a counting problem: held at 0, noted, flagged only beyond the tolerance', (t) => {
  // The real window with the driver's drop counter of the last sample lowered: drop = xdp_drops - aborted goes below zero.
  const lowered = (by: number) => ABORTED_WINDOW.map((s, i) => i < ABORTED_WINDOW.length - 1 ? s
    : { ...s, dev: { ...s.dev, dut0: { ...s.dev.dut0!, ethtool: { ...s.dev.dut0!.ethtool!, rx_queue_0_xdp_drops: s.dev.dut0!.ethtool!['rx_queue_0_xdp_drops']! - by } } } });
  const small = trialOf(lowered(100));
  t.is(small.actionPps.drop, 0);
  t.true(Object.values(small.actionPps).every((v) => v >= 0));
  t.is(small.countingProblems!.length, 1);
  t.is(small.countingProblems![0]!.rate, 'drop');
  t.true(small.countingProblems![0]!.remainderPps < 0);
  const v1 = judgeCase({ trials: [small], expect: { kind: 'mixed' }, generatorCpus: [0], dutNapiCpu: 1, tolerance: 0.05, cvLimit: 0.1 });
  t.false(v1.flags.includes('sources-disagree'));
  t.regex(v1.notes.join('\n'), /trial 1: drop worked out as -\d+ pps, a remainder below zero: a counting problem \(within the tolerance/);
  const big = trialOf(lowered(1_000_000));
  const v2 = judgeCase({ trials: [big], expect: { kind: 'mixed' }, generatorCpus: [0], dutNapiCpu: 1, tolerance: 0.05, cvLimit: 0.1 });
  t.true(v2.flags.includes('sources-disagree'));
  t.regex(v2.notes.join('\n'), /beyond the tolerance/);
});

test('an exception counter that went backwards is a counting problem, counted as 0, never a negative rate', (t) => {
  // The real window with the first sample's aborted counts above the last's (a count read wrong, or the map replaced).
  const end = ABORTED_WINDOW[ABORTED_WINDOW.length - 1]!.exceptions!;
  const backwards = ABORTED_WINDOW.map((s, i) => i > 0 ? s : { ...s, exceptions: s.exceptions!.map((row, slot) => slot === 0 ? end[0]!.map((v) => v + 1000) : row) });
  const tr = trialOf(backwards);
  t.is(tr.exceptions!.abortedPps, 0);
  t.true([tr.exceptions!.abortedPps, tr.exceptions!.invalidActionPps, tr.exceptions!.txErrorPps, tr.exceptions!.redirectErrorPps, ...tr.exceptions!.perCpuPps].every((v) => v >= 0));
  t.true(Object.values(tr.actionPps).every((v) => v >= 0));
  const p = tr.countingProblems!.find((c) => c.rate === 'xdp tracepoint count (aborted)');
  t.truthy(p, JSON.stringify(tr.countingProblems));
  t.true(p!.remainderPps < 0);
  const v = judgeCase({ trials: [tr], expect: { kind: 'mixed' }, generatorCpus: [0], dutNapiCpu: 1, tolerance: 0.05, cvLimit: 0.1 });
  t.regex(v.notes.join('\n'), /trial 1: xdp tracepoint count \(aborted\) worked out as -\d+ pps, a remainder below zero: a counting problem/);
});

test('exceptions read at one end of the window only (exceptionsError): no exception figure, the actions as if never sampled', (t) => {
  // From the middle of the capture on, where the counts are not zero at the window's start.
  const mid = ABORTED_WINDOW.slice(Math.floor(ABORTED_WINDOW.length / 2));
  t.true(mid[0]!.exceptions![0]!.some((v) => v > 0));
  const last = mid.length - 1;
  const failed = mid.map((s, i) => {
    if (i < last) return s;
    const { exceptions: _e, ...rest } = s;
    return { ...rest, exceptionsError: 'reading xdpb_exceptions slot 0: Bad file descriptor' };
  });
  const tr = trialOf(failed);
  const without = trialOf(mid.map(({ exceptions: _e, ...rest }) => rest));
  t.is(tr.exceptions, undefined);
  t.deepEqual(tr.actionPps, without.actionPps);
  t.true(Object.values(tr.actionPps).every((v) => v >= 0));
  // The reason goes on the trial and, as a note, on the case (the reports print a case's notes).
  t.is(tr.exceptionsError, 'reading xdpb_exceptions slot 0: Bad file descriptor');
  const v = judgeCase({ trials: [tr, { ...without, index: 1 }], expect: { kind: 'mixed' }, generatorCpus: [0], dutNapiCpu: 1, tolerance: 0.05, cvLimit: 0.1 });
  t.regex(v.notes.join('\n'), /xdp exception tracepoints not counted in trial 1 \(reading xdpb_exceptions slot 0: Bad file descriptor\): for a program that does not count itself, aborted and invalid actions are counted as drop/);
});

test('the built-in programs count themselves: exception counts are recorded, the actions untouched', (t) => {
  const tr = trialOf(ABORTED_WINDOW.map((s) => ({ ...s })), 'program');
  t.is(tr.actionPps.aborted, 0); // bench's xdpb_stats of this capture saw nothing: only the foreign program ran
  t.true(tr.exceptions!.abortedPps > 0);
});

test('samplerArgv: --trace-obj and --trace-prog-id only when asked', (t) => {
  const base = { intervalMs: 100, statsMaps: {}, devices: {} };
  t.false(samplerArgv(base, 'xdpb').includes('--trace-obj'));
  t.deepEqual(samplerArgv({ ...base, trace: { object: '/o/trace.bpf.o', progId: 42 } }, 'xdpb').slice(-4), ['--trace-obj', '/o/trace.bpf.o', '--trace-prog-id', '42']);
});

test('actionMix: shares of what the program returned, invalid actions named, "-" without figures', (t) => {
  const tr = trialOf(ABORTED_WINDOW);
  const c = { state: 'ok', trials: [tr] } as unknown as CaseResult;
  t.is(actionMix(c), 'aborted 100 %');
  const invalid = { ...tr, actionPps: { aborted: 0, drop: 0, pass: 0, tx: 0, redirect: 0 }, exceptions: { ...tr.exceptions!, abortedPps: 0, invalidActionPps: tr.xdpPps } };
  t.is(actionMix({ state: 'ok', trials: [invalid] } as unknown as CaseResult), 'invalid 100 %');
  t.is(actionMix({ state: 'skipped' } as unknown as CaseResult), '-');
});

test('isFragsSection: xdp.frags and xdp.frags/..., not a section that only starts like it', (t) => {
  t.true(isFragsSection('xdp.frags'));
  t.true(isFragsSection('xdp.frags/guard'));
  t.false(isFragsSection('xdp.fragsX'));
  t.false(isFragsSection('xdp/guard'));
});

test('planPlacement: --threads decoupled while a CPU is left for the DUT, else coupled and why', (t) => {
  const def = [0, 1, 2, 3];
  t.deepEqual(planPlacement({ cpuCount: 4, decouple: true, threads: null, defaultCpus: def }), { placement: { generatorCpus: [0, 1, 2], dutNapiCpu: 3 } });
  t.deepEqual(planPlacement({ cpuCount: 4, decouple: true, threads: 2, defaultCpus: def }), { placement: { generatorCpus: [0, 1], dutNapiCpu: 3 } });
  const full = planPlacement({ cpuCount: 2, decouple: true, threads: 2, defaultCpus: [0, 1] });
  t.deepEqual(full.placement, { generatorCpus: [0, 1], dutNapiCpu: null });
  t.regex(full.why!, /2 generator thread\(s\) and the DUT's own CPU need 3 CPUs; this machine has 2/);
  // xdp-bench's setup: coupled, N threads.
  t.deepEqual(planPlacement({ cpuCount: 4, decouple: false, threads: 3, defaultCpus: def }), { placement: { generatorCpus: [0, 1, 2], dutNapiCpu: null } });
  t.deepEqual(planPlacement({ cpuCount: 1, decouple: true, threads: null, defaultCpus: [0] }).placement, { generatorCpus: [0], dutNapiCpu: null });
});

test('--threads is validated against the CPUs there are', (t) => {
  const raw = { modes: 'native', trials: '1', duration: '1', warmup: '0', interval: '100', generator: 'auto', sizes: '64', rate: '0', flows: '1', work: 'no-touch', decouple: true, latencyLoads: '0', probes: '10', probeRate: '10', tolerance: '0.05', out: scratch() };
  t.is(validateRunOptions(['drop-all'], { ...raw, threads: '2' }, 0, 4).threads, 2);
  t.is(validateRunOptions(['drop-all'], raw, 0, 4).threads, null);
  t.throws(() => validateRunOptions(['drop-all'], { ...raw, threads: '5' }, 0, 4), { message: /--threads "5": expected an integer from 1 to 4/ });
  t.throws(() => validateRunOptions(['drop-all'], { ...raw, threads: '0' }, 0, 4), { message: /--threads "0"/ });
});

test('findDistortions: bpf_stats_enabled and slow helpers become environment fields and warnings', (t) => {
  const dir = scratch();
  writeFileSync(path.join(dir, 'on'), '1\n');
  writeFileSync(path.join(dir, 'off'), '0\n');
  t.true(readBpfStatsEnabled(path.join(dir, 'on')));
  t.false(readBpfStatsEnabled(path.join(dir, 'off')));
  t.is(readBpfStatsEnabled(path.join(dir, 'missing')), undefined);
  const s = { program: 'p', object: { path: '/x/p.o', sha256: '' }, load: { mapSizes: [], slowHelpers: [{ helper: 'bpf_trace_printk', why: 'w', where: 'the program' }] } } as unknown as Scenario;
  const d = findDistortions([s], true);
  t.true(d.bpfStatsEnabled);
  t.deepEqual(d.slowHelpers, [{ program: 'p', file: 'p.o', helper: 'bpf_trace_printk', why: 'w', where: 'the program' }]);
  t.is(d.warnings!.length, 2);
  t.regex(d.warnings![0]!, /kernel\.bpf_stats_enabled is 1/);
  t.deepEqual(findDistortions([], undefined), {});
  t.deepEqual(findDistortions([], false), { bpfStatsEnabled: false });
});

function scratch(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'xdpb-unit-'));
  process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('a verifier-check pin dir of a process that died (xdpb-check-<pid>) is a leftover; a live one is not', async (t) => {
  const child = spawnSync('true');
  const dead = path.join(BPFFS_ROOT, `xdpb-check-${child.pid}`);
  const live = path.join(BPFFS_ROOT, `xdpb-check-${process.pid}`);
  mkdirSync(dead);
  mkdirSync(live);
  try {
    const l = await findLeftovers();
    t.true(l.bpffsDirs.includes(dead));
    t.false(l.bpffsDirs.includes(live));
  } finally {
    rmSync(dead, { recursive: true, force: true });
    rmSync(live, { recursive: true, force: true });
  }
});

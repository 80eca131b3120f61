/* Own programs: load-failure headings (fixtures: xdpb's real refusals, see
 * test/fixtures/capture-load-failures.sh), untyped-section picking, map
 * sizing, scenario maps[].maxEntries, the ELF checks and helper scan on the
 * test objects built by native/Makefile. */
import test from 'ava';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classifyLoadFailure } from '../../harness/load-failure.ts';
import { errorText, meaningfulLines } from '../../harness/libbpf-log.ts';
import { pickXdpProgram } from '../../harness/user-program.ts';
import { planMapSizes, parseCpuList, DEFAULT_MAX_ENTRIES } from '../../harness/map-sizing.ts';
import { checkBpfElf, slowHelpersOf } from '../../harness/bpf-elf.ts';
import { parseScenarioFile, ScenarioFileError } from '../../scenarios/scenario-file.ts';
import { KernelRefusalError } from '../../harness/errors.ts';
import { NATIVE_BUILD_DIR, REPO_ROOT } from '../../harness/paths.ts';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures', `xdpb-load-${name}.json`), 'utf8')) as { stage: string; errno: number; error: string; log?: string };
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

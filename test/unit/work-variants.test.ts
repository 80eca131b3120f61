/* --work picks a program of bench.bpf.o by name; every name it can pick is in the object, which has no global data. */
import test from 'ava';
import { attachArgv, inspectObject } from '../../drivers/xdpb-helper.ts';
import { BENCH_OBJECT } from '../../ground/paths.ts';
import { isWork, WORK_LEVELS, workVariant } from '../../harness/plan/work-variants.ts';
import { SCENARIOS } from '../../scenarios/builtin.ts';

test('workVariant: the no-touch program keeps its name, other levels add a suffix, xdp_tx has no variants', (t) => {
  t.is(workVariant('xdp_drop', 'no-touch'), 'xdp_drop');
  t.is(workVariant('xdp_drop', 'parse-ip'), 'xdp_drop__parse_ip');
  t.is(workVariant('xdp_redirect', 'swap-macs'), 'xdp_redirect__swap_macs');
  t.is(workVariant('xdp_tx', 'read-data'), 'xdp_tx');
  t.true(isWork('read-data'));
  t.false(isWork('toString'), 'not fooled by Object.prototype');
});

test('bench.bpf.o has every program a built-in scenario can pick at every work level, and no .rodata/.data/.bss', async (t) => {
  const o = await inspectObject(BENCH_OBJECT);
  const names = new Set(o.programs.map((p) => p.name));
  for (const s of SCENARIOS) for (const w of WORK_LEVELS) t.true(names.has(workVariant(s.program, w)), `${s.name} --work ${w}`);
  t.deepEqual(o.maps.map((m) => m.name).sort(), ['xdpb_redirect_port', 'xdpb_stats'], 'global data would be an internal map: an offloaded program cannot use it');
});

test('attachArgv: --offload-max-entries only when asked', (t) => {
  const target = { netns: 'n', dev: 'd', mode: 'offload' as const };
  t.deepEqual(attachArgv(target, { objectPath: 'o.bpf.o', programName: 'xdp_drop', pinDir: '/p', offloadMaxEntries: 2 }),
    ['attach', '--obj', 'o.bpf.o', '--prog-name', 'xdp_drop', '--pin-dir', '/p', '--offload-max-entries', '2', '--netns', 'n', '--dev', 'd', '--mode', 'offload']);
  t.deepEqual(attachArgv(target, { pin: '/p/prog' }), ['attach', '--prog', '/p/prog', '--netns', 'n', '--dev', 'd', '--mode', 'offload']);
});

import test from 'ava';
import { readFileSync } from 'node:fs';
import { execInNetnsArgv, parseHelperAnswer, refusalFrom } from '../../drivers/xdpb-helper.ts';
import { EXIT, KernelRefusalError } from '../../ground/errors.ts';
import { XDPB_HELPER } from '../../ground/paths.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

test('offload on veth: KernelRefusalError, errno 22, libbpf reason kept', (t) => {
  const err = t.throws(() => parseHelperAnswer(fixture('xdpb-attach-offload-veth.json')), { instanceOf: KernelRefusalError }) as KernelRefusalError;
  t.is(err.errno, 22);
  t.is(err.stage, 'load-object');
  t.is(err.kernelMessage, undefined);
  t.is(err.exitCode, EXIT.runFailure);
  t.is(err.name, 'KernelRefusalError');
  // "failed to load object" is noise and dropped; the "libbpf: " prefix is stripped
  t.is(
    err.message,
    "load-object (native/build/bench.bpf.o): Invalid argument (errno 22); libbpf: map 'xdpb_redirect_port': failed to create: Invalid argument(-22)",
  );
});

test('native + generic conflict: KernelRefusalError, errno 17, the kernel\'s own message', (t) => {
  const err = t.throws(() => parseHelperAnswer(fixture('xdpb-attach-generic-conflict.json')), { instanceOf: KernelRefusalError }) as KernelRefusalError;
  t.is(err.errno, 17);
  t.is(err.stage, 'attach');
  t.is(err.kernelMessage, "Native and generic XDP can't be active at the same time");
  // the log only repeats the kernel message: no "; libbpf:" part
  t.is(err.message, 'attach (d0): File exists (errno 17); kernel says: "Native and generic XDP can\'t be active at the same time"');
});

test('the answer is the last line: earlier noise is ignored', (t) => {
  const a = parseHelperAnswer<{ ifindex: number }>('libbpf: something chatty\n{"ok":true,"ifindex":7}\n');
  t.deepEqual(a, { ok: true, ifindex: 7 });
  const loaded = parseHelperAnswer<{ programs: unknown[] }>('{"ok":true,"programs":[{"name":"xdp_drop","id":12,"pin":"/p/prog_xdp_drop"}],"maps":[]}');
  t.is(loaded.programs.length, 1);
});

test('a failure after an ok line still wins (last line)', (t) => {
  t.throws(() => parseHelperAnswer(`{"ok":true}\n${fixture('xdpb-attach-generic-conflict.json')}`), { instanceOf: KernelRefusalError });
});

test('a JSON answer without a boolean ok is an unexpected answer, not a refusal', (t) => {
  for (const line of ['{"stage":"query","errno":19,"error":"No such device"}', 'null', '42', '[]']) {
    const err = t.throws(() => parseHelperAnswer(line));
    t.regex(err.message, /xdpb helper gave an unexpected answer/);
    t.false(err instanceof KernelRefusalError);
  }
});

test('a non-JSON line throws a clear error quoting it', (t) => {
  const err = t.throws(() => parseHelperAnswer('Segmentation fault (core dumped)\n'));
  t.false(err instanceof KernelRefusalError);
  t.is(err!.message, 'xdpb helper printed something that is not JSON: Segmentation fault (core dumped)');
  t.throws(() => parseHelperAnswer(''), { message: /not JSON/ });
  t.throws(() => parseHelperAnswer('{"ok":tru'), { message: /not JSON: \{"ok":tru/ });
});

test('refusalFrom keeps at most the last three useful libbpf lines', (t) => {
  const err = refusalFrom({
    ok: false, stage: 'load-object', errno: 13, error: 'Permission denied', detail: 'x.o',
    log: 'libbpf: one\nlibbpf: two\nlibbpf: Kernel error message: hidden\nlibbpf: three\nlibbpf: four\nlibbpf: failed to load object \'x.o\'\n',
  });
  t.is(err.message, 'load-object (x.o): Permission denied (errno 13); libbpf: two | three | four');
});

test('execInNetnsArgv: helper exec, optional --cpu, then -- and the tool', (t) => {
  t.deepEqual(execInNetnsArgv('xdpb-a-gen', ['trafgen', '--dev', 'gen0']), [XDPB_HELPER, 'exec', '--netns', 'xdpb-a-gen', '--', 'trafgen', '--dev', 'gen0']);
  t.deepEqual(execInNetnsArgv('ns', ['true'], 0), [XDPB_HELPER, 'exec', '--netns', 'ns', '--cpu', '0', '--', 'true']);
});

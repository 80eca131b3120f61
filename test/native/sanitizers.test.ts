/* The C helpers (native/xdpb.c, native/xdpb_lat.c) built with AddressSanitizer +
 * UndefinedBehaviorSanitizer (`make -C native sanitize`, native/build/asan/) and run
 * for real, as root, in network namespaces this file creates: load, attach native and
 * generic, query, prog-info, sample (150 interfaces, many sources, a missing device, a
 * device removed or replaced while sampled), gen, exec, map-update, devmap-set, guard
 * (more than 4,096 processes), xdpb-lat list/prog-run/probe, and bad input. Every run
 * fails the test on any sanitizer report (leaks included: nothing is suppressed) and
 * checks the behaviour the bug fixes promise. */
import test, { type ExecutionContext } from 'ava';
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { CounterSampler } from '../../drivers/counter-sampler.ts';
import { KernelRefusalError } from '../../ground/errors.ts';
import { buildUdpFrame } from '../../ground/frame.ts';
import { BENCH_OBJECT, GEN_OBJECT, NATIVE_BUILD_DIR, REPO_ROOT } from '../../ground/paths.ts';
import { registerRun, unregisterRun } from '../../harness/run/run-registry.ts';

const XDPB = path.join(NATIVE_BUILD_DIR, 'asan', 'xdpb');
const LAT = path.join(NATIVE_BUILD_DIR, 'asan', 'xdpb-lat');
const LATENCY_OBJECT = path.join(NATIVE_BUILD_DIR, 'latency.bpf.o');
const RUN = randomBytes(4).toString('hex');
// A live run's resources are never removed by another run's leftover cleanup.
registerRun(RUN);
const NS = `xdpb-${RUN}-san`; // a veth pair s0/s1 for attach, gen, sample
const MANY = `xdpb-${RUN}-many`; // 150 interfaces and the target
const PINS = `/sys/fs/bpf/xdpb-${RUN}`;
const SCRATCH = mkdtempSync(path.join(tmpdir(), `xdpb-${RUN}-san-`));
const [S0, S1, TGT, TGT_PEER, GONE] = ['xdpb-s0', 'xdpb-s1', 'xdpb-tgt', 'xdpb-tgtp', 'xdpb-gone'];

/* Any finding aborts (the build has -fno-sanitize-recover=all); leak checking is on. */
const SAN_ENV = {
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:check_initialization_order=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:abort_on_error=1:halt_on_error=1',
};
const REPORT = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/;

const FRAME_HEX = buildUdpFrame({
  srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '10.99.0.1', dstIp: '10.99.0.2', srcPort: 1024, dstPort: 9, pktSizeBytes: 64,
}).toString('hex');

interface Ran {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** Runs a sanitized helper; fails the test on any sanitizer report or abort. */
async function san(t: ExecutionContext, tool: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<Ran> {
  const r = await execa(tool, args, { reject: false, env: SAN_ENV, timeout: opts.timeoutMs ?? 30_000, stdin: 'ignore' });
  const what = `${path.basename(tool)} ${args.slice(0, 3).join(' ')}`;
  t.notRegex(String(r.stderr), REPORT, `sanitizer report from ${what}:\n${String(r.stderr).slice(0, 4000)}`);
  t.falsy(r.signal, `${what} died by ${r.signal}`);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const lastJson = (r: Ran) => JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Record<string, unknown> & { ok: boolean };
const ip = (args: string[], input?: string) => execa('ip', args, { input, timeout: 30_000 });
const inNs = (ns: string, argv: string[]) => execa('ip', ['netns', 'exec', ns, ...argv], { timeout: 30_000 });

let forker: ResultPromise | undefined;

test.before(async () => {
  await execa('make', ['-s', '-C', path.join(REPO_ROOT, 'native'), 'all', 'sanitize'], { timeout: 300_000 });
  const fs = await execa('stat', ['-f', '-c', '%T', '/sys/fs/bpf'], { reject: false });
  if (String(fs.stdout).trim() !== 'bpf_fs') await execa('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']);
  mkdirSync(PINS);
  for (const ns of [NS, MANY]) {
    await ip(['netns', 'add', ns]);
    // No IPv6 autoconfiguration: the only frames on these links are the tests' own.
    await inNs(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  await ip(['-n', NS, 'link', 'add', S0, 'type', 'veth', 'peer', 'name', S1]);
  await ip(['-n', NS, 'link', 'add', GONE, 'type', 'veth', 'peer', 'name', `${GONE}p`]);
  // 75 veth pairs first, then the target, whose /proc/net/dev line comes last, past 16 KB.
  const batch = Array.from({ length: 75 }, (_, i) => `link add xdpb-m${i}a type veth peer name xdpb-m${i}b`);
  await ip(['-n', MANY, '-batch', '-'], `${batch.join('\n')}\n`);
  await ip(['-n', MANY, 'link', 'add', TGT, 'type', 'veth', 'peer', 'name', TGT_PEER, 'netns', NS]);
  await ip(['-n', MANY, 'addr', 'add', '10.98.0.1/24', 'dev', TGT]);
  await ip(['-n', NS, 'addr', 'add', '10.98.0.2/24', 'dev', TGT_PEER]);
  for (const [ns, dev] of [[NS, S0], [NS, S1], [NS, GONE], [NS, `${GONE}p`], [NS, TGT_PEER], [MANY, TGT]] as const) {
    await ip(['-n', ns, 'link', 'set', dev, 'up']);
  }
});

test.after.always(async () => {
  forker?.kill('SIGKILL');
  await forker?.catch(() => undefined);
  for (const ns of [NS, MANY]) await execa('ip', ['netns', 'del', ns], { reject: false });
  rmSync(PINS, { recursive: true, force: true });
  rmSync(SCRATCH, { recursive: true, force: true });
  unregisterRun(RUN);
});

test.serial('usage errors exit 2 with a message naming the option, and no sanitizer report', async (t) => {
  const cases: [string, string[], RegExp][] = [
    [XDPB, [], /missing subcommand/],
    [XDPB, ['frobnicate'], /unknown subcommand/],
    [XDPB, ['sample', '--interval-ms'], /option --interval-ms without a value/],
    [XDPB, ['sample', '--interval-ms', '10x', '--snmp', `a=${NS}`], /--interval-ms takes an integer, got '10x'/],
    [XDPB, ['sample', '--interval-ms', '', '--snmp', `a=${NS}`], /--interval-ms takes an integer, got ''/],
    [XDPB, ['sample', '--interval-ms', '99999999999999999999', '--snmp', `a=${NS}`], /--interval-ms takes an integer/],
    [XDPB, ['sample', '--interval-ms', '9223372036854775807', '--snmp', `a=${NS}`], /--interval-ms 1\.\.86400000/],
    [XDPB, ['sample', '--max-samples', '-1', '--snmp', `a=${NS}`], /--max-samples >= 0/],
    [XDPB, ['sample', '--dev-stats', 'no-equals'], /--dev-stats takes LABEL=NETNS\/IFNAME/],
    [XDPB, ['sample', '--dev-stats', `a=${NS}/much-too-long-ifname`], /--dev-stats takes LABEL=NETNS\/IFNAME/],
    [XDPB, ['sample', '--stats', '=/sys/fs/bpf/x'], /--stats takes LABEL=PINNED_MAP/],
    [XDPB, ['gen', '--obj', GEN_OBJECT, '--dev', S0, '--frame-hex', FRAME_HEX, '--duration-ms', '100', '--cpus', '0,,1'], /--cpus takes a comma-separated list/],
    [XDPB, ['gen', '--obj', GEN_OBJECT, '--dev', S0, '--frame-hex', FRAME_HEX, '--duration-ms', '100', '--cpus', '4096'], /--cpus takes a comma-separated list of CPUs 0\.\./],
    [XDPB, ['gen', '--obj', GEN_OBJECT, '--dev', S0, '--frame-hex', FRAME_HEX, '--duration-ms', '100', '--cpus', '0', '--rate-pps', '-5'], /--rate-pps must be >= 0/],
    [XDPB, ['gen', '--obj', GEN_OBJECT, '--dev', S0, '--frame-hex', `${FRAME_HEX.slice(0, -2)}-1`, '--duration-ms', '100', '--cpus', '0'], /--frame-hex must be/],
    [XDPB, ['devmap-set', '--map', 'x', '--key', '4294967296', '--netns', NS, '--dev', S0], /--key 0\.\.4294967295/],
    [XDPB, ['prog-info', '--id', '4294967297'], /prog-info needs --id N/],
    [XDPB, ['exec', '--netns', NS, '--cpu', '4096', '--', 'true'], /--cpu must be a CPU number/],
    [XDPB, ['map-update', '--map', 'x', '--key-hex', '0g', '--value-hex', '00'], /even-length hex/],
    [XDPB, ['guard', '--pin-dir', '/sys/fs/bpf/other', '--guard-dev', 'x', '--idle-timeout-ms', '1000'], /must be a run's directory/],
    [LAT, [], /missing subcommand/],
    [LAT, ['probe', '--dst-ip', '10.98.0.2', '--dst-port', '9', '--count', '1', '--rate-pps', '10', '--dev', 'much-too-long-ifname'], /--dev must be an interface name/],
    [LAT, ['prog-run', '--obj', BENCH_OBJECT, '--prog-name', 'xdp_drop', '--frame-hex', FRAME_HEX, '--cpu', '4294967296'], /--cpu must be a CPU number/],
    [LAT, ['prog-run', '--obj', BENCH_OBJECT, '--prog-name', 'xdp_drop', '--frame-hex', FRAME_HEX, '--devmap', '=lo'], /--devmap takes MAP=IFNAME/],
  ];
  for (const [tool, args, message] of cases) {
    const r = await san(t, tool, args);
    t.is(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, args.join(' '));
  }
});

test.serial('load pins every program and map; attach native and generic, query, prog-info, detach', async (t) => {
  const load = await san(t, XDPB, ['load', '--obj', BENCH_OBJECT, '--pin-dir', `${PINS}/dut`]);
  t.is(load.exitCode, 0, load.stdout);
  const answer = lastJson(load) as unknown as { programs: { name: string; id: number; pin: string }[]; maps: { name: string; pin: string }[] };
  const drop = answer.programs.find((p) => p.name === 'xdp_drop')!;
  t.truthy(drop);
  t.true(existsSync(drop.pin));
  t.true(answer.maps.some((m) => m.name === 'xdpb_stats'));
  for (const mode of ['native', 'generic'] as const) {
    const at = await san(t, XDPB, ['attach', '--prog', drop.pin, '--netns', NS, '--dev', S1, '--mode', mode]);
    t.is(at.exitCode, 0, at.stdout);
    const q = await san(t, XDPB, ['query', '--netns', NS, '--dev', S1]);
    t.is((lastJson(q) as unknown as Record<string, number>)[mode], drop.id, q.stdout);
    const info = await san(t, XDPB, ['prog-info', '--id', String(drop.id)]);
    t.is(lastJson(info).name, 'xdp_drop');
    const de = await san(t, XDPB, ['detach', '--netns', NS, '--dev', S1, '--mode', mode]);
    t.is(de.exitCode, 0, de.stdout);
  }
  const missing = await san(t, XDPB, ['query', '--netns', NS, '--dev', 'xdpb-nope']);
  t.is(missing.exitCode, 1);
  t.like(lastJson(missing), { ok: false, stage: 'resolve-device', errno: 19 });
  const inspect = await san(t, XDPB, ['inspect', '--obj', BENCH_OBJECT]);
  t.is(inspect.exitCode, 0);
});

const PINNED_MAPS_OBJECT = path.join(NATIVE_BUILD_DIR, 'test', 'pinned_maps.bpf.o');
const BY_NAME = ['xdpb_test_filter_ports', 'xdpb_test_stats_map'];

test.serial('attach --obj failing after the load (no such program, or a program already attached) frees the object and leaves no pins or dir', async (t) => {
  const nope = await san(t, XDPB, ['attach', '--obj', BENCH_OBJECT, '--prog-name', 'nope', '--pin-dir', `${PINS}/att-nope`, '--netns', NS, '--dev', S1, '--mode', 'generic']);
  t.is(nope.exitCode, 1, nope.stdout);
  t.like(lastJson(nope), { ok: false, stage: 'find-program', errno: 2 });
  t.false(existsSync(`${PINS}/att-nope`));
  // A program already on the device: UPDATE_IF_NOEXIST refuses (EBUSY) after libbpf pinned the by-name maps and made the dir.
  const held = await san(t, XDPB, ['attach', '--obj', BENCH_OBJECT, '--prog-name', 'xdp_pass', '--netns', NS, '--dev', S1, '--mode', 'generic']);
  t.is(held.exitCode, 0, held.stdout);
  try {
    const busy = await san(t, XDPB, ['attach', '--obj', PINNED_MAPS_OBJECT, '--prog-name', 'drop_counted_pinned', '--pin-dir', `${PINS}/att-busy`, '--netns', NS, '--dev', S1, '--mode', 'generic']);
    t.is(busy.exitCode, 1, busy.stdout);
    t.like(lastJson(busy), { ok: false, stage: 'attach' });
    t.false(existsSync(`${PINS}/att-busy`), 'the by-name pins and the dir libbpf made are removed');
  } finally {
    await san(t, XDPB, ['detach', '--netns', NS, '--dev', S1, '--mode', 'generic']);
  }
});

test.serial('a failed pin in a reused pin dir keeps the by-name pins and the dir that were there before', async (t) => {
  const dir = `${PINS}/reused`;
  const first = await san(t, XDPB, ['load', '--obj', PINNED_MAPS_OBJECT, '--pin-dir', dir]);
  t.is(first.exitCode, 0, first.stdout);
  const before = readdirSync(dir).sort();
  t.deepEqual(before, ['prog_drop_counted_pinned', ...BY_NAME]);
  // The second load reuses the by-name maps, then its program pin collides (EEXIST): only its own pins go.
  const again = await san(t, XDPB, ['load', '--obj', PINNED_MAPS_OBJECT, '--pin-dir', dir]);
  t.is(again.exitCode, 1, again.stdout);
  t.like(lastJson(again), { ok: false, stage: 'pin-program', errno: 17 });
  t.deepEqual(readdirSync(dir).sort(), before);
});

test.serial('a failed program pin in a fresh pin dir removes the by-name pins libbpf made at load, and the dir', async (t) => {
  // A 4,071-byte dir: DIR/xdpb_test_filter_ports (4,094 bytes) is pinned by libbpf, DIR/prog_drop_counted_pinned does not fit.
  let parent = `${PINS}/byname`;
  while (parent.length < 4071 - 251) parent = `${parent}/${'d'.repeat(250)}`;
  mkdirSync(parent, { recursive: true });
  const dir = `${parent}/${'p'.repeat(4071 - parent.length - 1)}`;
  t.is(dir.length, 4071);
  const r = await san(t, XDPB, ['load', '--obj', PINNED_MAPS_OBJECT, '--pin-dir', dir]);
  t.is(r.exitCode, 1, r.stdout);
  t.like(lastJson(r), { ok: false, stage: 'pin-program', errno: 36 });
  t.false(existsSync(dir), existsSync(dir) ? `left: ${readdirSync(dir).join(', ')}` : '');
  t.deepEqual(readdirSync(parent), []);
});

test.serial('sample with a trace object libbpf refuses: exceptionsError in libbpf\'s words (its own errors are 4000+), every sample', async (t) => {
  const notBpf = path.join(SCRATCH, 'not-bpf.o');
  writeFileSync(notBpf, 'not an ELF file\n');
  const r = await san(t, XDPB, ['sample', '--interval-ms', '10', '--max-samples', '2', '--snmp', `a=${NS}`, '--trace-obj', notBpf, '--trace-prog-id', '1']);
  t.is(r.exitCode, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { exceptions?: unknown; exceptionsError?: string });
  t.is(lines.length, 2);
  for (const l of lines) {
    t.is(l.exceptions, undefined);
    t.is(l.exceptionsError, `loading ${notBpf}: BPF object format invalid`);
  }
});

test.serial('a pin path longer than PATH_MAX is refused (ENAMETOOLONG), not cut, and leaves nothing behind', async (t) => {
  // Nested 250-byte directories bring the pin directory to ~4,080 bytes: DIR/prog_NAME no longer fits.
  let dir = `${PINS}/long`;
  while (dir.length < 4080 - 251) dir = `${dir}/${'d'.repeat(250)}`;
  mkdirSync(dir, { recursive: true });
  const pinDir = `${dir}/${'p'.repeat(Math.min(250, 4085 - dir.length))}`;
  t.true(pinDir.length < 4096 && pinDir.length > 4000, `${pinDir.length}`);
  const r = await san(t, XDPB, ['load', '--obj', BENCH_OBJECT, '--pin-dir', pinDir]);
  t.is(r.exitCode, 1, r.stdout);
  t.like(lastJson(r), { ok: false, stage: 'pin-program', errno: 36 });
  t.false(existsSync(pinDir), 'the directory the failed load made is removed');
  t.deepEqual(readdirSync(dir), []);
});

test.serial('sample finds the device past 16 KB of /proc/net/dev (152 interfaces); its counters equal the kernel\'s', async (t) => {
  // Frames on the target: probes to its peer (ARP, UDP, ICMP port unreachable back).
  const probe = await san(t, LAT, ['probe', '--netns', MANY, '--dev', TGT, '--dst-ip', '10.98.0.2', '--dst-port', '9', '--count', '3', '--rate-pps', '100', '--timeout-ms', '100']);
  t.is(probe.exitCode, 0, probe.stdout);
  t.like(lastJson(probe), { ok: true, sent: 3 });
  const procNetDev = await inNs(MANY, ['cat', '/proc/net/dev']);
  t.true(procNetDev.stdout.length > 16384, `/proc/net/dev is ${procNetDev.stdout.length} bytes`);
  t.true(procNetDev.stdout.trim().split('\n').at(-1)!.trim().startsWith(`${TGT}:`), 'the target is the last line');
  const r = await san(t, XDPB, ['sample', '--interval-ms', '10', '--max-samples', '1', '--dev-stats', `tgt=${MANY}/${TGT}`]);
  t.is(r.exitCode, 0, r.stderr);
  const kernel = JSON.parse((await ip(['-n', MANY, '-s', '-j', 'link', 'show', 'dev', TGT])).stdout)[0].stats64;
  const link = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { dev: Record<string, { link: Record<string, number> | null }> }).dev.tgt!.link;
  t.truthy(link, 'link counters found');
  t.true(kernel.tx.packets >= 3, `the probes left ${kernel.tx.packets} tx packets`);
  t.deepEqual(link, {
    rx_bytes: kernel.rx.bytes, rx_packets: kernel.rx.packets, rx_errors: kernel.rx.errors, rx_dropped: kernel.rx.dropped,
    tx_bytes: kernel.tx.bytes, tx_packets: kernel.tx.packets, tx_errors: kernel.tx.errors, tx_dropped: kernel.tx.dropped,
  });
});

test.serial('sample takes more than 16 sources of each kind, program stats, ethtool and snmp at once', async (t) => {
  const labels = Array.from({ length: 20 }, (_, i) => `d${i}`);
  const args = ['sample', '--interval-ms', '10', '--max-samples', '1', '--snmp', `ns=${NS}`];
  for (const l of labels) args.push('--dev-stats', `${l}=${NS}/${S0}`, '--stats', `${l}=${PINS}/dut/map_xdpb_stats`);
  const r = await san(t, XDPB, args);
  t.is(r.exitCode, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { dev: Record<string, { link: object | null; ethtool?: object }>; stats: Record<string, { packets: number[][] }>; snmp: Record<string, { Ip: object }> });
  t.is(lines.length, 2, 'one sample, then the last one');
  t.deepEqual(Object.keys(lines[0]!.dev), labels);
  t.deepEqual(Object.keys(lines[0]!.stats), labels);
  for (const l of labels) {
    t.truthy(lines[0]!.dev[l]!.link);
    t.true('rx_queue_0_xdp_packets' in lines[0]!.dev[l]!.ethtool!);
    t.is(lines[0]!.stats[l]!.packets.length, 5);
  }
  t.truthy(lines[0]!.snmp.ns!.Ip);
});

test.serial('sample of a missing device or a map of another shape fails before the first sample, naming it', async (t) => {
  const r = await san(t, XDPB, ['sample', '--interval-ms', '10', '--max-samples', '1', '--dev-stats', `dut0=${NS}/xdpb-nope`]);
  t.is(r.exitCode, 1);
  t.is(r.stdout.trim().split('\n').length, 1, 'the failure only, no sample');
  t.like(lastJson(r), { ok: false, stage: 'resolve-device', errno: 19, detail: `dut0=${NS}/xdpb-nope: no device xdpb-nope in netns ${NS}` });
  const ns = await san(t, XDPB, ['sample', '--interval-ms', '10', '--dev-stats', `dut0=xdpb-${RUN}-none/x`]);
  t.like(lastJson(ns), { ok: false, stage: 'enter-netns', errno: 2 });
  const devmap = await san(t, XDPB, ['sample', '--interval-ms', '10', '--stats', `dut=${PINS}/dut/map_xdpb_redirect_port`]);
  t.is(devmap.exitCode, 1);
  t.like(lastJson(devmap), { ok: false, stage: 'open-stats-map', errno: 22 });
  t.regex(String(lastJson(devmap).detail), /is not an xdpb_stats map/);
  // The harness's sampler turns it into an error that names the device (the normal build).
  const err = await t.throwsAsync(CounterSampler.start({ intervalMs: 50, statsMaps: {}, devices: { dut0: { netns: NS, dev: 'xdpb-nope' } } }), { instanceOf: KernelRefusalError });
  t.is(err!.message, `resolve-device (dut0=${NS}/xdpb-nope: no device xdpb-nope in netns ${NS}): No such device (errno 19)`);
});

test.serial('a device removed while sampled is link null with "gone", one made again under its name is "replaced"', async (t) => {
  const child = execa(XDPB, ['sample', '--interval-ms', '50', '--dev-stats', `g=${NS}/${GONE}`, '--dev-stats', `s=${NS}/${S0}`], { reject: false, env: SAN_ENV, timeout: 20_000, stdin: 'pipe' });
  const lines: { dev: Record<string, { link: object | null; error?: string }> }[] = [];
  const waiters: (() => void)[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(JSON.parse(l));
    for (const w of waiters.splice(0)) w();
  });
  const until = async (ok: () => boolean, what: string) => {
    const deadline = Date.now() + 5000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`no sample with ${what} within 5 s`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  try {
    await until(() => lines.length > 0, 'anything');
    t.truthy(lines[0]!.dev.g!.link);
    await ip(['-n', NS, 'link', 'del', GONE]);
    await until(() => lines.at(-1)!.dev.g!.link === null, 'the device gone');
    t.is(lines.at(-1)!.dev.g!.error, `device ${GONE} is gone from netns ${NS} (No such device)`);
    t.truthy(lines.at(-1)!.dev.s!.link, 'the other device is still sampled');
    await ip(['-n', NS, 'link', 'add', GONE, 'type', 'veth', 'peer', 'name', `${GONE}p`]);
    await until(() => /replaced/.test(lines.at(-1)!.dev.g!.error ?? ''), 'the device replaced');
    t.regex(lines.at(-1)!.dev.g!.error!, new RegExp(`^device ${GONE} in netns ${NS} was replaced \\(ifindex \\d+, now \\d+\\): its counters started again$`));
  } finally {
    child.stdin!.end(); // EOF: the sampler prints its last sample and exits
  }
  const r = await child;
  t.is(r.exitCode, 0);
  t.notRegex(String(r.stderr), REPORT, String(r.stderr).slice(0, 4000));
});

test.serial('gen with 16 --set knobs (it adds 2 of its own) and 17 threads; bad knob values are refused', async (t) => {
  const sets = Array.from({ length: 16 }, () => ['--set', 'xdpb_flows=2']).flat();
  const base = ['gen', '--obj', GEN_OBJECT, '--netns', NS, '--dev', S0, '--frame-hex', FRAME_HEX];
  const r = await san(t, XDPB, [...base, '--duration-ms', '200', '--cpus', '0', ...sets]);
  t.is(r.exitCode, 0, r.stdout);
  t.like(lastJson(r), { ok: true, threads: 1 });
  t.true((lastJson(r).framesSent as number) > 0);
  const many = await san(t, XDPB, [...base, '--duration-ms', '100', '--cpus', Array.from({ length: 17 }, (_, i) => i % 2).join(',')]);
  t.like(lastJson(many), { ok: true, threads: 17 });
  for (const [knob, errno] of [['xdpb_flows=abc', 22], ['xdpb_flows=4294967296', 34], ['xdpb_flows=', 22], ['no_such_knob=1', 2]] as const) {
    const bad = await san(t, XDPB, [...base, '--duration-ms', '100', '--cpus', '0', '--set', knob]);
    t.is(bad.exitCode, 1, knob);
    t.like(lastJson(bad), { ok: false, stage: 'set-knob', errno, detail: knob });
  }
});

test.serial('map-update checks per-CPU value sizes; devmap-set and exec run', async (t) => {
  const stats = `${PINS}/dut/map_xdpb_stats`;
  // Possible CPUs ("0-1", "0,2-3"): the kernel's count for per-CPU values.
  const ncpus = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')
    .reduce((n, r) => { const [a, b] = r.split('-').map(Number); return n + (b ?? a!) - a! + 1; }, 0);
  const short = await san(t, XDPB, ['map-update', '--map', stats, '--key-hex', '00000000', '--value-hex', '00'.repeat(16)]);
  t.is(short.exitCode, 1);
  t.regex(String(lastJson(short).detail), new RegExp(`${16 * ncpus}-byte values \\(one per possible CPU\\)`));
  const full = await san(t, XDPB, ['map-update', '--map', stats, '--key-hex', '00000000', '--value-hex', '00'.repeat(16 * ncpus)]);
  t.is(full.exitCode, 0, full.stdout);
  const dm = await san(t, XDPB, ['devmap-set', '--map', `${PINS}/dut/map_xdpb_redirect_port`, '--key', '0', '--netns', NS, '--dev', S1]);
  t.is(dm.exitCode, 0, dm.stdout);
  const ex = await san(t, XDPB, ['exec', '--netns', NS, '--cpu', '0', '--', 'ip', '-o', 'link', 'show', S0]);
  t.is(ex.exitCode, 0, ex.stderr);
  t.regex(ex.stdout, new RegExp(S0));
});

test.serial('xdpb-lat list and prog-run', async (t) => {
  const list = await san(t, LAT, ['list', '--obj', LATENCY_OBJECT]);
  t.true((lastJson(list).programs as { name: string }[]).some((p) => p.name === 'xdp_reflect'));
  const run = await san(t, LAT, ['prog-run', '--obj', BENCH_OBJECT, '--prog-name', 'xdp_drop', '--frame-hex', FRAME_HEX, '--repeat', '1000', '--runs', '2']);
  t.is(run.exitCode, 0, run.stdout);
  t.is((lastJson(run).runs as unknown[]).length, 2);
  const missing = await san(t, LAT, ['prog-run', '--obj', BENCH_OBJECT, '--prog-name', 'xdp_nope', '--frame-hex', FRAME_HEX]);
  t.like(lastJson(missing), { ok: false, stage: 'find-program' });
});

/* More than 4,096 processes whose command line names the run: a tiny forker's children
 * (fork, no exec: they keep its argv) live until it dies. The old scan stopped at
 * 4,096 processes, so it could never kill them all, wherever their pids fall. */
const FORKER_C = `#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int n = atoi(argv[1]);
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) return 1;
    /* Not PR_SET_PDEATHSIG: the guard must find each child alive to count it; it ends within 1 s of the forker. */
    if (p == 0) { pid_t parent = getppid(); for (;;) { sleep(1); if (getppid() != parent) _exit(0); } }
  }
  printf("ready\\n");
  fflush(stdout);
  for (;;) pause();
}
`;
const FORKED = 4200;

test.serial('guard scans every process (more than 4,096) and kills the matching ones with their descendants', async (t) => {
  const src = path.join(SCRATCH, 'forker.c');
  const bin = path.join(SCRATCH, `xdpb-${RUN}-forker`);
  writeFileSync(src, FORKER_C);
  await execa('cc', ['-O1', '-o', bin, src]);
  const needle = `xdpb-${RUN}-victim`;
  forker = execa(bin, [String(FORKED), needle], { reject: false, timeout: 60_000 });
  await new Promise<void>((resolve, reject) => {
    forker!.stdout!.once('data', () => resolve());
    forker!.then((r) => reject(new Error(`the forker ended early: ${r.exitCode} ${r.stderr}`)), reject);
  });
  t.true(readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length > FORKED);
  // A matching process whose child names nothing (the DUT lock's sleep): the child goes too.
  const victim = execa('sh', ['-c', `sleep 30 & wait; : ${needle}`], { reject: false, timeout: 60_000 });
  let sleeper = 0;
  for (let i = 0; i < 50 && !sleeper; i++) {
    await new Promise((r) => setTimeout(r, 50));
    sleeper = Number((await execa('pgrep', ['-P', String(victim.pid)], { reject: false })).stdout.trim()) || 0;
  }
  t.true(sleeper > 0, 'the victim started its child');
  mkdirSync(`${PINS}/guard/sub`, { recursive: true });
  const r = await san(t, XDPB, ['guard', '--pin-dir', `${PINS}/guard`, '--guard-dev', `xdpb-${RUN}-x`, '--idle-timeout-ms', '100', '--kill-matching', needle], { timeoutMs: 30_000 });
  const f = await forker;
  forker = undefined;
  t.is(f.signal, 'SIGKILL', 'the forker was killed by the guard');
  t.is(r.exitCode, 0, r.stdout);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  // forker + its children + sh + sleep
  t.like(lines.at(-1), { ok: true, reason: 'eof', detached: 0, killed: FORKED + 3 });
  t.is((await victim).signal, 'SIGKILL');
  // The descendant is killed too (at most a zombie until init reaps it).
  const alive = () => existsSync(`/proc/${sleeper}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${sleeper}/status`, 'utf8'));
  for (let i = 0; i < 20 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  t.false(alive(), `process ${sleeper} (the victim's child) is still running`);
  t.false(existsSync(`${PINS}/guard`));
});

/* The command tables of the C helpers (native/args.c, native/xdpb.c, native/xdpb_lat.c), run for real
 * in their ASan/UBSan builds: each command takes only its own options (another command's is refused,
 * naming the option and the command), `CMD --help` and `help CMD` list exactly the options it takes,
 * and every option the TypeScript drivers pass is one the command lists. */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import path from 'node:path';
import { samplerArgv } from '../../drivers/counter-sampler.ts';
import { localHost } from '../../drivers/host.ts';
import { probeArgv } from '../../drivers/latency-prober.ts';
import { liveGenArgv } from '../../drivers/live-generator.ts';
import { listProgramsArgv, progRunArgv } from '../../drivers/prog-run.ts';
import { attachArgv, execInNetnsArgv, loadOptionArgv } from '../../drivers/xdpb-helper.ts';
import { guardArgv } from '../../harness/lab/lab-rig.ts';
import { NATIVE_BUILD_DIR, REPO_ROOT } from '../../ground/paths.ts';

const XDPB = path.join(NATIVE_BUILD_DIR, 'asan', 'xdpb');
const LAT = path.join(NATIVE_BUILD_DIR, 'asan', 'xdpb-lat');
const SAN_ENV = {
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1:halt_on_error=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:abort_on_error=1:halt_on_error=1',
};
const REPORT = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/;

/* What each command takes: written out here, not read from the C, so a table that loses or gains an option fails. */
const OPTIONS: Record<'xdpb' | 'xdpb-lat', Record<string, string[]>> = {
  xdpb: {
    load: ['--obj', '--pin-dir', '--map-size', '--as-xdp', '--prog-name'],
    attach: ['--prog', '--obj', '--prog-name', '--pin-dir', '--map-size', '--as-xdp', '--netns', '--dev', '--mode', '--offload-max-entries'],
    'prog-info': ['--id'],
    detach: ['--netns', '--dev', '--mode'],
    query: ['--netns', '--dev'],
    'devmap-set': ['--map', '--key', '--netns', '--dev'],
    sample: ['--interval-ms', '--max-samples', '--stats', '--dev-stats', '--snmp', '--trace-obj', '--trace-prog-id'],
    gen: ['--obj', '--netns', '--dev', '--frame-hex', '--duration-ms', '--cpus', '--rate-pps', '--flows', '--batch', '--set'],
    exec: ['--netns', '--cpu'],
    inspect: ['--obj'],
    'map-update': ['--map', '--key-hex', '--value-hex'],
    guard: ['--pin-dir', '--guard-dev', '--idle-timeout-ms', '--kill-matching'],
  },
  'xdpb-lat': {
    probe: ['--netns', '--dev', '--dst-ip', '--dst-port', '--count', '--rate-pps', '--src-port', '--timeout-ms', '--payload-bytes', '--cpu', '--warmup', '--hw-timestamps', '--udp-checksum'],
    'prog-run': ['--obj', '--prog-name', '--frame-hex', '--repeat', '--runs', '--cpu', '--devmap'],
    list: ['--obj'],
  },
};
const BIN = { xdpb: XDPB, 'xdpb-lat': LAT } as const;
const ALL = Object.entries(OPTIONS).flatMap(([tool, cmds]) => Object.keys(cmds).map((cmd) => [tool as keyof typeof BIN, cmd] as const));

async function san(t: ExecutionContext, tool: string, args: string[]) {
  // stripFinalNewline: the messages are compared whole, newline included.
  const r = await execa(tool, args, { reject: false, env: SAN_ENV, timeout: 30_000, stdin: 'ignore', stripFinalNewline: false });
  t.notRegex(String(r.stderr), REPORT, `sanitizer report from ${path.basename(tool)} ${args.join(' ')}:\n${String(r.stderr).slice(0, 4000)}`);
  t.falsy(r.signal, `${args.join(' ')} died by ${r.signal}`);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The option names of a command's help, in its order. */
const helpOptions = (stdout: string) => [...stdout.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!);

test.before(async () => {
  await execa('make', ['-s', '-C', path.join(REPO_ROOT, 'native'), 'all', 'sanitize'], { timeout: 300_000 });
});

test('CMD --help and help CMD list exactly the options the command takes, exit 0, nothing on stderr', async (t) => {
  for (const [tool, cmd] of ALL) {
    const viaFlag = await san(t, BIN[tool], [cmd, '--help']);
    t.is(viaFlag.exitCode, 0, `${tool} ${cmd} --help: ${viaFlag.stderr}`);
    t.is(viaFlag.stderr, '');
    t.true(viaFlag.stdout.startsWith(`usage: ${tool} ${cmd} `), viaFlag.stdout);
    t.deepEqual(helpOptions(viaFlag.stdout), OPTIONS[tool][cmd]!, `${tool} ${cmd}`);
    const viaHelp = await san(t, BIN[tool], ['help', cmd]);
    t.is(viaHelp.exitCode, 0);
    t.is(viaHelp.stdout, viaFlag.stdout, `${tool} help ${cmd} is ${cmd} --help`);
  }
  const exec = await san(t, XDPB, ['exec', '--help']);
  t.regex(exec.stdout, /^ {2}-- PROGRAM ARGS\.\.\./m, 'exec shows what follows --');
});

test('help lists every command of the tool', async (t) => {
  for (const tool of ['xdpb', 'xdpb-lat'] as const) {
    const r = await san(t, BIN[tool], ['help']);
    t.is(r.exitCode, 0);
    const listed = [...r.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]);
    t.deepEqual(listed, Object.keys(OPTIONS[tool]), tool);
  }
});

test('an option of another command is refused with exit 2, naming the option and the command', async (t) => {
  for (const [tool, cmd] of ALL) {
    const own = new Set(OPTIONS[tool][cmd]);
    const foreign = Object.values(OPTIONS[tool]).flat().filter((o) => !own.has(o));
    t.true(foreign.length > 0, `${tool} ${cmd} has some other command's option to try`);
    for (const opt of new Set(foreign)) {
      const r = await san(t, BIN[tool], [cmd, opt, '1']);
      t.is(r.exitCode, 2, `${tool} ${cmd} ${opt}: ${r.stdout}${r.stderr}`);
      t.is(r.stdout, '', 'nothing on stdout: not a JSON answer');
      t.is(r.stderr, `${tool}: unknown option ${opt} for ${cmd} (see: ${tool} help ${cmd})\n`);
    }
  }
  // load's --set was dead (no caller): gone; gen keeps it.
  const set = await san(t, XDPB, ['load', '--obj', 'x', '--pin-dir', '/sys/fs/bpf/x', '--set', 'a=1']);
  t.is(set.exitCode, 2);
  t.regex(set.stderr, /unknown option --set for load/);
});

test('"--" is refused by a command that runs no program; unknown commands are named', async (t) => {
  const r = await san(t, XDPB, ['query', '--dev', 'lo', '--', 'true']);
  t.is(r.exitCode, 2);
  t.is(r.stderr, 'xdpb: query takes no -- PROGRAM ARGS (see: xdpb help query)\n');
  for (const args of [['frobnicate'], ['help', 'frobnicate']]) {
    const u = await san(t, LAT, args);
    t.is(u.exitCode, 2);
    t.is(u.stderr, 'xdpb-lat: unknown subcommand frobnicate (see: xdpb-lat help)\n');
  }
});

test('a number outside its option\'s range is refused by the parser with the range, before anything runs', async (t) => {
  const r = await san(t, XDPB, ['guard', '--pin-dir', '/sys/fs/bpf/xdpb-x', '--guard-dev', 'x', '--idle-timeout-ms', '3000000000']);
  t.is(r.exitCode, 2);
  t.is(r.stdout, '', 'no {"ok":true,"guarding":...}: it never started');
  t.is(r.stderr, 'xdpb: --idle-timeout-ms must be 100..2147483647, got 3000000000 (see: xdpb help guard)\n');
  const lat = await san(t, LAT, ['probe', '--dst-ip', '10.0.0.1', '--dst-port', '9', '--count', '1', '--rate-pps', '1', '--warmup', 'x']);
  t.is(lat.exitCode, 2);
  t.is(lat.stderr, 'xdpb-lat: --warmup takes an integer, got \'x\'\n', 'the option is named (it used to be "not a number")');
});

/** [tool, command, its options] of a driver's argv (before any "--"). */
function optionsOf(argv: readonly string[]): [keyof typeof BIN, string, string[]] {
  const tool = path.basename(argv[0]!) as keyof typeof BIN;
  const end = argv.indexOf('--') < 0 ? argv.length : argv.indexOf('--');
  return [tool, argv[1]!, argv.slice(2, end).filter((a) => a.startsWith('--'))];
}

test('every option the TypeScript drivers pass is one its command lists', async (t) => {
  const frame = Buffer.alloc(64);
  const load = { mapSizes: [{ map: 'm', maxEntries: 4 }], asXdp: 'p', only: 'p' };
  const argvs: string[][] = [
    [XDPB, 'load', '--obj', 'o', '--pin-dir', 'd', ...loadOptionArgv(load)],
    [XDPB, ...attachArgv({ netns: 'n', dev: 'd', mode: 'offload' }, { objectPath: 'o', programName: 'p', pinDir: 'd', offloadMaxEntries: 2, load })],
    [XDPB, ...attachArgv({ netns: 'n', dev: 'd', mode: 'native' }, { pin: '/sys/fs/bpf/x' })],
    samplerArgv({ intervalMs: 100, statsMaps: { a: 'p' }, devices: { b: { netns: 'n', dev: 'd' } }, snmp: { c: 'n' }, trace: { object: 'o', progId: 1 } }, XDPB),
    liveGenArgv({ netns: 'n', dev: 'd', frame, durationMs: 1000, cpus: [0], ratePps: 0, flows: 1, scratchDir: '/tmp', host: { ...localHost, helperPath: XDPB } }),
    execInNetnsArgv('n', ['true'], 0),
    guardArgv({ ...localHost, helperPath: XDPB }, '/sys/fs/bpf/xdpb-x', 'r', ['d']),
    probeArgv({ netns: 'n', dev: 'd', dstIp: '10.0.0.1', dstPort: 9, count: 1, ratePps: 1, srcPort: 1, timeoutMs: 1, payloadBytes: 20, cpu: 0, warmup: 0, hwTimestamps: 'off', udpChecksum: true }),
    progRunArgv({ objectPath: 'o', programName: 'p', frame, repeat: 1, runs: 1, cpu: 0, devmap: { map: 'm', dev: 'd' } }),
    listProgramsArgv('o'),
  ];
  const seen = new Set<string>();
  for (const argv of argvs) {
    const [tool, cmd, opts] = optionsOf(argv);
    t.truthy(OPTIONS[tool]?.[cmd], `${argv.slice(0, 2).join(' ')}: a command of the table`);
    seen.add(`${tool} ${cmd}`);
    const listed = helpOptions((await san(t, BIN[tool], [cmd, '--help'])).stdout);
    for (const o of opts) t.true(listed.includes(o), `${tool} ${cmd} lists ${o} (a driver passes it)`);
  }
  t.is(seen.size, 9, [...seen].join(', '));
});

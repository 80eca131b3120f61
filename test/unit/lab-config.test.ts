import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { expandLabPlan, LabConfigError, parseLabConfig, renderLabPlan, type LabConfig } from '../../harness/plan/lab-config.ts';
import { EXIT } from '../../ground/errors.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { ALLOWED_SSH_OPTIONS } from '../../drivers/ssh.ts';

const EXAMPLE = path.join(REPO_ROOT, 'scenarios', 'lab', 'example-lab.yaml');
const FILE = '/tmp/lab/lab.yaml';
const ALLOWED = Object.keys(ALLOWED_SSH_OPTIONS).join(', ');

/** A valid minimal config; each bad case below changes one thing. */
const GOOD = `
hosts:
  gen: { kind: ssh, user: bench, host: 198.18.100.10, identity: id_ed25519 }
  dut: { kind: ssh, user: bench, host: 198.18.100.20, port: 2222, identity: ~/.ssh/k, knownHosts: kh }
roles:
  generator: { host: gen, interfaces: { port0: { name: ens1f0, ip: 198.18.1.1/24 } } }
  dut: { host: dut, interfaces: { port0: { name: ens2f0, ip: 198.18.1.2/24 } } }
scenarios: [drop-all]
`;

function problemsOf(text: string, file = FILE): string[] {
  try {
    parseLabConfig(file, text);
  } catch (err) {
    if (err instanceof LabConfigError) return err.problems;
    throw err;
  }
  return [];
}

test('the example config parses: two ssh hosts, generator and DUT roles, paths resolved', (t) => {
  const c = parseLabConfig(EXAMPLE);
  t.is(c.name, 'example-lab');
  t.deepEqual(Object.keys(c.hosts), ['loadgen', 'dut1']);
  const g = c.hosts.loadgen!;
  if (g.kind !== 'ssh') return t.fail('loadgen should be ssh');
  t.is(g.identity, '~/.ssh/xdpb_lab_ed25519', 'identity keeps ~ for ssh to expand');
  t.is(g.knownHosts, path.join(REPO_ROOT, 'scenarios', 'lab', 'lab_known_hosts'), 'relative to the config file');
  t.deepEqual(g.options, { ServerAliveInterval: '5', ServerAliveCountMax: '3', ConnectTimeout: '10' });
  t.is(c.roles.generator.host, 'loadgen');
  t.is(c.roles.dut.interfaces.port0.mac, undefined);
  t.deepEqual(c.roles.generator.interfaces.port0.ip, { address: '198.18.1.1', prefixLength: 24 });
  t.deepEqual(c.modes, ['native', 'generic']);
  t.deepEqual(c.thresholds.failOn.map((f) => f.text), ['*/native/xdpPps<-5%', 'drop-all/generic/64/xdpPps<-10%']);
});

test('example addresses stay in 198.18.0.0/15', (t) => {
  const c = parseLabConfig(EXAMPLE);
  const inRange = (ip: string) => /^198\.(18|19)\./.test(ip);
  for (const h of Object.values(c.hosts)) if (h.kind === 'ssh') t.true(inRange(h.host), h.host);
  for (const r of [c.roles.generator, c.roles.dut]) {
    for (const i of [r.interfaces.port0, r.interfaces.port1]) if (i) t.true(inRange(i.ip.address), i.ip.address);
  }
});

test('defaults fill what a minimal config leaves out', (t) => {
  const c: LabConfig = parseLabConfig(FILE, GOOD);
  t.is(c.version, 1);
  t.is(c.name, 'lab', 'from the file name');
  t.deepEqual(c.modes, ['native', 'generic', 'offload']);
  t.deepEqual(c.sizesBytes, [64]);
  t.is(c.trials, 3);
  t.is(c.durationS, 2);
  t.is(c.warmupS, 1);
  t.is(c.intervalMs, 250);
  t.is(c.generator, 'auto');
  t.is(c.rate, '0');
  t.deepEqual(c.thresholds, { failOn: [], alpha: 0.05 });
  t.is(c.baseline, undefined);
  t.is(c.output, '/tmp/lab/results');
  const gen = c.hosts.gen!;
  const dut = c.hosts.dut!;
  if (gen.kind !== 'ssh' || dut.kind !== 'ssh') return t.fail();
  t.is(gen.port, 22);
  t.is(gen.identity, '/tmp/lab/id_ed25519');
  t.is(gen.knownHosts, path.join(homedir(), '.ssh', 'known_hosts'));
  t.is(gen.benchDir, '/var/lib/xdp-bench');
  t.is(dut.port, 2222);
  t.is(dut.knownHosts, '/tmp/lab/kh');
  t.deepEqual(c.roles.dut.forceInterfaces, []);
});

test('the types come from the schema (not any)', (t) => {
  const c = parseLabConfig(FILE, GOOD);
  // @ts-expect-error: not a field of the schema
  t.is(c.nonexistent, undefined);
  const h = c.hosts.dut!;
  // @ts-expect-error: user exists only on ssh hosts
  t.is(h.kind === 'local' ? h.user : 'bench', 'bench');
  const port: number = c.roles.dut.interfaces.port0.ip.prefixLength;
  t.is(port, 24);
});

test('a local host and "modes: all"', (t) => {
  const c = parseLabConfig(FILE, GOOD.replace('gen: { kind: ssh, user: bench, host: 198.18.100.10, identity: id_ed25519 }', 'gen: { kind: local }') + 'modes: all\n');
  t.deepEqual(c.hosts.gen, { kind: 'local', benchDir: '/var/lib/xdp-bench' });
  t.deepEqual(c.modes, ['native', 'generic', 'offload']);
});

test('a benchDir with spaces, quotes and other characters sh would read is accepted as it is', (t) => {
  const c = parseLabConfig(FILE, GOOD.replace('identity: id_ed25519 }', `identity: id_ed25519, benchDir: "/opt/xdp bench/it's $(x) \\\\ ünï/" }`));
  const gen = c.hosts.gen!;
  t.is(gen.benchDir, "/opt/xdp bench/it's $(x) \\ ünï/");
});

test('ssh options a lab needs pass, each value checked (jump chains, algorithm lists, keep-alives, addressing)', (t) => {
  const opts = '{ ConnectTimeout: 10, ServerAliveInterval: 5, ServerAliveCountMax: 3, TCPKeepAlive: no, Compression: yes, ConnectionAttempts: 2, ' +
    'Ciphers: "+aes128-ctr", KexAlgorithms: "curve25519-sha256,curve25519-sha256@libssh.org", MACs: hmac-sha2-256, HostKeyAlgorithms: ssh-ed25519, ' +
    'ProxyJump: "jump@bastion.lab:2222,198.18.100.1", CertificateFile: ~/.ssh/id-cert.pub, AddressFamily: inet, BindAddress: 198.18.100.5, RekeyLimit: 1G 1h, IPQoS: af21 cs1 }';
  const c = parseLabConfig(FILE, GOOD.replace('identity: id_ed25519 }', `identity: id_ed25519, options: ${opts} }`));
  const gen = c.hosts.gen!;
  if (gen.kind !== 'ssh') return t.fail();
  t.is(gen.options.ProxyJump, 'jump@bastion.lab:2222,198.18.100.1');
  t.is(gen.options.TCPKeepAlive, 'no');
  t.is(Object.keys(gen.options).length, 16);
});

/** [what, change to GOOD, expected problems (exactly these, in order)]. */
const BAD: [string, (s: string) => string, string[]][] = [
  ['port out of range', (s) => s.replace('port: 2222', 'port: 70000'), ['hosts.dut.port: expected an integer 1..65535, got 70000']],
  ['port as text', (s) => s.replace('port: 2222', 'port: "22"'), ['hosts.dut.port: expected an integer 1..65535, got "22"']],
  ['missing user', (s) => s.replace('user: bench, host: 198.18.100.10', 'host: 198.18.100.10'), ['hosts.gen.user: missing: expected a login name (letters, digits, _ . -)']],
  ['user that would be an ssh option', (s) => s.replace('user: bench, host: 198.18.100.10', 'user: "-oProxyCommand=sh", host: 198.18.100.10'),
    ['hosts.gen.user: expected a login name (letters, digits, _ . -), got "-oProxyCommand=sh"']],
  ['host that would be an ssh option', (s) => s.replace('host: 198.18.100.10', 'host: "-oProxyCommand=sh"'),
    ['hosts.gen.host: expected a host name or address (not starting with -), got "-oProxyCommand=sh"']],
  ['unknown host kind', (s) => s.replace('gen: { kind: ssh, user: bench, host: 198.18.100.10, identity: id_ed25519 }', 'gen: { kind: telnet }'),
    ['hosts.gen.kind: got "telnet": expected one of local, ssh']],
  ['unknown host field', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, passwd: x }'),
    ['hosts.gen.passwd: unknown field (known: kind, user, host, port, identity, knownHosts, options, benchDir)']],
  ['bad host name', (s) => s.replace('  gen: {', '  "gen host": {').replace('host: gen,', 'host: "gen host",'),
    ['hosts."gen host": not a valid name: expected letters, digits, _ or -, up to 32']],
  ['no hosts', (s) => s.replace(/hosts:\n(  .*\n){2}/, 'hosts: {}\n'),
    ['hosts: expected at least 1 entry', 'roles.generator.host: no host named "gen": expected one of (none defined under hosts)', 'roles.dut.host: no host named "dut": expected one of (none defined under hosts)']],
  ['ssh option the harness sets', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, options: { StrictHostKeyChecking: "no" } }'),
    ['hosts.gen.options.StrictHostKeyChecking: set by the harness (host keys always checked against knownHosts:, batch mode, multiplexed, key from identity:); remove it']],
  ['ssh option that runs a command', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, options: { proxycommand: "nc %h %p" } }'),
    [`hosts.gen.options.proxycommand: not allowed (use ProxyJump for a jump host): a lab config may set only ${ALLOWED}`]],
  // Issue 13: this pair passed validation and `bench lab prepare` ran the script.
  ['X11 forwarding with a program of ours as xauth', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, options: { ForwardX11: yes, XAuthLocation: /tmp/script } }'),
    [`hosts.gen.options.ForwardX11: not allowed: a lab config may set only ${ALLOWED}`, `hosts.gen.options.XAuthLocation: not allowed: a lab config may set only ${ALLOWED}`]],
  ['agent forwarding', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, options: { ForwardAgent: yes } }'),
    [`hosts.gen.options.ForwardAgent: not allowed (no agent: the key is given by identity:): a lab config may set only ${ALLOWED}`]],
  ['a second key', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, options: { IdentityFile: ~/.ssh/other } }'),
    ['hosts.gen.options.IdentityFile: set by the harness (host keys always checked against knownHosts:, batch mode, multiplexed, key from identity:); remove it (give the key as identity:)']],
  ['ssh option value on two lines', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, options: { ProxyJump: "a\\nb" } }'),
    ['hosts.gen.options.ProxyJump: expected a non-empty value on one line']],
  ['jump host that would be a shell command', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, options: { ProxyJump: "jump@198.18.100.1;touch x" } }'),
    ['hosts.gen.options.ProxyJump: jump host "jump@198.18.100.1;touch x": expected [user@]host[:port] (host a name or address not starting with -, port 1..65535), comma-separated for a chain']],
  ['allowed options with bad values', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, options: { ConnectTimeout: 0, Compression: maybe, Ciphers: "aes128-ctr aes256-ctr" } }'),
    ['hosts.gen.options.ConnectTimeout: expected an integer 1..3600', 'hosts.gen.options.Compression: expected one of yes, no',
      'hosts.gen.options.Ciphers: expected a comma-separated list of algorithm names (like aes256-gcm@openssh.com,chacha20-poly1305@openssh.com)']],
  ['one option twice in two spellings', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, options: { ConnectTimeout: 5, connecttimeout: 9 } }'),
    ['hosts.gen.options.connecttimeout: ConnectTimeout is already given (ssh_config names ignore case; ssh would use the first)']],
  ['relative benchDir', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, benchDir: opt/x }'),
    ['hosts.gen.benchDir: expected an absolute directory on that host (no control characters, no . or .. segments), got "opt/x"']],
  ['benchDir with .. or a tab', (s) => s.replace('identity: id_ed25519 }', 'identity: id_ed25519, benchDir: /opt/../etc }').replace('knownHosts: kh }', 'knownHosts: kh, benchDir: "/opt/a\\tb" }'),
    ['hosts.gen.benchDir: expected an absolute directory on that host (no control characters, no . or .. segments), got "/opt/../etc"',
      'hosts.dut.benchDir: expected an absolute directory on that host (no control characters, no . or .. segments), got "/opt/a\\tb"']],
  ['role on an unknown host', (s) => s.replace('host: dut,', 'host: dut2,'), ['roles.dut.host: no host named "dut2": expected one of gen, dut']],
  ['missing role', (s) => s.replace(/  dut: \{ host: dut.*\n/, ''), ['roles.dut: missing: expected a mapping of host, interfaces, cpus, forceInterfaces']],
  ['interface name with a slash', (s) => s.replace('name: ens2f0', 'name: "ens2/0"'),
    ['roles.dut.interfaces.port0.name: expected an interface name (1-15 of letters, digits, _ . @ -), got "ens2/0"']],
  ['interface name too long', (s) => s.replace('name: ens2f0', 'name: abcdefghijklmnop'),
    ['roles.dut.interfaces.port0.name: expected an interface name (1-15 of letters, digits, _ . @ -), got "abcdefghijklmnop"']],
  ['ip without prefix', (s) => s.replace('ip: 198.18.1.2/24', 'ip: 198.18.1.2'),
    ['roles.dut.interfaces.port0.ip: expected an IPv4 address with prefix length, like 198.18.1.2/24, got "198.18.1.2"']],
  ['ip octet out of range', (s) => s.replace('ip: 198.18.1.2/24', 'ip: 198.18.1.256/24'),
    ['roles.dut.interfaces.port0.ip: expected an IPv4 address with prefix length, like 198.18.1.2/24, got "198.18.1.256/24"']],
  ['bad mac', (s) => s.replace('name: ens2f0,', 'name: ens2f0, mac: "02:00:00:00:00",'),
    ['roles.dut.interfaces.port0.mac: expected a MAC address like 02:00:00:00:00:01, got "02:00:00:00:00"']],
  ['unknown port', (s) => s.replace('{ port0: { name: ens2f0, ip: 198.18.1.2/24 } }', '{ port0: { name: ens2f0, ip: 198.18.1.2/24 }, port2: { name: x, ip: 198.18.2.2/24 } }'),
    ['roles.dut.interfaces.port2: unknown field (known: port0, port1)']],
  ['duplicate cpu', (s) => s.replace('host: dut,', 'host: dut, cpus: [1, 2, 1],'), ['roles.dut.cpus[2]: duplicate entry 1']],
  ['negative irq cpu', (s) => s.replace('name: ens2f0,', 'name: ens2f0, irqCpus: [-1],'),
    ['roles.dut.interfaces.port0.irqCpus[0]: expected a CPU number 0..4095, got -1']],
  ['forcing an interface the role does not use', (s) => s.replace('host: dut,', 'host: dut, forceInterfaces: [eth0],'),
    ['roles.dut.forceInterfaces[0]: eth0 is not one of this role\'s interfaces (ens2f0)']],
  ['the same interface in two roles of one host', (s) => s.replace('host: dut,', 'host: gen,').replace('name: ens2f0', 'name: ens1f0'),
    ['roles.dut.interfaces.port0.name: ens1f0 on host gen is already roles.generator.interfaces.port0: one interface, one job']],
  ['no scenarios', (s) => s.replace('scenarios: [drop-all]', 'scenarios: []'), ['scenarios: expected 1..10000 entries, got 0']],
  ['unknown scenario', (s) => s.replace('[drop-all]', '[drop-all, drop-some]'),
    ['scenarios[1]: unknown scenario "drop-some": expected one of drop-all, pass-all, tx-reflect, redirect, aborted, or a scenario file (.yaml)']],
  ['missing scenario file', (s) => s.replace('[drop-all]', '[./nope.yaml]'), ['scenarios[0]: scenario file /tmp/lab/nope.yaml does not exist']],
  ['redirect without a second pair', (s) => s.replace('[drop-all]', '[redirect]'),
    ['scenarios[0]: "redirect" needs a second interface pair: add port1 under roles.generator.interfaces and roles.dut.interfaces']],
  ['duplicate scenario', (s) => s.replace('[drop-all]', '[drop-all, drop-all]'), ['scenarios[1]: duplicate entry "drop-all"']],
  ['unknown mode', (s) => `${s}modes: [native, turbo]\n`, ['modes[1]: expected one of native, generic, offload, got "turbo"']],
  ['modes as text', (s) => `${s}modes: native\n`, ['modes: expected all, or a list of native, generic, offload, got "native"']],
  ['size too small', (s) => `${s}sizesBytes: [64, 32]\n`, ['sizesBytes[1]: expected a frame size in bytes 64..1518, got 32']],
  ['trials 0', (s) => `${s}trials: 0\n`, ['trials: expected an integer 1..100, got 0']],
  ['duration too short', (s) => `${s}durationS: 0.1\n`, ['durationS: expected seconds 0.2..3600, got 0.1']],
  ['interval longer than the duration', (s) => `${s}durationS: 0.5\nintervalMs: 1000\n`,
    ['intervalMs: 1000 ms is longer than durationS 0.5 s: a trial needs at least one sampling interval']],
  ['unknown generator', (s) => `${s}generator: warp\n`, ['generator: expected one of auto, live, pktgen, trafgen, got "warp"']],
  ['bad rate', (s) => `${s}rate: fast\n`, ['rate: expected 0 (full speed), packets per second (1..1e9), or a percentage like "50%", got "fast"']],
  ['bad threshold', (s) => `${s}thresholds: { failOn: ["drop-all/native/xdpPps<-5"] }\n`,
    ['thresholds.failOn[0]: "drop-all/native/xdpPps<-5": expected SCENARIO/MODE[/SIZE]/METRIC{<,<=,>,>=}VALUE{%,pps,kpps,Mpps,Gpps}, e.g. drop-all/native/xdpPps<-5% (SCENARIO, MODE and SIZE may be *; VALUE is the change of the candidate\'s mean from the baseline\'s)']],
  ['threshold on a scenario not run', (s) => `${s}thresholds: { failOn: ["tx-reflect/*/xdpPps<-5%"] }\n`,
    ['thresholds.failOn[0]: scenario tx-reflect is not run by this config (scenarios: drop-all); it would never be checked']],
  ['threshold on a mode not run', (s) => `${s}modes: [native]\nthresholds: { failOn: ["*/generic/xdpPps<-5%"] }\n`,
    ['thresholds.failOn[0]: mode generic is not run by this config (modes: native)']],
  ['alpha out of range', (s) => `${s}thresholds: { alpha: 2 }\n`, ['thresholds.alpha: expected a significance level 0.0001..0.5, got 2']],
  ['unknown top-level field', (s) => `${s}speed: 11\n`,
    ['speed: unknown field (known: version, name, hosts, roles, scenarios, modes, sizesBytes, trials, durationS, warmupS, intervalMs, generator, rate, thresholds, baseline, output)']],
  ['newer version', (s) => `version: 2\n${s}`, ['version: expected 1, got 2']],
  ['not a mapping', () => '- a\n- b\n', ['expected a mapping with hosts, roles, scenarios, ...']],
  ['not YAML', () => 'hosts: [a\n', ['not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ['duplicate key', (s) => `${s}trials: 2\ntrials: 3\n`, ['not valid YAML: Map keys must be unique']],
];

for (const [what, change, expected] of BAD) {
  test(`bad config: ${what}`, (t) => {
    t.deepEqual(problemsOf(change(GOOD)), expected);
  });
}

test('every problem at once, each with its path', (t) => {
  const text = GOOD.replace('port: 2222', 'port: 0')
    .replace('name: ens2f0', 'name: "a b"')
    .replace('[drop-all]', '[drop-all, nope]') + 'trials: 1000\nmodes: [fast]\n';
  const problems = problemsOf(text);
  t.deepEqual(problems.map((p) => p.split(':')[0]), ['hosts.dut.port', 'roles.dut.interfaces.port0.name', 'scenarios[1]', 'modes[0]', 'trials']);
});

test('LabConfigError: exit code 2 (usage), the file and every problem in the message', (t) => {
  const err = t.throws(() => parseLabConfig(FILE, GOOD.replace('port: 2222', 'port: 0') + 'trials: 0\n'), { instanceOf: LabConfigError })!;
  t.is(err.exitCode, EXIT.usage);
  t.is(err.message, `${FILE}: 2 problems:\n  hosts.dut.port: expected an integer 1..65535, got 0\n  trials: expected an integer 1..100, got 0`);
});

test('an unreadable file is one problem', (t) => {
  const err = t.throws(() => parseLabConfig('/nonexistent/lab.yaml'), { instanceOf: LabConfigError })!;
  t.regex(err.problems[0]!, /^cannot read the file: no such file/);
});

test('a scenario file is parsed, its problems reported under the entry', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xdpbt-labcfg-'));
  try {
    writeFileSync(path.join(dir, 'ok.yaml'), 'name: mine\nprogram: xdp_drop\nexpect: drop\n');
    writeFileSync(path.join(dir, 'bad.yaml'), 'program: xdp_drop\ntrials: 0\n');
    const file = path.join(dir, 'lab.yaml');
    const c = parseLabConfig(file, GOOD.replace('[drop-all]', '[drop-all, ok.yaml]'));
    t.deepEqual(c.scenarios, [{ kind: 'builtin', name: 'drop-all' }, { kind: 'file', name: 'mine', file: path.join(dir, 'ok.yaml') }]);
    t.deepEqual(problemsOf(GOOD.replace('[drop-all]', '[bad.yaml]'), file), [
      `scenarios[0]: ${path.join(dir, 'bad.yaml')}: name: required, letters, digits, ".", "_" or "-"`,
      `scenarios[0]: ${path.join(dir, 'bad.yaml')}: trials: expected an integer from 1 to 100`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('expandLabPlan: roles with their hosts and interfaces, scenario x mode x size cases, totals', (t) => {
  const plan = expandLabPlan(parseLabConfig(EXAMPLE));
  t.is(plan.topology, 'physical');
  t.is(plan.roles.generator.host.kind, 'ssh');
  if (plan.roles.dut.host.kind !== 'ssh') return t.fail();
  t.deepEqual(plan.roles.dut.host.target, {
    name: 'dut1', user: 'bench', host: '198.18.100.20', port: 22, identityFile: '~/.ssh/xdpb_lab_ed25519',
    knownHostsFile: path.join(REPO_ROOT, 'scenarios', 'lab', 'lab_known_hosts'), options: {},
  });
  t.is(plan.roles.dut.host.benchDir, '/opt/xdp-bench');
  t.deepEqual(plan.roles.dut.interfaces, [
    { port: 'port0', name: 'ens2f0', mac: null, ip: '198.18.1.2', prefixLength: 24, irqCpus: [4] },
    { port: 'port1', name: 'ens2f1', mac: null, ip: '198.19.1.2', prefixLength: 24, irqCpus: [5] },
  ]);
  t.deepEqual(plan.roles.generator.cpus, [2, 3]);
  t.is(plan.cases.length, 3 * 2 * 3);
  t.deepEqual(plan.cases[0], { index: 1, scenario: 'drop-all', scenarioSource: 'builtin', mode: 'native', pktSizeBytes: 64, trials: 5 });
  t.deepEqual(plan.cases.at(-1), { index: 18, scenario: 'redirect', scenarioSource: 'builtin', mode: 'generic', pktSizeBytes: 1518, trials: 5 });
  t.deepEqual(plan.totals, { cases: 18, trials: 90, estimatedMs: 18 * (2000 + 5 * 10_000) });
  t.is(plan.durationMs, 10_000);
  t.is(plan.baselineDir, '/var/lib/xdp-bench/baseline');
  t.deepEqual(plan.thresholds, ['*/native/xdpPps<-5%', 'drop-all/generic/64/xdpPps<-10%']);
});

test('renderLabPlan: hosts, interfaces, thresholds and where results go', (t) => {
  const text = renderLabPlan(expandLabPlan(parseLabConfig(EXAMPLE)));
  t.regex(text, /^lab example-lab \(.*example-lab\.yaml\): topology physical, dry run: nothing is touched$/m);
  t.regex(text, /^generator on loadgen: ssh bench@198\.18\.100\.10:22, key ~\/\.ssh\/xdpb_lab_ed25519, host keys from .*lab_known_hosts, ServerAliveInterval=5 ServerAliveCountMax=3 ConnectTimeout=10$/m);
  t.regex(text, /^ {2}port0 {2}ens2f0 {2}mac from device {2}198\.18\.1\.2\/24 {2}IRQs on CPUs 4$/m);
  t.notRegex(text, /redirect/, 'the cases are the run plan\'s (test/unit/plan.test.ts)');
  t.regex(text, /^fail on \(alpha 0\.05\): \*\/native\/xdpPps<-5%; drop-all\/generic\/64\/xdpPps<-10%$/m);
  t.regex(text, /^output: \/var\/lib\/xdp-bench\/results$/m);
  t.true(text.endsWith('\n'));
});

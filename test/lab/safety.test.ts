/* Issue 13 item 6, for real: a lab host whose management link carries a
 * split default route (0.0.0.0/1 + 128.0.0.0/1, as VPNs install, no default
 * route) and has an altname. A throwaway sshd in a namespace plays the host
 * (test/lab/sshd-fixture.ts); a veth pair inside it plays a data NIC. Every
 * address is inside namespaces created here (198.18.235.0/24, 198.18.236.0/24).
 *
 * - The safety check protects the management interface for the split
 *   default and for the SSH session, found from the sockets with no
 *   SSH_CONNECTION in the environment (as under sudo).
 * - `bench run --config` naming it by its altname is refused (exit 2) and
 *   creates nothing: no out dir, nothing on the host.
 * - `--dry-run` shows the verdict per interface, exit 2, creates nothing. */
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { remoteExec, runOn } from '../../drivers/ssh.ts';
import { netnsExec } from '../../drivers/host-exec.ts';
import { assertSafeToAttach, findProtectedInterfaces, ProtectedInterfaceError } from '../../harness/lab/interface-safety.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { BENCH } from '../e2e/helpers.ts';
import { labHostYaml, sshdAvailable, startSshd, TEST_NETNS_PREFIX, type SshdFixture } from './sshd-fixture.ts';

const unavailable = await sshdAvailable();
const ALT = 'xdpbt-mgmt';
const DATA = ['xsd0', 'xsd1'] as const;
const dir = mkdtempSync(path.join(tmpdir(), `${TEST_NETNS_PREFIX}safety-`));
let f: SshdFixture | undefined;

test.before(async () => {
  if (unavailable) return;
  f = await startSshd({ subnet: 235, splitDefault: true, altname: ALT });
  const ns = (...argv: string[]) => execa('ip', ['-n', f!.hostNetns, ...argv], { timeout: 15_000 });
  await ns('link', 'add', DATA[0], 'type', 'veth', 'peer', 'name', DATA[1]);
  await ns('addr', 'add', '198.18.236.1/24', 'dev', DATA[0]);
  for (const d of DATA) await ns('link', 'set', d, 'up');
});

test.after.always(async () => {
  await f?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function labConfig(dutIf: string): string {
  const file = path.join(dir, `lab-${dutIf}.yaml`);
  writeFileSync(file, [
    'hosts:',
    labHostYaml(f!, 'dut1', path.join(dir, 'bench')),
    'roles:',
    `  generator: { host: dut1, interfaces: { port0: { name: ${DATA[1]}, ip: 198.18.236.2/24 } } }`,
    `  dut: { host: dut1, interfaces: { port0: { name: ${dutIf}, ip: 198.18.236.1/24 } } }`,
    'scenarios: [drop-all]',
    'modes: [native]',
    `output: ${path.join(dir, 'results')}`,
    '',
  ].join('\n'));
  return file;
}

function benchInCtl(args: string[]) {
  // The controller's environment without SSH_CONNECTION, as sudo leaves it.
  const env = { ...process.env };
  delete env.SSH_CONNECTION;
  return execa('ip', ['netns', 'exec', f!.controllerNetns, BENCH, ...args], { reject: false, timeout: 120_000, cwd: REPO_ROOT, all: true, env, extendEnv: false });
}

test.serial('split default + SSH session found from the sockets (no SSH_CONNECTION): the management interface is protected under both its names', async (t) => {
  if (unavailable) return t.fail(`needs ${unavailable}`);
  await runOn(f!.target, ['true']); // the harness's own connection, kept open by the multiplexing master
  // Read from inside the host namespace, not over SSH: no SSH_CONNECTION anywhere, only the socket.
  const local = await findProtectedInterfaces(netnsExec(f!.hostNetns), { sshConnection: null });
  const hit = local.find((p) => p.ifname === f!.hostDev);
  t.truthy(hit, JSON.stringify(local));
  t.deepEqual(hit!.altnames, [ALT]);
  t.true(hit!.reasons.some((r) => r.startsWith(`carries the route to 0.0.0.0/1 via ${f!.controllerIp} (a split default route`)), hit!.reasons.join('\n'));
  t.true(hit!.reasons.some((r) => r.startsWith(`carries the route to 128.0.0.0/1 via ${f!.controllerIp}`)));
  t.true(hit!.reasons.some((r) => r.startsWith(`holds the address ${f!.hostIp} of an SSH session from ${f!.controllerIp} to ${f!.hostIp}:${f!.port} (sshd pid `)));
  t.true(hit!.reasons.some((r) => r.endsWith(`(the route back to ${f!.controllerIp})`)));
  t.false(local.some((p) => DATA.includes(p.ifname as typeof DATA[number])), 'the data veth stays usable');
  const err = t.throws(() => assertSafeToAttach(ALT, local, [], 'dut1'), { instanceOf: ProtectedInterfaceError });
  t.regex(err!.message, new RegExp(`^refusing to attach an XDP program to ${ALT} \\(an altname of ${f!.hostDev}\\) on dut1: `));
  // Over SSH the same: the session there is the one reading.
  const remote = await findProtectedInterfaces(remoteExec(f!.target));
  t.deepEqual(remote.map((p) => p.ifname), [f!.hostDev]);
});

test.serial('bench run --config naming the management interface by its altname: refused, exit 2, no out dir, nothing on the host', async (t) => {
  if (unavailable) return t.fail(`needs ${unavailable}`);
  const out = path.join(dir, 'refused');
  const r = await benchInCtl(['run', '--config', labConfig(ALT), '--out', out]);
  t.is(r.exitCode, 2, r.all);
  t.regex(r.all, new RegExp(`refusing to attach an XDP program to ${ALT} \\(an altname of ${f!.hostDev}\\) on dut1: it carries the route to 0\\.0\\.0\\.0/1`));
  t.regex(r.all, /an SSH session from/);
  t.regex(r.all, new RegExp(`--force-interface ${ALT}`));
  t.false(existsSync(out), 'no out dir');
  t.false(existsSync(path.join(dir, 'results')), 'no output dir of the config either');
  const pins = await runOn(f!.target, ['sh', '-c', 'ls /sys/fs/bpf 2>/dev/null | grep "^xdpb-" || true']);
  t.is(pins.stdout.trim(), '', 'no pins on the host');
  const link = JSON.parse((await execa('ip', ['-n', f!.hostNetns, '-j', 'link', 'show', 'dev', f!.hostDev])).stdout) as { xdp?: unknown }[];
  t.falsy(link[0]?.xdp, 'no XDP program on the management interface');
});

test.serial('--dry-run shows the verdict per interface (refused, ok) and what is not ready; exit 2; nothing created', async (t) => {
  if (unavailable) return t.fail(`needs ${unavailable}`);
  const r = await benchInCtl(['run', '--config', labConfig(ALT), '--dry-run']);
  t.is(r.exitCode, 2, r.all);
  t.regex(r.stdout, /dry run: nothing is touched/);
  t.regex(r.stdout, new RegExp(`dut port0 ${ALT} on dut1: REFUSED: it carries the route to 0\\.0\\.0\\.0/1`));
  t.regex(r.stdout, new RegExp(`generator port0 ${DATA[1]} on dut1: ok`));
  t.regex(r.stdout, /not ready \(a run stops with exit 3\):\n {2}dut1: .* are missing; run: bench lab prepare/);
  t.false(existsSync(path.join(dir, 'bench')), 'nothing copied');
  t.false(existsSync(path.join(dir, 'results')), 'no output dir');
  // Forced by its altname, the verdict says so (and the lab is still not prepared: exit 3).
  const forced = await benchInCtl(['run', '--config', labConfig(ALT), '--dry-run', '--force-interface', ALT]);
  t.is(forced.exitCode, 3, forced.all);
  t.regex(forced.stdout, new RegExp(`dut port0 ${ALT} on dut1: forced by name: it carries`));
});

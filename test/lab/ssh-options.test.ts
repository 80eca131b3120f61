/* Issue 13 item 1, for real: a lab config cannot make the controller run a
 * program of its choosing, and neither can an ssh client config on this
 * machine.
 *
 * - `bench lab prepare` with `ForwardX11: yes, XAuthLocation: <script>` (it
 *   ran the script before) is refused by name, exit 2, the script never runs.
 * - A hostile ~/.ssh/config and /etc/ssh/ssh_config (Match exec, ProxyCommand,
 *   LocalCommand, X11 with XAuthLocation): plain `ssh` runs them (the control,
 *   so the test can fail), the harness's ssh to a throwaway sshd does not.
 *   The two files are bind-mounted in a private mount namespace (unshare -m)
 *   over /root and /etc/ssh/ssh_config: nothing outside the test sees them. */
import test from 'ava';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeMaster, runOn, sshArgv, type SshTarget } from '../../drivers/ssh.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { BENCH } from '../e2e/helpers.ts';
import { labHostYaml, sshdAvailable, startSshd, TEST_NETNS_PREFIX, type SshdFixture } from './sshd-fixture.ts';

const unavailable = await sshdAvailable();
const dir = mkdtempSync(path.join(tmpdir(), `${TEST_NETNS_PREFIX}sshopt-`));
let f: SshdFixture | undefined;

test.before(async () => {
  if (!unavailable) f = await startSshd({ subnet: 231 });
});

test.after.always(async () => {
  await f?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A script that leaves a marker file when something runs it. */
function markerScript(name: string): { script: string; marker: string } {
  const marker = path.join(dir, `${name}.ran`);
  const script = path.join(dir, `${name}.sh`);
  writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\n`);
  chmodSync(script, 0o755);
  return { script, marker };
}

test.serial('bench lab prepare refuses ForwardX11 + XAuthLocation by name (exit 2) and never runs the script', async (t) => {
  if (unavailable) return t.fail(`needs ${unavailable}`);
  const { script, marker } = markerScript('xauth');
  const cfg = path.join(dir, 'lab-x11.yaml');
  writeFileSync(cfg, [
    'hosts:',
    labHostYaml(f!, 'dut1', path.join(dir, 'bench'), `{ ForwardX11: yes, XAuthLocation: ${script}, ForwardAgent: yes }`),
    'roles:',
    '  generator: { host: dut1, interfaces: { port0: { name: xa0, ip: 198.18.231.10/24 } } }',
    '  dut: { host: dut1, interfaces: { port0: { name: xa1, ip: 198.18.231.11/24 } } }',
    'scenarios: [drop-all]',
    '',
  ].join('\n'));
  const r = await execa('ip', ['netns', 'exec', f!.controllerNetns, BENCH, 'lab', 'prepare', '--config', cfg], {
    reject: false, timeout: 60_000, cwd: REPO_ROOT, all: true, env: { DISPLAY: ':0' },
  });
  t.is(r.exitCode, 2, r.all);
  t.regex(r.all, /hosts\.dut1\.options\.ForwardX11: not allowed/);
  t.regex(r.all, /hosts\.dut1\.options\.XAuthLocation: not allowed/);
  t.regex(r.all, /hosts\.dut1\.options\.ForwardAgent: not allowed \(no agent/);
  t.false(existsSync(marker), 'the script did not run');
  t.false(existsSync(path.join(dir, 'bench')), 'nothing was copied');
});

test.serial('a hostile ~/.ssh/config and /etc/ssh/ssh_config run programs for plain ssh, never for the harness\'s ssh', async (t) => {
  if (unavailable) return t.fail(`needs ${unavailable}`);
  t.timeout(60_000);
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const scripts = ['match-exec', 'proxy', 'local', 'xauth', 'known-hosts'].map(markerScript);
  const [matchExec, proxy, local, xauth, knownHosts] = scripts as [ReturnType<typeof markerScript>, ...ReturnType<typeof markerScript>[]];
  const hostile = [
    `Match exec "${matchExec.script}"`,
    'Host *',
    `  ProxyCommand ${proxy!.script}`,
    `  LocalCommand ${local!.script}`,
    '  PermitLocalCommand yes',
    '  ForwardX11 yes',
    `  XAuthLocation ${xauth!.script}`,
    `  KnownHostsCommand ${knownHosts!.script}`,
    '',
  ].join('\n');
  writeFileSync(path.join(home, '.ssh', 'config'), hostile);
  chmodSync(path.join(home, '.ssh', 'config'), 0o600);
  const systemConfig = path.join(dir, 'ssh_config');
  writeFileSync(systemConfig, hostile);
  // A private mount namespace where root's home (/root) and the system config are ours; then the controller's netns.
  const launcher = [
    'unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" /root && mount --bind "$2" /etc/ssh/ssh_config && shift 2 && exec "$@"', 'xdpbt-hostile',
    home, systemConfig, 'ip', 'netns', 'exec', f!.controllerNetns,
  ];
  const env = { DISPLAY: ':0' };

  // Control: ssh as people type it reads both files and runs their programs.
  const plain = [...launcher, 'ssh', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${f!.target.knownHostsFile}`, '-i', f!.target.identityFile,
    '-p', String(f!.port), `root@${f!.hostIp}`, 'true'];
  await execa(plain[0]!, plain.slice(1), { reject: false, timeout: 20_000, env, stdin: 'ignore' });
  t.true(existsSync(matchExec.marker), 'control: plain ssh ran the config\'s Match exec (the hostile files are in place)');
  t.true(existsSync(proxy!.marker), 'control: plain ssh ran the config\'s ProxyCommand');
  for (const s of scripts) rmSync(s.marker, { force: true });

  const target: SshTarget = { ...f!.target, launcher, controlDir: path.join(dir, 'ctl') };
  t.deepEqual(sshArgv(target, ['true']).slice(launcher.length, launcher.length + 3), ['ssh', '-F', 'none']);
  const r = await runOn(target, ['echo', 'reached'], { timeoutMs: 20_000 });
  t.is(r.stdout, 'reached', 'the harness\'s ssh connected as configured');
  for (const s of scripts) t.false(existsSync(s.marker), `${path.basename(s.script)} did not run`);
  await closeMaster(target);
});

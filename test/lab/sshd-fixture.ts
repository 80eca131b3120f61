/* A throwaway OpenSSH server for the lab tests: a "lab host" network
 * namespace running sshd on a veth address from 198.18.0.0/15, reached from a
 * "controller" namespace over the veth pair. Both namespaces are created here
 * and deleted by stop(); nothing touches the root namespace. Keys (host and
 * user), known_hosts, authorized_keys and sshd_config live in a temp dir.
 * Needs root and openssh-server (setup.sh installs it). */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeMaster, type SshTarget } from '../../drivers/ssh.ts';

export const SSHD = '/usr/sbin/sshd';
/** Test namespaces are `xdpbt-*`: never mistaken for a run's `xdpb-<id>-*` resources. */
export const TEST_NETNS_PREFIX = 'xdpbt-';

export interface SshdFixture {
  id: string;
  /** Namespace playing the lab host (sshd runs here) and the one playing the controller. */
  hostNetns: string;
  controllerNetns: string;
  /** veth ends: hostDev (in hostNetns, sshd's address), controllerDev. */
  hostDev: string;
  controllerDev: string;
  hostIp: string;
  controllerIp: string;
  port: number;
  dir: string;
  /** The target, with the ssh client launched inside the controller namespace. */
  target: SshTarget;
  sshdPid: number;
  /** Cuts the wire (controller's veth end down): a lost connection. */
  cutLink(): Promise<void>;
  restoreLink(): Promise<void>;
  stop(): Promise<void>;
}

async function sh(argv: string[], timeoutMs = 15_000): Promise<string> {
  const r = await execa(argv[0]!, argv.slice(1), { timeout: timeoutMs });
  return String(r.stdout);
}

export async function sshdAvailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync(SSHD)) return `${SSHD} missing: apt-get install -y openssh-server (setup.sh does)`;
  if (!existsSync('/usr/bin/ssh')) return 'ssh missing: apt-get install -y openssh-client';
  return null;
}

/**
 * `subnet`: third octet of 198.18.<subnet>.0/24, distinct per test file.
 * `controllerNetns`: an existing controller namespace to wire this host to
 * (several "lab hosts" behind one controller); it is not deleted by stop().
 * `defaultRoute`: the host's default route goes via the controller, over
 * its management link, as on a real lab host. `splitDefault`: the same as
 * 0.0.0.0/1 + 128.0.0.0/1 (as VPNs install it) and no default route.
 * `altname`: an alternative name for the host's management interface.
 */
export async function startSshd(opts: {
  subnet: number; port?: number; clientAliveS?: number; controllerNetns?: string; defaultRoute?: boolean; splitDefault?: boolean; altname?: string;
}): Promise<SshdFixture> {
  const id = randomBytes(3).toString('hex');
  const hostNetns = `${TEST_NETNS_PREFIX}${id}-host`;
  const controllerNetns = opts.controllerNetns ?? `${TEST_NETNS_PREFIX}${id}-ctl`;
  const hostDev = `xth${id}`;
  const controllerDev = `xtc${id}`;
  const hostIp = `198.18.${opts.subnet}.2`;
  const controllerIp = `198.18.${opts.subnet}.1`;
  const port = opts.port ?? 20_000 + Math.floor(Math.random() * 20_000);
  const dir = mkdtempSync(path.join(tmpdir(), `${TEST_NETNS_PREFIX}ssh-`));
  let child: ReturnType<typeof execa> | undefined;

  const stop = async () => {
    await closeMaster(target).catch(() => undefined);
    if (child?.pid) {
      child.kill('SIGTERM');
      await Promise.race([child.catch(() => undefined), sleep(3000)]);
      child.kill('SIGKILL');
    }
    if (opts.controllerNetns) await execa('ip', ['-n', controllerNetns, 'link', 'del', controllerDev], { reject: false, timeout: 5000 });
    for (const ns of opts.controllerNetns ? [hostNetns] : [hostNetns, controllerNetns]) {
      // Anything left inside (a session the test forgot) dies with the namespace.
      const pids = await execa('ip', ['netns', 'pids', ns], { reject: false, timeout: 5000 });
      for (const p of String(pids.stdout).split('\n').map(Number).filter((n) => n > 1)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await execa('ip', ['netns', 'del', ns], { reject: false, timeout: 5000 });
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const target: SshTarget = {
    name: `sshd-${id}`,
    user: 'root',
    host: hostIp,
    port,
    identityFile: path.join(dir, 'user_key'),
    knownHostsFile: path.join(dir, 'known_hosts'),
    controlDir: path.join(dir, 'ctl'),
    options: { ConnectTimeout: '5', ServerAliveInterval: '1', ServerAliveCountMax: '3' },
    launcher: ['ip', 'netns', 'exec', controllerNetns],
  };

  try {
    await sh(['ip', 'netns', 'add', hostNetns]);
    if (!opts.controllerNetns) await sh(['ip', 'netns', 'add', controllerNetns]);
    await sh(['ip', 'link', 'add', controllerDev, 'netns', controllerNetns, 'type', 'veth', 'peer', 'name', hostDev, 'netns', hostNetns]);
    for (const [ns, dev, ip] of [[hostNetns, hostDev, hostIp], [controllerNetns, controllerDev, controllerIp]] as const) {
      await sh(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
      await sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      await sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    if (opts.defaultRoute) await sh(['ip', '-n', hostNetns, 'route', 'add', 'default', 'via', controllerIp]);
    if (opts.splitDefault) {
      for (const half of ['0.0.0.0/1', '128.0.0.0/1']) await sh(['ip', '-n', hostNetns, 'route', 'add', half, 'via', controllerIp]);
    }
    if (opts.altname) await sh(['ip', '-n', hostNetns, 'link', 'property', 'add', 'dev', hostDev, 'altname', opts.altname]);
    await sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'xdpb-test-host', '-f', path.join(dir, 'host_key')]);
    await sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'xdpb-test-user', '-f', target.identityFile]);
    const hostPub = readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(target.knownHostsFile, `[${hostIp}]:${port} ${hostPub}\n`);
    writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(`${target.identityFile}.pub`));
    mkdirSync(target.controlDir!, { mode: 0o700 });
    const alive = opts.clientAliveS ?? 1;
    writeFileSync(path.join(dir, 'sshd_config'), [
      `ListenAddress ${hostIp}:${port}`,
      `HostKey ${path.join(dir, 'host_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no', // the temp dir lives under /tmp (world-writable)
      `ClientAliveInterval ${alive}`,
      'ClientAliveCountMax 2',
      'MaxSessions 32',
      'MaxStartups 32:30:64',
      'LogLevel ERROR',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'));
    // sshd's privilege separation directory. Made if missing and left in place: every sshd on this
    // machine shares it, and removing it under a running one (another test file, another run) makes
    // each new connection fail with "kex_exchange_identification: Connection reset by peer".
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
    await sh([SSHD, '-t', '-f', path.join(dir, 'sshd_config')]);
    child = execa('ip', ['netns', 'exec', hostNetns, SSHD, '-D', '-e', '-f', path.join(dir, 'sshd_config')], { reject: false, stdin: 'ignore' });
    // Listening? Bounded: 50 tries, 100 ms apart.
    let listening = false;
    for (let i = 0; i < 50 && !listening; i++) {
      const ss = await execa('ip', ['netns', 'exec', hostNetns, 'ss', '-Hltn', `sport = :${port}`], { reject: false, timeout: 5000 });
      listening = String(ss.stdout).includes(`:${port}`);
      if (!listening) await sleep(100);
      if (child.exitCode !== null && child.exitCode !== undefined) break;
    }
    if (!listening) {
      const r = await Promise.race([child, sleep(1000).then(() => undefined)]);
      throw new Error(`sshd did not listen on ${hostIp}:${port}${r ? `: ${String(r.stderr)}` : ''}`);
    }
    return {
      id, hostNetns, controllerNetns, hostDev, controllerDev, hostIp, controllerIp, port, dir, target, sshdPid: child.pid!,
      cutLink: async () => void (await sh(['ip', '-n', controllerNetns, 'link', 'set', controllerDev, 'down'])),
      restoreLink: async () => void (await sh(['ip', '-n', controllerNetns, 'link', 'set', controllerDev, 'up'])),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The `hosts:` entry of a lab config that reaches this fixture (YAML lines; benchDir quoted, it may hold anything). */
export function labHostYaml(f: SshdFixture, name: string, benchDir: string, options = '{ ConnectTimeout: 5, ServerAliveInterval: 1, ServerAliveCountMax: 3 }'): string {
  return [
    `  ${name}:`,
    '    kind: ssh',
    '    user: root',
    `    host: ${f.hostIp}`,
    `    port: ${f.port}`,
    `    identity: ${f.target.identityFile}`,
    `    knownHosts: ${f.target.knownHostsFile}`,
    `    benchDir: ${JSON.stringify(benchDir)}`,
    `    options: ${options}`,
  ].join('\n');
}

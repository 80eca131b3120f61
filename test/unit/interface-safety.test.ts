import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../ground/errors.ts';
import {
  assertSafeToAttach, findProtectedInterfaces, ProtectedInterfaceError, protectedInterfacesFrom, SAFETY_COMMANDS,
  type SafetyReadings,
} from '../../harness/lab/interface-safety.ts';
import { parseSshConnection, parseSshdSockets } from '../../drivers/ssh-sessions.ts';
import type { Exec } from '../../drivers/host-exec.ts';
import { REPO_ROOT } from '../../ground/paths.ts';

function fixture(name: string): { readings: SafetyReadings; meta?: Record<string, string | number> } {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'lab', `${name}.json`), 'utf8')) as { readings: SafetyReadings; meta?: Record<string, string | number> };
}

function readings(name: string): SafetyReadings {
  return fixture(name).readings;
}

/** Captured by test/fixtures/capture-safety-split.ts: an sshd fixture host with a split default route and altnames, read without SSH_CONNECTION. */
const SPLIT = fixture('safety-split-default');
const MGMT = String(SPLIT.meta!.mgmtDev);

test('a split default route (0/1 + 128/1, ::/1 + 8000::/1) and an SSH session found from the sockets protect the management interface; a /15 does not', (t) => {
  const pid = /pid=(\d+)/.exec(SPLIT.readings.sockets!)![1];
  const session = `an SSH session from ${SPLIT.meta!.controllerIp} to ${SPLIT.meta!.hostIp}:${SPLIT.meta!.port} (sshd pid ${pid})`;
  t.is(SPLIT.readings.sshConnection, null, 'no SSH_CONNECTION (as under sudo)');
  t.deepEqual(protectedInterfacesFrom(SPLIT.readings), [{
    ifname: MGMT,
    altnames: ['xdpbt-mgmt-alt'],
    reasons: [
      `carries the route to 0.0.0.0/1 via ${SPLIT.meta!.controllerIp} (a split default route, as VPNs install: wider than any LAN)`,
      `carries the route to 128.0.0.0/1 via ${SPLIT.meta!.controllerIp} (a split default route, as VPNs install: wider than any LAN)`,
      'carries the route to ::/1 via 2001:db8:233::1 (a split default route, as VPNs install: wider than any LAN)',
      'carries the route to 8000::/1 via 2001:db8:233::1 (a split default route, as VPNs install: wider than any LAN)',
      `holds the address ${SPLIT.meta!.hostIp} of ${session}`,
      `carries ${session} (the route back to ${SPLIT.meta!.controllerIp})`,
    ],
  }], 'fxd0 (198.18.0.0/15, local and multicast routes on every interface) stays usable');
});

test('each half of a split default protects on its own; without them (and the session) nothing is protected', (t) => {
  const r = SPLIT.readings;
  const routes = JSON.parse(r.routes4) as { dst: string }[];
  const only = (dst: string) => protectedInterfacesFrom({ ...r, routes6: '[]', sockets: '', routes4: JSON.stringify(routes.filter((x) => x.dst !== dst)) });
  t.deepEqual(only('0.0.0.0/1').map((p) => p.ifname), [MGMT]);
  t.deepEqual(only('128.0.0.0/1').map((p) => p.ifname), [MGMT]);
  const none = JSON.stringify(routes.filter((x) => !x.dst.endsWith('/1')));
  t.deepEqual(protectedInterfacesFrom({ ...r, routes4: none, routes6: '[]', sockets: '' }), []);
});

test('the split-default bound: /7 is management, /8 a LAN; multicast, unreachable and local routes never protect (ip -j route shape, hand-written)', (t) => {
  const routes4 = JSON.stringify([
    { dst: '10.0.0.0/8', gateway: '198.18.9.1', dev: 'lan8', flags: [] },
    { dst: '12.0.0.0/7', gateway: '198.18.9.1', dev: 'wide7', flags: [] },
    { dst: '224.0.0.0/4', dev: 'mcast', flags: [] },
    { type: 'unreachable', dst: 'default', dev: 'lo', table: '9', flags: [] },
    { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local', flags: [] },
  ]);
  const routes6 = JSON.stringify([
    { dst: '2000::/3', gateway: 'fe80::1', dev: 'wg0', flags: [] },
    { dst: 'fd00::/16', dev: 'ula16', flags: [] },
    { type: 'multicast', dst: 'ff00::/8', dev: 'lan8', table: 'local', flags: [] },
  ]);
  const list = protectedInterfacesFrom({ routes4, routes6, addrs: '[]', links: '[]', sshConnection: null, routeToClient: null });
  t.deepEqual(list.map((p) => p.ifname), ['wg0', 'wide7']);
});

test('altnames: naming the management interface by its altname is refused and says whose; forcing by either name works; another altname passes', (t) => {
  const list = protectedInterfacesFrom(SPLIT.readings);
  const err = t.throws(() => assertSafeToAttach('xdpbt-mgmt-alt', list, [], 'dut1'), { instanceOf: ProtectedInterfaceError })!;
  t.is(err.exitCode, EXIT.usage);
  t.true(err.message.startsWith(`refusing to attach an XDP program to xdpbt-mgmt-alt (an altname of ${MGMT}) on dut1: it carries the route to 0.0.0.0/1`), err.message);
  t.true(err.message.endsWith('--force-interface xdpbt-mgmt-alt'));
  t.true(assertSafeToAttach('xdpbt-mgmt-alt', list, ['xdpbt-mgmt-alt']).forced);
  t.true(assertSafeToAttach('xdpbt-mgmt-alt', list, [MGMT]).forced);
  t.true(assertSafeToAttach(MGMT, list, ['xdpbt-mgmt-alt']).forced);
  t.deepEqual(assertSafeToAttach('xdpbt-data-alt', list, []), { ifname: 'xdpbt-data-alt', forced: false, reasons: [] });
});

test('parseSshdSockets: the captured line; IPv6, a zone, IPv4-mapped and OpenSSH 9.8 sshd-session (hand-written in ss\'s format); other processes ignored', (t) => {
  const captured = parseSshdSockets(SPLIT.readings.sockets!);
  t.is(captured.length, 1);
  t.like(captured[0], { localAddress: SPLIT.meta!.hostIp, localPort: SPLIT.meta!.port, peerAddress: SPLIT.meta!.controllerIp });
  const text = [
    '0      0      [2001:db8::2]:22 [2001:db8::9]:50100 users:(("sshd-session",pid=77,fd=7))',
    '0      0      [fe80::2]%eth1:22 [fe80::9]%eth1:50101 users:(("sshd",pid=78,fd=4),("sshd",pid=80,fd=4))',
    '0      0      [::ffff:198.18.0.2]:22 [::ffff:198.18.0.9]:50102 users:(("sshd",pid=79,fd=4))',
    '0      0      198.18.0.2:443 198.18.0.9:50103 users:(("nginx",pid=81,fd=9))',
    'junk',
  ].join('\n');
  t.deepEqual(parseSshdSockets(text), [
    { localAddress: '2001:db8::2', localPort: 22, peerAddress: '2001:db8::9', peerPort: 50100, zone: null, pid: 77 },
    { localAddress: 'fe80::2', localPort: 22, peerAddress: 'fe80::9', peerPort: 50101, zone: 'eth1', pid: 78 },
    { localAddress: '198.18.0.2', localPort: 22, peerAddress: '198.18.0.9', peerPort: 50102, zone: null, pid: 79 },
  ]);
});

test('the session named by SSH_CONNECTION and the same one seen in the sockets is said once', (t) => {
  const r = SPLIT.readings;
  const [s] = parseSshdSockets(r.sockets!);
  const withEnv = protectedInterfacesFrom({ ...r, sshConnection: `${s!.peerAddress} ${s!.peerPort} ${s!.localAddress} ${s!.localPort}`, routeToClient: r.routesToPeers![s!.peerAddress]! });
  const reasons = withEnv[0]!.reasons.filter((x) => /SSH session/.test(x));
  t.deepEqual(reasons.map((x) => x.replace(/ \(sshd pid \d+\)/, '')), [
    `holds the address ${s!.localAddress} of the SSH session from ${s!.peerAddress} to ${s!.localAddress}:${s!.localPort}`,
    `carries the SSH session from ${s!.peerAddress} to ${s!.localAddress}:${s!.localPort} (the route back to ${s!.peerAddress})`,
  ]);
});

test('dev machine (captured): eth0 carries both default routes; nothing else is protected', (t) => {
  t.deepEqual(protectedInterfacesFrom(readings('safety-root')), [
    { ifname: 'eth0', altnames: [], reasons: ['carries the IPv4 default route via 192.0.2.1', 'carries the IPv6 default route via fd00::1'] },
  ]);
});

test('multipath, a second table, a bridge and an SSH session (captured in a netns)', (t) => {
  const list = protectedInterfacesFrom(readings('safety-netns-multipath'));
  t.deepEqual(list, [
    {
      ifname: 'br0',
      altnames: [],
      reasons: [
        'carries the IPv4 default route via 198.18.71.2 in table 100',
        'carries the IPv4 default route via 198.18.71.2 (multipath)',
        'holds the address 198.18.71.1 of the SSH session from 198.18.71.9 to 198.18.71.1:22',
        'carries the SSH session from 198.18.71.9 to 198.18.71.1:22 (the route back to 198.18.71.9)',
      ],
    },
    { ifname: 'fxa0', altnames: [], reasons: ['carries the IPv4 default route via 198.18.70.2 (multipath)', 'carries the IPv6 default route via 2001:db8:70::2'] },
    { ifname: 'fxa1', altnames: [], reasons: ['is a port of br0, which carries the IPv4 default route via 198.18.71.2 in table 100'] },
  ]);
  t.false(list.some((p) => p.ifname === 'fxa2'), 'an unrelated interface stays usable');
});

test('the SSH session alone protects its interface (no default route)', (t) => {
  const r = readings('safety-netns-multipath');
  const list = protectedInterfacesFrom({ ...r, routes4: '[]', routes6: '[]', routeToClient: null });
  t.deepEqual(list, [
    { ifname: 'br0', altnames: [], reasons: ['holds the address 198.18.71.1 of the SSH session from 198.18.71.9 to 198.18.71.1:22'] },
    { ifname: 'fxa1', altnames: [], reasons: ['is a port of br0, which holds the address 198.18.71.1 of the SSH session from 198.18.71.9 to 198.18.71.1:22'] },
  ]);
});

test('a VLAN carrying the default route protects its lower device (ip -d -j shape, hand-written: no 8021q module here)', (t) => {
  const links = JSON.stringify([
    { ifindex: 2, ifname: 'ens1f0', flags: ['UP'] },
    { ifindex: 3, ifname: 'ens1f0.100', link: 'ens1f0', flags: ['UP'], linkinfo: { info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 100 } } },
    // A veth's "link" is its peer, not a lower device: never followed.
    { ifindex: 4, ifname: 'v0', link: 'v1', flags: ['UP'], linkinfo: { info_kind: 'veth' } },
    { ifindex: 5, ifname: 'v1', link: 'v0', flags: ['UP'], linkinfo: { info_kind: 'veth' } },
  ]);
  const list = protectedInterfacesFrom({
    routes4: JSON.stringify([{ dst: 'default', gateway: '198.18.9.1', dev: 'ens1f0.100', flags: [] }, { dst: 'default', gateway: '198.18.9.1', dev: 'v0', table: '7', flags: [] }]),
    routes6: '', addrs: '[]', links, sshConnection: null, routeToClient: null,
  });
  t.deepEqual(list.map((p) => p.ifname), ['ens1f0', 'ens1f0.100', 'v0']);
  t.is(list[0]!.reasons[0], 'is the lower device of ens1f0.100 (vlan), which carries the IPv4 default route via 198.18.9.1');
});

test('parseSshConnection: IPv4, IPv4-mapped IPv6, zones, and junk', (t) => {
  t.deepEqual(parseSshConnection('198.18.71.9 50022 198.18.71.1 22'), { clientAddress: '198.18.71.9', clientPort: 50022, localAddress: '198.18.71.1', localPort: 22, zone: null });
  t.is(parseSshConnection('::ffff:198.18.71.9 5 ::ffff:198.18.71.1 22')!.localAddress, '198.18.71.1');
  t.deepEqual(parseSshConnection('fe80::1%eth1 5 fe80::2%eth1 22'), { clientAddress: 'fe80::1', clientPort: 5, localAddress: 'fe80::2', localPort: 22, zone: 'eth1' });
  t.is(parseSshConnection(''), null);
  t.is(parseSshConnection(null), null);
  t.is(parseSshConnection('a b c'), null);
});

test('assertSafeToAttach: refuses a protected interface with its reasons and how to force it', (t) => {
  const list = protectedInterfacesFrom(readings('safety-root'));
  const err = t.throws(() => assertSafeToAttach('eth0', list, [], 'dut1'), { instanceOf: ProtectedInterfaceError })!;
  t.is(err.exitCode, EXIT.usage);
  t.is(err.ifname, 'eth0');
  t.is(
    err.message,
    'refusing to attach an XDP program to eth0 on dut1: it carries the IPv4 default route via 192.0.2.1; it carries the IPv6 default route via fd00::1. ' +
      'A program there can cut the host off the network. To do it anyway, force this interface by name: --force-interface eth0',
  );
});

test('assertSafeToAttach: forced by exact name only; unprotected passes', (t) => {
  const list = protectedInterfacesFrom(readings('safety-root'));
  t.deepEqual(assertSafeToAttach('eth0', list, ['eth0']), { ifname: 'eth0', forced: true, reasons: list[0]!.reasons });
  t.throws(() => assertSafeToAttach('eth0', list, ['eth1', 'eth', 'ETH0', '*']), { instanceOf: ProtectedInterfaceError });
  t.deepEqual(assertSafeToAttach('ens1f0', list, []), { ifname: 'ens1f0', forced: false, reasons: [] });
});

test('findProtectedInterfaces runs read-only ip commands through the Exec it is given (local, netns or SSH)', async (t) => {
  const r = readings('safety-netns-multipath');
  const seen: string[] = [];
  const exec: Exec = async (argv) => {
    seen.push(argv.join(' '));
    const key = argv.join(' ');
    const stdout =
      key === SAFETY_COMMANDS.routes4.join(' ') ? r.routes4
      : key === SAFETY_COMMANDS.routes6.join(' ') ? r.routes6
      : key === SAFETY_COMMANDS.addrs.join(' ') ? r.addrs
      : key === SAFETY_COMMANDS.links.join(' ') ? r.links
      : key === 'printenv SSH_CONNECTION' ? r.sshConnection!
      : key === 'ip -j route get 198.18.71.9' ? r.routeToClient!
      : key === 'ss -Htnp state established' ? ''
      : '';
    return { stdout, stderr: '', exitCode: 0, durationMs: 1 };
  };
  const list = await findProtectedInterfaces(exec);
  t.deepEqual(list, protectedInterfacesFrom(r));
  t.deepEqual(seen, [
    'printenv SSH_CONNECTION',
    'ip -4 -j route show table all',
    'ip -6 -j route show table all',
    'ip -j addr show',
    'ip -d -j link show',
    'ip -j route get 198.18.71.9',
    'ss -Htnp state established',
  ]);
  t.true(seen.every((c) => /^(ip (-4 |-6 |-d )?-j (route show|addr show|link show|route get)|printenv |ss -Htnp state established$)/.test(c)), 'only reads');
});

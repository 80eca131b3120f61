import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  parseEthtoolChannels, parseEthtoolDriver, parseEthtoolSpeedMbps, parseIpLink, physicalProblems, probeCommands, probePhysicalInterface,
  type PhysicalInterface,
} from '../../drivers/physical-topology.ts';
import { CommandError } from '../../ground/errors.ts';
import type { Exec } from '../../drivers/host-exec.ts';
import { REPO_ROOT } from '../../ground/paths.ts';

interface Captured {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}
interface ProbeFixture {
  ifname: string;
  commands: Record<string, Captured>;
}

function fixture(name: string): ProbeFixture {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'lab', `${name}.json`), 'utf8')) as ProbeFixture;
}

/** Replays captured output, with ground/exec.ts semantics (a non-ok exit code throws). */
function replay(fx: ProbeFixture, seen: string[] = []): Exec {
  return async (argv, options) => {
    const key = argv.join(' ');
    seen.push(key);
    const c = fx.commands[key];
    if (!c) throw new Error(`no captured output for ${key}`);
    if (!(options?.okExitCodes ?? [0]).includes(c.exitCode)) throw new CommandError(argv, c.exitCode, c.stderr, 1);
    return { stdout: c.stdout, stderr: c.stderr, exitCode: c.exitCode, durationMs: 1 };
  };
}

const NO_FEATURES = { value: null, note: 'XDP features: not reported by ip(8) here (the kernel gives them over the netdev netlink family)' };

test('probe of a veth (captured in a netns): link, driver, channels, speed', async (t) => {
  const p = await probePhysicalInterface(replay(fixture('probe-veth')), 'fxa0');
  t.deepEqual(p, {
    ifindex: 2, ifname: 'fxa0', macAddress: '02:58:44:50:70:a0', mtuBytes: 1500, operState: 'UP', adminUp: true, carrier: true,
    linkKind: 'veth', parentBus: null, parentDev: null, numTxQueues: 2, numRxQueues: 2, attachedXdp: [],
    driver: { value: { driver: 'veth', version: '1.0', firmwareVersion: null, busInfo: null }, note: null },
    channels: { value: { max: { rx: 2, tx: 2, other: null, combined: null }, current: { rx: 1, tx: 1, other: null, combined: null } }, note: null },
    linkSpeedMbps: { value: 10000, note: null },
    xdpFeatures: NO_FEATURES,
  } satisfies PhysicalInterface);
  t.deepEqual(physicalProblems(p), []);
});

test('probe of the dev machine NIC (captured read-only): virtio_net, PCI bus info, combined channels, unknown speed', async (t) => {
  const p = await probePhysicalInterface(replay(fixture('probe-eth0')), 'eth0');
  t.is(p.driver.value?.driver, 'virtio_net');
  t.is(p.driver.value?.busInfo, '0000:00:03.0');
  t.is(p.driver.value?.firmwareVersion, null, 'empty firmware-version is null');
  t.deepEqual(p.channels.value, { max: { rx: null, tx: null, other: null, combined: 1 }, current: { rx: null, tx: null, other: null, combined: 1 } });
  t.deepEqual(p.linkSpeedMbps, { value: null, note: 'link speed: not reported' });
  t.is(p.parentBus, 'virtio');
  t.is(p.linkKind, null);
  t.is(p.mtuBytes, 1400);
});

test('probe of lo: "Operation not supported" from ethtool -i (exit 71) and -l (exit 1) is recorded, not fatal', async (t) => {
  const p = await probePhysicalInterface(replay(fixture('probe-lo')), 'lo');
  t.deepEqual(p.driver, { value: null, note: 'ethtool -i: not supported by the driver (Cannot get driver information: Operation not supported)' });
  t.deepEqual(p.channels, { value: null, note: 'ethtool -l: not supported by the driver (netlink error: Operation not supported)' });
  t.deepEqual(p.xdpFeatures, NO_FEATURES);
});

test('no carrier (peer down) is a problem with the operstate', async (t) => {
  const p = await probePhysicalInterface(replay(fixture('probe-veth-no-carrier')), 'fxa2');
  t.is(p.operState, 'DOWN');
  t.true(p.adminUp);
  t.false(p.carrier);
  t.deepEqual(physicalProblems(p), ['fxa2 has no carrier (operstate DOWN): check the cable or the peer']);
});

test('an XDP program already attached is seen (and is a problem)', async (t) => {
  const p = await probePhysicalInterface(replay(fixture('probe-veth-xdp-attached')), 'fxa0');
  t.deepEqual(p.attachedXdp, [{ mode: 'xdpgeneric', progId: 8967, progName: 'xdp_drop' }]);
  t.deepEqual(physicalProblems(p), ['fxa0 already has an XDP program attached (xdpgeneric, id 8967, xdp_drop): detach it first']);
});

test('the probe only reads: ip ... show, ethtool -i / -l / plain', async (t) => {
  const seen: string[] = [];
  await probePhysicalInterface(replay(fixture('probe-veth'), seen), 'fxa0');
  t.deepEqual(seen, ['ip -d -j link show dev fxa0', 'ethtool -i fxa0', 'ethtool -l fxa0', 'ethtool fxa0']);
  t.deepEqual(probeCommands('ens1f0'), {
    link: ['ip', '-d', '-j', 'link', 'show', 'dev', 'ens1f0'],
    driver: ['ethtool', '-i', 'ens1f0'],
    channels: ['ethtool', '-l', 'ens1f0'],
    settings: ['ethtool', 'ens1f0'],
  });
});

test('interface names that are not names are refused before anything runs', (t) => {
  for (const bad of ['', '-i', 'a b', 'eth0/1', 'x'.repeat(16), '../x']) t.throws(() => probeCommands(bad), { instanceOf: TypeError }, bad);
});

test('parsers: XDP features when an ip(8) reports them; errors name the tool', (t) => {
  const link = parseIpLink(JSON.stringify([{ ifindex: 9, ifname: 'ens1f0', flags: ['UP', 'LOWER_UP'], mtu: 9000, operstate: 'UP', xdp_features: ['basic', 'redirect', 'ndo-xmit'] }]), 'ens1f0');
  t.deepEqual(link.xdpFeatures, ['basic', 'redirect', 'ndo-xmit']);
  t.throws(() => parseIpLink('Device "x" does not exist.', 'x'), { message: /not JSON/ });
  t.throws(() => parseIpLink('[]', 'x'), { message: /did not list x/ });
  t.throws(() => parseEthtoolDriver(''), { message: /no driver line/ });
  t.throws(() => parseEthtoolChannels('Channel parameters for x:'), { message: /no channel sections/ });
  t.is(parseEthtoolSpeedMbps('\tSpeed: 25000Mb/s\n'), 25000);
  t.is(parseEthtoolSpeedMbps('\tSpeed: Unknown!\n'), null);
});

test('parseIpLink: an interface named by its altname is the link that has it (captured: test/fixtures/capture-safety-split.ts)', (t) => {
  const split = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'lab', 'safety-split-default.json'), 'utf8')) as { meta: { mgmtDev: string }; readings: { links: string } };
  const index = (name: string) => (JSON.parse(split.readings.links) as { ifname: string; ifindex: number }[]).find((l) => l.ifname === name)!.ifindex;
  t.like(parseIpLink(split.readings.links, 'xdpbt-mgmt-alt'), { ifname: 'xdpbt-mgmt-alt', ifindex: index(split.meta.mgmtDev) }, 'the name as given, the link it names');
  t.is(parseIpLink(split.readings.links, 'xdpbt-data-alt').ifindex, index('fxd0'));
  t.throws(() => parseIpLink(split.readings.links, 'xdpbt-nope'), { message: /did not list xdpbt-nope/ });
});

/* Real, on this machine: the safety check refuses the default-route
 * interface of the root namespace; the physical probe reads eth0 without
 * changing anything, and a veth in a throwaway namespace through netnsExec. */
import test from 'ava';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { physicalProblems, probePhysicalInterface } from '../../drivers/physical-topology.ts';
import { localExec, netnsExec } from '../../drivers/host-exec.ts';
import { assertSafeToAttach, findProtectedInterfaces, ProtectedInterfaceError } from '../../harness/lab/interface-safety.ts';

const isRoot = process.getuid?.() === 0;
const rootTest = isRoot ? test.serial : test.serial.skip;
const id = randomBytes(3).toString('hex');
const NS = `xdpbt-${id}-phys`;
const PEER_NS = `xdpbt-${id}-peer`;

test.after.always(async () => {
  for (const ns of [NS, PEER_NS]) await execa('ip', ['netns', 'del', ns], { reject: false, timeout: 10_000 });
});

async function defaultRouteDevs(): Promise<string[]> {
  const out = await execa('ip', ['-j', 'route', 'show', 'default'], { timeout: 10_000 });
  const routes = JSON.parse(String(out.stdout) || '[]') as { dev?: string; nexthops?: { dev: string }[] }[];
  return [...new Set(routes.flatMap((r) => [r.dev, ...(r.nexthops ?? []).map((h) => h.dev)]).filter((d): d is string => !!d))];
}

async function linkNames(netns?: string): Promise<string> {
  const out = await execa('ip', [...(netns ? ['-n', netns] : []), '-o', 'link', 'show'], { timeout: 10_000 });
  return String(out.stdout).split('\n').map((l) => l.split(': ')[1]).sort().join(',');
}

rootTest('the default-route interface of this machine is protected and refused; forcing it by name is the only way', async (t) => {
  const devs = await defaultRouteDevs();
  if (devs.length === 0) return t.pass('this machine has no default route: nothing to refuse');
  t.log(`default route via ${devs.join(', ')}`); // eth0 on the dev machines
  const list = await findProtectedInterfaces();
  for (const dev of devs) {
    const hit = list.find((p) => p.ifname === dev);
    t.truthy(hit, `${dev} protected`);
    t.true(hit!.reasons.some((r) => /^carries the IPv[46] default route/.test(r)));
    const err = t.throws(() => assertSafeToAttach(dev, list, []), { instanceOf: ProtectedInterfaceError });
    t.regex(err!.message, new RegExp(`^refusing to attach an XDP program to ${dev}: it carries the IPv[46] default route`));
    t.true(err!.message.endsWith(`force this interface by name: --force-interface ${dev}`));
    t.true(assertSafeToAttach(dev, list, [dev]).forced);
  }
  t.notThrows(() => assertSafeToAttach('lo', list, []), 'loopback carries no default route here');
});

rootTest('probing eth0 reads it and changes nothing', async (t) => {
  const devs = await defaultRouteDevs();
  const dev = devs[0] ?? 'lo';
  const before = await linkNames();
  const p = await probePhysicalInterface(localExec, dev);
  t.is(p.ifname, dev);
  t.true(p.adminUp);
  t.true(p.carrier);
  t.truthy(p.driver.value?.driver ?? p.driver.note);
  t.is(await linkNames(), before, 'no interface created or deleted');
});

rootTest('probing a veth in a namespace of our own, through netnsExec', async (t) => {
  await execa('ip', ['netns', 'add', NS]);
  await execa('ip', ['netns', 'add', PEER_NS]);
  await execa('ip', ['link', 'add', 'xph0', 'netns', NS, 'address', '02:58:44:50:72:01', 'type', 'veth', 'peer', 'name', 'xph1', 'netns', PEER_NS]);
  await execa('ip', ['-n', NS, 'addr', 'add', '198.18.72.1/24', 'dev', 'xph0']);
  await execa('ip', ['-n', NS, 'link', 'set', 'xph0', 'up']);
  await execa('ip', ['-n', PEER_NS, 'link', 'set', 'xph1', 'up']);
  const before = await linkNames(NS);
  const p = await probePhysicalInterface(netnsExec(NS), 'xph0');
  t.like(p, { ifname: 'xph0', macAddress: '02:58:44:50:72:01', linkKind: 'veth', adminUp: true, carrier: true, attachedXdp: [] });
  t.is(p.driver.value?.driver, 'veth');
  t.true((p.channels.value?.max.rx ?? 0) >= 1);
  t.is(p.linkSpeedMbps.value, 10000);
  t.deepEqual(physicalProblems(p), []);
  t.is(await linkNames(NS), before);
  await execa('ip', ['-n', PEER_NS, 'link', 'set', 'xph1', 'down']);
  const down = await probePhysicalInterface(netnsExec(NS), 'xph0');
  t.deepEqual(physicalProblems(down), ['xph0 has no carrier (operstate DOWN): check the cable or the peer']);
});

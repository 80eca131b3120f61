import test from 'ava';
import type { Endpoint } from '../../drivers/veth-topology.ts';
import { planVethTopology, vethUpCommands } from '../../drivers/veth-topology.ts';

const PREFIX = 'xdpb-1a2b3c4d';
const T = planVethTopology(PREFIX);
const CMDS = vethUpCommands(T);

function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}
/** 198.18.0.0/15 = 198.18.0.0 .. 198.19.255.255 (RFC 2544 benchmarking range). */
function inBenchRange(ip: string): boolean {
  return ipToInt(ip) >>> 17 === ipToInt('198.18.0.0') >>> 17;
}

test('inBenchRange helper itself: /15 bounds', (t) => {
  t.true(inBenchRange('198.18.0.0'));
  t.true(inBenchRange('198.19.255.255'));
  t.false(inBenchRange('198.17.255.255'));
  t.false(inBenchRange('198.20.0.0'));
  t.false(inBenchRange('10.0.0.1'));
});

test('planVethTopology: both namespaces carry the prefix', (t) => {
  t.is(T.kind, 'veth');
  t.is(T.genNetns, `${PREFIX}-gen`);
  t.is(T.dutNetns, `${PREFIX}-dut`);
  t.not(T.genNetns, T.dutNetns);
  for (const e of [T.gen0, T.gen1]) t.is(e.netns, T.genNetns);
  for (const e of [T.dut0, T.dut1]) t.is(e.netns, T.dutNetns);
  t.deepEqual([T.gen0.dev, T.dut0.dev, T.gen1.dev, T.dut1.dev], ['g1a2b3c4d-0', 'd1a2b3c4d-0', 'g1a2b3c4d-1', 'd1a2b3c4d-1']);
  for (const e of [T.gen0, T.dut0, T.gen1, T.dut1]) t.true(e.dev.length <= 15, 'fits IFNAMSIZ');
});

test('planVethTopology: addresses inside 198.18.0.0/15, peers on the same /24, all distinct', (t) => {
  const eps: Endpoint[] = [T.gen0, T.dut0, T.gen1, T.dut1];
  for (const e of eps) t.true(inBenchRange(e.ip), `${e.dev} ${e.ip}`);
  t.is(ipToInt(T.gen0.ip) >>> 8, ipToInt(T.dut0.ip) >>> 8);
  t.is(ipToInt(T.gen1.ip) >>> 8, ipToInt(T.dut1.ip) >>> 8);
  t.not(ipToInt(T.gen0.ip) >>> 8, ipToInt(T.gen1.ip) >>> 8, 'the two pairs are different subnets');
  t.is(new Set(eps.map((e) => e.ip)).size, 4);
  t.is(new Set(eps.map((e) => e.mac.toLowerCase())).size, 4);
  for (const e of eps) {
    t.regex(e.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i);
    const first = parseInt(e.mac.slice(0, 2), 16);
    t.is(first & 0x01, 0, `${e.mac} is unicast`);
    t.is(first & 0x02, 0x02, `${e.mac} is locally administered`);
  }
});

test('planVethTopology: another prefix gives other names only', (t) => {
  const other = planVethTopology('xdpb-ffff0000');
  t.is(other.genNetns, 'xdpb-ffff0000-gen');
  t.is(other.dutNetns, 'xdpb-ffff0000-dut');
  t.is(other.gen0.ip, T.gen0.ip);
});

test('vethUpCommands: starts by adding the two prefixed namespaces', (t) => {
  t.deepEqual(CMDS[0], ['ip', 'netns', 'add', `${PREFIX}-gen`]);
  t.deepEqual(CMDS[1], ['ip', 'netns', 'add', `${PREFIX}-dut`]);
  t.is(CMDS.filter((c) => c[1] === 'netns' && c[2] === 'add').length, 2);
});

test('vethUpCommands: veth links are created with netns on both ends, never in the root netns', (t) => {
  const adds = CMDS.filter((c) => c.includes('link') && c.includes('add'));
  t.is(adds.length, 2);
  for (const c of adds) {
    const netnsArgs = c.flatMap((w, i) => (w === 'netns' ? [c[i + 1]!] : []));
    t.is(netnsArgs.length, 2, c.join(' '));
    const peer = c.indexOf('peer');
    t.true(peer > 0);
    t.true(c.indexOf('netns') < peer, 'first end placed in a netns');
    t.true(c.lastIndexOf('netns') > peer, 'peer placed in a netns');
    for (const ns of netnsArgs) t.true(ns.startsWith(PREFIX), ns);
    t.is(c[c.indexOf('type') + 1], 'veth');
  }
  t.deepEqual(adds[0], [
    'ip', 'link', 'add', T.gen0.dev, 'netns', T.genNetns, 'address', T.gen0.mac, 'type', 'veth',
    'peer', 'name', T.dut0.dev, 'netns', T.dutNetns, 'address', T.dut0.mac,
  ]);
  t.deepEqual(adds[1], [
    'ip', 'link', 'add', T.gen1.dev, 'netns', T.genNetns, 'address', T.gen1.mac, 'type', 'veth',
    'peer', 'name', T.dut1.dev, 'netns', T.dutNetns, 'address', T.dut1.mac,
  ]);
});

test('vethUpCommands: every command other than `netns add` and `link add` runs in a prefixed netns (ip -n)', (t) => {
  for (const c of CMDS) {
    t.is(c[0], 'ip');
    if (c[1] === 'netns' && c[2] === 'add') continue;
    if (c[1] === 'link' && c[2] === 'add') continue;
    t.is(c[1], '-n', c.join(' '));
    t.true(c[2] === T.genNetns || c[2] === T.dutNetns, c.join(' '));
  }
});

test('vethUpCommands: every namespace name anywhere in the commands carries the prefix', (t) => {
  for (const c of CMDS) {
    c.forEach((w, i) => {
      if (w === 'netns' && c[i + 1] !== 'add') t.true(c[i + 1]!.startsWith(`${PREFIX}-`), c.join(' '));
      if (w === 'add' && c[i - 1] === 'netns') t.true(c[i + 1]!.startsWith(`${PREFIX}-`), c.join(' '));
      if (w === '-n') t.true(c[i + 1]!.startsWith(`${PREFIX}-`), c.join(' '));
    });
  }
});

test('vethUpCommands: each device gets its /24 address in 198.18.0.0/15 in its own netns, and is set up', (t) => {
  for (const e of [T.gen0, T.dut0, T.gen1, T.dut1]) {
    const addr = CMDS.find((c) => c.includes('addr') && c.includes(e.dev));
    t.deepEqual(addr, ['ip', '-n', e.netns, 'addr', 'add', `${e.ip}/24`, 'dev', e.dev]);
    t.true(inBenchRange(e.ip));
    t.true(CMDS.some((c) => c.join(' ') === `ip -n ${e.netns} link set ${e.dev} up`), `${e.dev} up`);
    // up comes after the link exists
    const created = CMDS.findIndex((c) => c[2] === 'add' && c.includes(e.dev));
    const up = CMDS.findIndex((c) => c.join(' ') === `ip -n ${e.netns} link set ${e.dev} up`);
    t.true(created >= 0 && created < up);
  }
  for (const ns of [T.genNetns, T.dutNetns]) t.true(CMDS.some((c) => c.join(' ') === `ip -n ${ns} link set lo up`));
});

test('vethUpCommands: every address in the commands is inside 198.18.0.0/15', (t) => {
  const ips = CMDS.flat().flatMap((w) => w.match(/^(\d+\.\d+\.\d+\.\d+)(\/\d+)?$/)?.[1] ?? []);
  t.true(ips.length >= 7);
  for (const ip of ips) t.true(inBenchRange(ip), ip);
});

test('vethUpCommands: static neighbours point at the peer\'s MAC on the right device', (t) => {
  const neigh = CMDS.filter((c) => c.includes('neigh'));
  t.deepEqual(neigh, [
    ['ip', '-n', T.genNetns, 'neigh', 'replace', T.dut0.ip, 'lladdr', T.dut0.mac, 'dev', T.gen0.dev, 'nud', 'permanent'],
    ['ip', '-n', T.dutNetns, 'neigh', 'replace', T.gen0.ip, 'lladdr', T.gen0.mac, 'dev', T.dut0.dev, 'nud', 'permanent'],
    ['ip', '-n', T.dutNetns, 'neigh', 'replace', T.gen1.ip, 'lladdr', T.gen1.mac, 'dev', T.dut1.dev, 'nud', 'permanent'],
  ]);
});

test('vethUpCommands: 17 commands, pure (same input, same output)', (t) => {
  t.is(CMDS.length, 17);
  t.deepEqual(vethUpCommands(planVethTopology(PREFIX)), CMDS);
});

test('vethUpCommands with an existing NIC pair: moved into the namespaces and renamed, only the second pair is veth', (t) => {
  const cmds = vethUpCommands(T, { genDev: 'eth0', dutDev: 'eth1', driver: 'virtio_net' });
  t.deepEqual(cmds.slice(2, 6), [
    ['ip', 'link', 'set', 'dev', 'eth0', 'netns', T.genNetns],
    ['ip', '-n', T.genNetns, 'link', 'set', 'dev', 'eth0', 'name', T.gen0.dev, 'address', T.gen0.mac],
    ['ip', 'link', 'set', 'dev', 'eth1', 'netns', T.dutNetns],
    ['ip', '-n', T.dutNetns, 'link', 'set', 'dev', 'eth1', 'name', T.dut0.dev, 'address', T.dut0.mac],
  ]);
  const veths = cmds.filter((c) => c.includes('veth'));
  t.is(veths.length, 1);
  t.is(veths[0]![3], T.gen1.dev);
});

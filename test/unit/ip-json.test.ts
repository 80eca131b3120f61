/* drivers/ip-json.ts: ip -j output as typed records, on captured output
 * (test/fixtures/lab) and on this machine's own ip. */
import test from 'ava';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IP_COMMANDS, IpJsonError, ipJsonList, ipRouteGetArgv, parseIpAddrs, parseIpLinks, parseIpRoutes } from '../../drivers/ip-json.ts';
import { REPO_ROOT } from '../../ground/paths.ts';

const readings = (name: string) =>
  (JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'lab', `${name}.json`), 'utf8')) as { readings: Record<string, string> }).readings;

test('routes (captured in a netns): table, gateway and the hops of a multipath default', (t) => {
  const routes = parseIpRoutes(readings('safety-netns-multipath').routes4!, 'IPv4 routes');
  t.deepEqual(routes, [
    { dst: 'default', type: null, dev: 'br0', gateway: '198.18.71.2', table: '100', nexthops: [] },
    { dst: 'default', type: null, dev: null, gateway: null, table: null, nexthops: [{ dev: 'fxa0', gateway: '198.18.70.2' }, { dev: 'br0', gateway: '198.18.71.2' }] },
  ]);
});

test('addresses and links (captured): local addresses per link, bridge ports, kinds', (t) => {
  const r = readings('safety-netns-multipath');
  const addrs = parseIpAddrs(r.addrs!);
  t.deepEqual(addrs.find((a) => a.ifname === 'br0')?.localAddresses, ['198.18.71.1', 'fe80::58:44ff:fe50:7100']);
  t.deepEqual(addrs.find((a) => a.ifname === 'fxa2')?.localAddresses, []);
  const links = parseIpLinks(r.links!);
  t.deepEqual(links.map((l) => [l.ifname, l.master, l.kind]), [['lo', null, null], ['fxa0', null, 'veth'], ['fxa1', 'br0', 'veth'], ['fxa2', null, 'veth'], ['br0', null, 'bridge']]);
});

test('fields of the wrong type become null or are left out; a non-string type is kept as text', (t) => {
  const [route] = parseIpRoutes('[{"dst":7,"type":5,"dev":["x"],"table":0,"nexthops":[null,{"dev":"a"}]}]', 'r');
  t.deepEqual(route, { dst: null, type: '5', dev: null, gateway: null, table: null, nexthops: [{ dev: 'a', gateway: null }] });
  const [link] = parseIpLinks('[{"ifname":"v1","link":"eth0","linkinfo":{"info_kind":"vlan"},"altnames":["a",3,"b"]}]');
  t.deepEqual(link, { ifname: 'v1', master: null, link: 'eth0', kind: 'vlan', altnames: ['a', 'b'] });
  t.deepEqual(parseIpAddrs('[{"ifname":"e","addr_info":[{"local":"192.0.2.1"},null,{"family":"inet"}]}]'), [{ ifname: 'e', localAddresses: ['192.0.2.1'] }]);
});

test('empty output is no records; output that is not JSON is an IpJsonError naming the query', (t) => {
  t.deepEqual(ipJsonList('  \n', 'q'), []);
  t.deepEqual(ipJsonList('{"not":"a list"}', 'q'), []);
  const err = t.throws(() => parseIpRoutes('Error: ipv6 disabled', 'IPv6 routes'), { instanceOf: IpJsonError });
  t.is(err!.message, 'IPv6 routes: not JSON: Error: ipv6 disabled');
});

test("this machine's ip: every query parses and names at least the loopback link", async (t) => {
  const text = async (argv: readonly string[]) => (await execa(argv[0]!, argv.slice(1))).stdout;
  const links = parseIpLinks(await text(IP_COMMANDS.links));
  t.true(links.some((l) => l.ifname === 'lo'));
  t.true(parseIpAddrs(await text(IP_COMMANDS.addrs)).some((a) => a.ifname === 'lo' && a.localAddresses.includes('127.0.0.1')));
  const local = parseIpRoutes(await text(IP_COMMANDS.routes4), 'IPv4 routes').filter((r) => r.table === 'local');
  t.true(local.some((r) => r.type === 'local' && r.dev === 'lo'), 'table all includes the local table');
  const [back] = parseIpRoutes(await text(ipRouteGetArgv('127.0.0.1')), 'ip -j route get');
  t.is(back?.dev, 'lo');
});

import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseSampleLine, SamplerOutputError, samplerArgv } from '../../drivers/counter-sampler.ts';
import { KernelRefusalError } from '../../ground/errors.ts';
import { XDPB_HELPER } from '../../ground/paths.ts';

const lines = (name: string) =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8').split('\n').filter((l) => l.trim() !== '');

const SAMPLE_LINES = lines('xdpb-sample.jsonl');

test('the xdpb-sample.jsonl fixture has two samples', (t) => {
  t.is(SAMPLE_LINES.length, 2);
});

test('parseSampleLine: first fixture line, values as captured', (t) => {
  const s = parseSampleLine(SAMPLE_LINES[0]!);
  t.is(s.tNs, 541773442704);
  t.deepEqual(Object.keys(s.stats), ['dut']);
  t.deepEqual(s.stats.dut!.packets, [[0, 0], [158319279, 31934136], [0, 0], [0, 0], [0, 0]]);
  t.deepEqual(Object.keys(s.dev), ['dut', 'gen']);
  t.deepEqual(s.dev.dut!.link, {
    rx_bytes: 10673205038, rx_packets: 190253416, rx_errors: 0, rx_dropped: 6216762,
    tx_bytes: 802, tx_packets: 12, tx_errors: 0, tx_dropped: 0,
  });
  t.is(s.dev.dut!.ethtool!.rx_queue_0_xdp_packets, 190253415);
  t.is(s.dev.gen!.link!.tx_packets, 190253416);
  t.is(s.dev.gen!.link!.tx_dropped, 6216762);
  t.is(s.dev.gen!.ethtool!.tx_queue_0_xdp_xmit_errors, 6216762);
});

for (const [i, line] of SAMPLE_LINES.entries()) {
  test(`parseSampleLine: xdpb-sample.jsonl line ${i + 1} has the documented shape`, (t) => {
    const s = parseSampleLine(line);
    t.is(typeof s.tNs, 'number');
    t.true(Number.isSafeInteger(s.tNs));
    const p = s.stats.dut!.packets!;
    t.is(p.length, 5, 'one row per XDP action');
    for (const row of p) {
      t.is(row.length, 2, 'one column per possible CPU (2 on the capture machine)');
      for (const v of row) t.true(Number.isSafeInteger(v) && v >= 0);
    }
    // every frame the program saw was dropped: drop row total = ethtool xdp packets on this veth
    t.is(p[1]![0]! + p[1]![1]!, 158319279 + 31934136);
    t.is(s.dev.dut!.link!.rx_packets, 190253416);
    t.is(s.dev.dut!.ethtool!.rx_queue_0_xdp_packets, 190253415);
    t.true('rx_queue_0_xdp_packets' in s.dev.gen!.ethtool!);
  });
}

test('the two fixture lines are in time order', (t) => {
  const [a, b] = SAMPLE_LINES.map(parseSampleLine);
  t.is(b!.tNs - a!.tNs, 541773527732 - 541773442704);
  t.true(b!.tNs > a!.tNs);
});

test('parseSampleLine: every line of the captured trial window parses (3 maps, 5 x N counters)', (t) => {
  const window = lines('trial-window-native-drop.jsonl');
  t.true(window.length >= 3);
  const first = parseSampleLine(window[0]!);
  const cpus = first.stats.dut!.packets![0]!.length;
  t.true(cpus >= 1);
  let last = -Infinity;
  for (const line of window) {
    const s = parseSampleLine(line);
    t.true(s.tNs > last);
    last = s.tNs;
    t.deepEqual(Object.keys(s.stats), ['dut', 'sink0', 'sink1']);
    for (const st of Object.values(s.stats)) {
      t.is(st.packets!.length, 5);
      for (const row of st.packets!) t.is(row.length, cpus);
    }
    t.deepEqual(Object.keys(s.dev), ['gen0', 'dut0']);
    t.is(typeof s.dev.dut0!.link!.rx_packets, 'number');
    t.is(typeof s.dev.dut0!.ethtool!.rx_queue_0_xdp_packets, 'number');
  }
});

test('parseSampleLine: an {"ok":false} line from the helper throws a KernelRefusalError naming the source', (t) => {
  const line = '{"ok":false,"stage":"open-stats-map","errno":2,"error":"No such file or directory","detail":"/sys/fs/bpf/x/map_xdpb_stats"}';
  const err = t.throws(() => parseSampleLine(line), { instanceOf: KernelRefusalError });
  t.is(err!.message, 'open-stats-map (/sys/fs/bpf/x/map_xdpb_stats): No such file or directory (errno 2)');
  t.is((err as KernelRefusalError).errno, 2);
});

// Captured: native/build/xdpb sample --interval-ms 200 --max-samples 3 --dev-stats dut0=xdpb-nh4895/nope
// (netns made by hand; test/native/sanitizers.test.ts runs the real thing).
test('parseSampleLine: a missing device is an error naming the label, device and netns', (t) => {
  const line = '{"ok":false,"stage":"resolve-device","errno":19,"error":"No such device","detail":"dut0=xdpb-nh4895/nope: no device nope in netns xdpb-nh4895"}';
  const err = t.throws(() => parseSampleLine(line), { instanceOf: KernelRefusalError });
  t.regex(err!.message, /dut0=xdpb-nh4895\/nope: no device nope in netns xdpb-nh4895/);
  t.regex(err!.message, /No such device \(errno 19\)/);
});

// Captured: the same sampler's last line after `ip -n xdpb-nh4895 link del xdpb-a` while it ran.
test('parseSampleLine: a device gone during sampling parses as link null with the reason', (t) => {
  const line = '{"tNs":1119220081251,"stats":{},"dev":{"dut0":{"link":null,"error":"device xdpb-a is gone from netns xdpb-nh4895 (No such device)"}}}';
  const s = parseSampleLine(line);
  t.is(s.dev.dut0!.link, null);
  t.regex(s.dev.dut0!.error!, /gone/);
});

test('parseSampleLine: a JSON line without tNs/stats/dev is rejected', (t) => {
  t.throws(() => parseSampleLine('{"hello":1}'), { message: /unexpected line/ });
  t.throws(() => parseSampleLine('{"tNs":"1","stats":{},"dev":{}}'), { message: /unexpected line/ });
  t.throws(() => parseSampleLine('{"tNs":1,"dev":{}}'), { message: /unexpected line/ });
  t.throws(() => parseSampleLine('not json'), { instanceOf: SamplerOutputError, message: /not JSON/ });
});

test('samplerArgv: helper, interval, then --stats and --dev-stats pairs in order', (t) => {
  t.deepEqual(
    samplerArgv({
      intervalMs: 100,
      statsMaps: { dut: '/sys/fs/bpf/xdpb-a/map_xdpb_stats', sink0: '/sys/fs/bpf/xdpb-a/sink0/map_xdpb_stats' },
      devices: { gen0: { netns: 'xdpb-a-gen', dev: 'gen0' }, dut0: { netns: 'xdpb-a-dut', dev: 'dut0' } },
    }),
    [
      XDPB_HELPER, 'sample', '--interval-ms', '100',
      '--stats', 'dut=/sys/fs/bpf/xdpb-a/map_xdpb_stats',
      '--stats', 'sink0=/sys/fs/bpf/xdpb-a/sink0/map_xdpb_stats',
      '--dev-stats', 'gen0=xdpb-a-gen/gen0',
      '--dev-stats', 'dut0=xdpb-a-dut/dut0',
    ],
  );
});

test('samplerArgv: no sources, only the interval', (t) => {
  t.deepEqual(samplerArgv({ intervalMs: 250, statsMaps: {}, devices: {} }), [XDPB_HELPER, 'sample', '--interval-ms', '250']);
});

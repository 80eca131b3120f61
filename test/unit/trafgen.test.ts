import test from 'ava';
import { readFileSync } from 'node:fs';
import type { TrafficSpec } from '../../drivers/traffic-driver.ts';
import { parseTrafgenSummary, trafgenArgv, trafgenConfig, trafgenFailureMessage } from '../../drivers/trafgen.ts';
import { XDPB_HELPER } from '../../ground/paths.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const COMPLETE = fixture('trafgen-complete.txt');
const INTERRUPTED = fixture('trafgen-interrupted.txt');

test('parseTrafgenSummary: the completed run (1000000 packets, 60000000 bytes, 1.599603 s on CPU0)', (t) => {
  const s = parseTrafgenSummary(COMPLETE);
  t.not(s, null);
  t.is(s!.packets, 1_000_000);
  t.is(s!.bytes, 60_000_000);
  t.true(Math.abs(s!.cpuSeconds - 1.599603) < 1e-9, `cpuSeconds ${s!.cpuSeconds}`);
});

test('parseTrafgenSummary: the interrupted run reports what trafgen printed (requested count, bogus CPU time)', (t) => {
  const s = parseTrafgenSummary(INTERRUPTED);
  t.not(s, null);
  t.is(s!.packets, 50_000_000);
  t.is(s!.bytes, 3_000_000_000);
  t.true(Math.abs(s!.cpuSeconds - 80.437541) < 1e-9, `cpuSeconds ${s!.cpuSeconds}`);
});

test('parseTrafgenSummary: "packets to schedule" / "bytes in total" are not the summary', (t) => {
  const header = COMPLETE.split('Running!')[0]!;
  t.true(header.includes('packets to schedule'));
  t.is(parseTrafgenSummary(header), null);
  t.is(parseTrafgenSummary(''), null);
  t.is(parseTrafgenSummary('     5 packets outgoing\n'), null, 'bytes line missing');
});

test('parseTrafgenSummary: CR line endings and several CPUs add up', (t) => {
  const text = '  10 packets outgoing\r  600 bytes outgoing\r  1 sec, 500000 usec on CPU0 (5 packets)\r  2 sec, 250000 usec on CPU1 (5 packets)\r';
  t.deepEqual(parseTrafgenSummary(text), { packets: 10, bytes: 600, cpuSeconds: 3.75 });
});

test('trafgenFailureMessage: neither fixture is a failure ("Cannot set system socket memory" is a warning)', (t) => {
  t.true(INTERRUPTED.includes('Cannot set system socket memory'));
  t.is(trafgenFailureMessage(COMPLETE), null);
  t.is(trafgenFailureMessage(INTERRUPTED), null);
});

test('trafgenFailureMessage: the TX_RING flush failure is returned, trimmed', (t) => {
  const line = 'Flushing TX_RING failed: Resource temporarily unavailable';
  t.is(trafgenFailureMessage(`     1 packets to schedule\n  ${line}  \n`), line);
  // Among the socket memory warnings, it is still the failure line that is returned.
  const mixed = INTERRUPTED.replace('Running! Hang up with ^C!', `Running! Hang up with ^C!\n${line}`);
  t.is(trafgenFailureMessage(mixed), line);
  t.is(trafgenFailureMessage(`a\r${line}\rb`), line);
});

test('trafgenFailureMessage: other failures trafgen prints', (t) => {
  t.is(trafgenFailureMessage('Cannot open device gen9: No such device\n'), 'Cannot open device gen9: No such device');
  t.is(trafgenFailureMessage('ioctl error: bad things\n'), 'ioctl error: bad things');
});

test('trafgenConfig: one packet, every byte as 0xNN in braces', (t) => {
  t.is(trafgenConfig(Buffer.from([0x00, 0xab, 0x0f, 0xff, 0x10])), '{ 0x00, 0xab, 0x0f, 0xff, 0x10 }\n');
  t.is(trafgenConfig(Buffer.from([7])), '{ 0x07 }\n');
  const sixty = trafgenConfig(Buffer.alloc(60, 0x5a));
  t.is(sixty.match(/0x5a/g)?.length, 60);
});

const SPEC: TrafficSpec = {
  netns: 'xdpb-test-gen',
  dev: 'gen0',
  frame: Buffer.alloc(60),
  durationMs: 2000,
  cpus: [3],
  ratePps: 0,
  scratchDir: '/tmp/xdpb-test',
  flows: 1,
};

test('trafgenArgv: runs through `xdpb exec --netns` on the first CPU, with a --num bound and --no-sock-mem', (t) => {
  const argv = trafgenArgv(SPEC, '/tmp/xdpb-test/trafgen.cfg');
  t.deepEqual(argv.slice(0, 8), [XDPB_HELPER, 'exec', '--netns', 'xdpb-test-gen', '--cpu', '3', '--', 'trafgen']);
  const tool = argv.slice(8);
  const value = (flag: string) => tool[tool.indexOf(flag) + 1];
  t.true(tool.includes('--dev') && value('--dev') === 'gen0');
  t.is(value('--conf'), '/tmp/xdpb-test/trafgen.cfg');
  t.is(value('--num'), '10000000'); // 5 Mpps bound * 2 s
  t.is(value('--cpus'), '1');
  t.true(tool.includes('--no-sock-mem'));
  t.false(tool.includes('--rate'));
  // sendto() per frame: TX_RING aborts into a decoupled native-XDP veth (test/e2e/trafgen-native.test.ts runs it).
  t.is(value('--gap'), '0');
});

test('trafgenArgv: --num is rounded up, --rate only when asked for', (t) => {
  const argv = trafgenArgv({ ...SPEC, durationMs: 333, ratePps: 1234.6, cpus: [0, 1] }, 'c.cfg');
  const num = argv.indexOf('--num');
  t.true(num > 0);
  t.is(argv[num + 1], '1665000'); // ceil(5e6 * 0.333)
  t.is(argv[argv.indexOf('--rate') + 1], '1235pps');
  t.deepEqual(argv.slice(0, 7), [XDPB_HELPER, 'exec', '--netns', 'xdpb-test-gen', '--cpu', '0', '--']);
  t.false(trafgenArgv(SPEC, 'c.cfg').includes('--rate'));
});

/* The pktgen planner and parsers, against /proc/net/pktgen files captured in
 * the VM (test/fixtures/pktgen-*.txt, Linux 6.1, capture-pktgen.sh). */
import test from 'ava';
import { readFileSync } from 'node:fs';
import {
  frameFields,
  parseIpRange,
  parsePktgenDevice,
  parsePktgenResult,
  parsePktgenThread,
  parsePortRange,
  parseWorkerEvents,
  pktgenCommands,
  pktgenParamsFor,
  pktgenResultText,
  pktgenWorkerArgv,
  pktgenWriteAccepted,
  probePktgen,
  reportFromDevices,
  sumProgress,
  validatePktgenParams,
  workerErrorMessage,
  NO_PKTGEN_REASON,
  PKTGEN_MAX_PPS_PER_THREAD,
  type PktgenParams,
} from '../../drivers/pktgen.ts';
import { buildUdpFrame } from '../../ground/frame.ts';
import { XDPB_HELPER } from '../../ground/paths.ts';
import type { TrafficSpec } from '../../drivers/traffic-driver.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

const BASE: PktgenParams = {
  dev: 'eth0',
  pktSizeBytes: 60,
  dstIp: '198.18.0.42',
  dstMac: '90:e2:ba:ff:ff:ff',
  cpus: [0],
  cloneSkb: 0,
  count: 100000,
  burst: 1,
  delayNs: 0,
  ratePpsPerThread: 0,
  xmitMode: 'start_xmit',
};

const lines = (p: PktgenParams) => pktgenCommands(p).map((w) => `${w.file}: ${w.command}`);

test('pktgenCommands: one thread, as pktgen_sample01_simple.sh (reset, thread, device params in its order)', (t) => {
  t.deepEqual(lines({ ...BASE, dstPort: '9' }), [
    'pgctrl: reset',
    'kpktgend_0: rem_device_all',
    'kpktgend_0: add_device eth0@0',
    'eth0@0: count 100000',
    'eth0@0: clone_skb 0',
    'eth0@0: pkt_size 60',
    'eth0@0: delay 0',
    'eth0@0: flag NO_TIMESTAMP',
    'eth0@0: dst_mac 90:e2:ba:ff:ff:ff',
    'eth0@0: dst_min 198.18.0.42',
    'eth0@0: dst_max 198.18.0.42',
    'eth0@0: flag UDPDST_RND',
    'eth0@0: udp_dst_min 9',
    'eth0@0: udp_dst_max 9',
  ]);
});

test('pktgenCommands: threads on CPUs 2 and 3 get QUEUE_MAP_CPU, one device each (DEV@CPU), as sample02', (t) => {
  const l = lines({ ...BASE, cpus: [2, 3] });
  t.is(l.filter((x) => x === 'pgctrl: reset').length, 1, 'one reset for all threads');
  for (const cpu of [2, 3]) {
    t.true(l.includes(`kpktgend_${cpu}: rem_device_all`));
    t.true(l.includes(`kpktgend_${cpu}: add_device eth0@${cpu}`));
    t.true(l.includes(`eth0@${cpu}: flag QUEUE_MAP_CPU`));
    t.true(l.indexOf(`kpktgend_${cpu}: add_device eth0@${cpu}`) < l.indexOf(`eth0@${cpu}: count 100000`), 'device added before it is configured');
  }
  t.false(lines(BASE).some((x) => x.includes('QUEUE_MAP_CPU')), 'one thread: no queue mapping');
});

test('pktgenCommands: netif_receive as pktgen_bench_xmit_mode_netif_receive.sh: no clone_skb, mode before burst', (t) => {
  const l = lines({ ...BASE, dev: 'd0', xmitMode: 'netif_receive', burst: 1024, dstIp: '198.18.0.0/15' });
  t.false(l.some((x) => x.includes('clone_skb')));
  t.true(l.includes('d0@0: dst_min 198.18.0.0'));
  t.true(l.includes('d0@0: dst_max 198.19.255.255'));
  const mode = l.indexOf('d0@0: xmit_mode netif_receive');
  const burst = l.indexOf('d0@0: burst 1024');
  t.true(mode > 0 && burst > mode, 'pktgen checks burst against the mode already set');
  t.false(lines(BASE).some((x) => x.includes('xmit_mode')), 'start_xmit is the default: not written');
});

test('pktgenCommands: source MAC/IP, random source ports, UDP checksum, rate, delay', (t) => {
  const l = lines({ ...BASE, srcMac: '02:58:44:50:00:10', srcIp: '198.18.0.1-198.18.0.9', srcPort: '9-109', udpChecksum: true, ratePpsPerThread: 250000, delayNs: 10 });
  for (const want of ['src_mac 02:58:44:50:00:10', 'src_min 198.18.0.1', 'src_max 198.18.0.9', 'flag UDPSRC_RND', 'udp_src_min 9', 'udp_src_max 109', 'flag UDPCSUM', 'ratep 250000', 'delay 10']) {
    t.true(l.includes(`eth0@0: ${want}`), want);
  }
  t.true(l.indexOf('eth0@0: ratep 250000') > l.indexOf('eth0@0: delay 10'), 'ratep sets the delay: it comes last');
  const seq = lines({ ...BASE, srcPort: '1000-1004', srcPortRandom: false });
  t.false(seq.some((x) => x.includes('UDPSRC_RND')), 'sequential source ports');
  t.true(seq.includes('eth0@0: udp_src_max 1004'));
  t.false(lines(BASE).some((x) => x.includes('udp_src') || x.includes('src_mac')), 'nothing about the source unless asked');
});

test('pktgenCommands: refuses before writing what pktgen would refuse (and nonsense)', (t) => {
  t.throws(() => pktgenCommands({ ...BASE, xmitMode: 'netif_receive', cloneSkb: 10 }), { message: /clone_skb is not supported with xmit_mode netif_receive/ });
  t.throws(() => pktgenCommands({ ...BASE, xmitMode: 'queue_xmit', burst: 8 }), { message: /queue_xmit/ });
  t.throws(() => pktgenCommands({ ...BASE, cpus: [] }), { message: /at least one thread/ });
  t.throws(() => pktgenCommands({ ...BASE, cpus: [1, 1] }), { message: /twice/ });
  t.throws(() => pktgenCommands({ ...BASE, dev: 'eth0; reboot' }), { message: /not an interface name/ });
  t.throws(() => pktgenCommands({ ...BASE, dstMac: 'ff:ff' }), { message: /MAC/ });
  t.throws(() => pktgenCommands({ ...BASE, pktSizeBytes: 40 }), { message: /minimum/ });
  t.throws(() => pktgenCommands({ ...BASE, count: -1 }), { message: /count/ });
  t.throws(() => pktgenCommands({ ...BASE, dstPort: '0-10' }), { message: /invalid port/ });
  t.throws(() => pktgenCommands({ ...BASE, dstIp: '198.18.0.300' }), { message: /IPv4/ });
  t.notThrows(() => validatePktgenParams(BASE));
});

test('parseIpRange / parsePortRange: as samples/pktgen parse_addr and parse_ports', (t) => {
  t.deepEqual(parseIpRange('198.18.0.42'), ['198.18.0.42', '198.18.0.42']);
  t.deepEqual(parseIpRange('198.18.0.0/15'), ['198.18.0.0', '198.19.255.255']);
  t.deepEqual(parseIpRange('198.18.5.7/24'), ['198.18.5.0', '198.18.5.255']);
  t.deepEqual(parseIpRange('10.0.0.1/32'), ['10.0.0.1', '10.0.0.1']);
  t.deepEqual(parseIpRange('0.0.0.0/0'), ['0.0.0.0', '255.255.255.255']);
  t.deepEqual(parseIpRange('198.18.0.1-198.18.0.9'), ['198.18.0.1', '198.18.0.9']);
  t.throws(() => parseIpRange('198.18.0.9-198.18.0.1'), { message: /backwards/ });
  t.throws(() => parseIpRange('198.18.0.0/33'), { message: /prefix/ });
  t.deepEqual(parsePortRange('9'), [9, 9]);
  t.deepEqual(parsePortRange('433-444'), [433, 444]);
  t.throws(() => parsePortRange('444-433'));
  t.throws(() => parsePortRange('65536'));
});

test('parsePktgenDevice: start_xmit run to completion (fixture)', (t) => {
  const s = parsePktgenDevice(fixture('pktgen-start-xmit-complete.txt'))!;
  t.not(s, null);
  t.is(s.count, 200000);
  t.is(s.packetsSoFar, 200000);
  t.is(s.errors, 0);
  t.is(s.xmitMode, 'start_xmit');
  t.deepEqual(s.flags, ['UDPDST_RND', 'NO_TIMESTAMP']);
  t.true(s.stoppedUs > s.startedUs);
  t.deepEqual(s.result, { elapsedUs: 2017232, busyUs: 2015468, idleUs: 1763, packets: 200000, pktSizeBytes: 60, frags: 0, pps: 99145, mbPerSec: 47, bps: 47589600, errors: 0 });
  t.regex(s.resultText, /^OK: 2017232\(c2015468\+d1763\) usec, 200000 \(60byte,0frags\)$/);
  // pktgen's own arithmetic: pps = packets * 1e9 / elapsed ns (elapsed printed in us: within rounding).
  t.true(Math.abs(s.result!.pps - (s.result!.packets * 1e6) / s.result!.elapsedUs) < 1);
  t.is(s.result!.bps, s.result!.pps * 8 * 60);
});

test('parsePktgenDevice: read while running: progress, no result yet ("Starting")', (t) => {
  const s = parsePktgenDevice(fixture('pktgen-start-xmit-running.txt'))!;
  t.is(s.count, 0, 'count 0: until stopped');
  t.true(s.packetsSoFar > 0);
  t.is(s.resultText, 'Starting');
  t.is(s.result, null);
  t.deepEqual(sumProgress([fixture('pktgen-start-xmit-running.txt'), '']), { packets: s.packetsSoFar, errors: 0 });
});

test('parsePktgenDevice: stopped by a signal: the result covers what was sent until then', (t) => {
  const running = parsePktgenDevice(fixture('pktgen-start-xmit-running.txt'))!;
  const s = parsePktgenDevice(fixture('pktgen-start-xmit-interrupted.txt'))!;
  t.truthy(s.result);
  t.is(s.result!.packets, s.packetsSoFar);
  t.true(s.result!.packets >= running.packetsSoFar, 'it went on until the signal');
  t.true(s.result!.elapsedUs > 500_000 && s.result!.elapsedUs < 5_000_000);
});

test('parsePktgenDevice: two threads (QUEUE_MAP_CPU), netif_receive (errors = stack drops), virtio burst (overshoots count)', (t) => {
  const a = parsePktgenDevice(fixture('pktgen-2threads-pg0_at_0.txt'))!;
  const b = parsePktgenDevice(fixture('pktgen-2threads-pg0_at_1.txt'))!;
  t.true(a.flags.includes('QUEUE_MAP_CPU') && b.flags.includes('QUEUE_MAP_CPU'));
  t.is(a.result!.packets + b.result!.packets, 200000);
  const nr = parsePktgenDevice(fixture('pktgen-netif-receive-burst.txt'))!;
  t.is(nr.xmitMode, 'netif_receive');
  t.is(nr.result!.packets, 200000);
  t.is(nr.result!.errors, 200000, 'every injected frame was dropped by the stack (closed port): counted as errors');
  const v = parsePktgenDevice(fixture('pktgen-virtio-burst.txt'))!;
  t.is(v.count, 200000);
  t.true(v.packetsSoFar >= v.count && v.packetsSoFar < v.count + 32, `burst 32 may send up to 31 more than count: ${v.packetsSoFar}`);
  t.is(v.result!.packets, v.packetsSoFar);
});

test('parsePktgenResult: the two-line result; not a result: Idle, Starting, errors', (t) => {
  t.deepEqual(parsePktgenResult('OK: 1471834(c1457112+d14722) usec, 151330 (60byte,0frags)\n  102817pps 49Mb/sec (49352160bps) errors: 0'), {
    elapsedUs: 1471834, busyUs: 1457112, idleUs: 14722, packets: 151330, pktSizeBytes: 60, frags: 0, pps: 102817, mbPerSec: 49, bps: 49352160, errors: 0,
  });
  for (const s of ['Idle', 'Starting', 'OK: count=1000', 'No such parameter "x"', '']) t.is(parsePktgenResult(s), null, s);
  t.is(parsePktgenDevice('Running: \nStopped: \nResult: OK: add_device=x@0'), null, 'a thread file is not a device file');
});

test('pktgenWriteAccepted / pktgenResultText: refusals are in the Result line (fixtures)', (t) => {
  t.true(pktgenWriteAccepted(fixture('pktgen-thread-kpktgend_0.txt')));
  t.false(pktgenWriteAccepted(fixture('pktgen-error-add-device.txt')));
  t.is(pktgenResultText(fixture('pktgen-error-add-device.txt')), 'ERROR: can not add device nosuch0@0');
  const flag = fixture('pktgen-error-unknown-flag.txt');
  t.false(pktgenWriteAccepted(flag));
  t.regex(pktgenResultText(flag)!, /^Flag -:BOGUS:- unknown\nAvailable flags/);
  t.regex(parsePktgenDevice(flag)!.resultText, /^Flag -:BOGUS:- unknown$/, 'first line only');
  const param = fixture('pktgen-error-unknown-param.txt');
  t.regex(param, /write error: Invalid argument/, 'an unknown parameter is also a write error (EINVAL)');
  t.is(pktgenResultText(param), 'No such parameter "frobnicate"');
  const burst = fixture('pktgen-error-burst-veth.txt');
  t.regex(burst, /write error: Unknown error 524/, 'burst on veth: ENOTSUPP (kernel-internal 524)');
  t.is(pktgenResultText(burst), 'No such parameter "frobnicate"', 'and the Result line is stale: the driver does not quote it');
});

test('parsePktgenThread: the thread file after a run and after a refused add_device', (t) => {
  t.deepEqual(parsePktgenThread(fixture('pktgen-thread-kpktgend_0.txt')), { running: [], stopped: ['pg0@0'], resultText: 'OK: add_device=pg0@0' });
  t.deepEqual(parsePktgenThread(fixture('pktgen-error-add-device.txt')), { running: [], stopped: [], resultText: 'ERROR: can not add device nosuch0@0' });
  t.is(parsePktgenThread(fixture('pktgen-pgctrl.txt')), null);
  t.regex(fixture('pktgen-pgctrl.txt'), /^Packet Generator for packet performance testing\. Version: 2\.75/);
});

const spec = (over: Partial<TrafficSpec> = {}): TrafficSpec => ({
  netns: 'xdpb-0000abcd-gen',
  dev: 'g0000abcd-0',
  frame: buildUdpFrame({ srcMac: '02:58:44:50:00:10', dstMac: '02:58:44:50:00:20', srcIp: '198.18.0.1', dstIp: '198.18.0.2', srcPort: 9, dstPort: 9, pktSizeBytes: 64 }),
  durationMs: 2000,
  cpus: [0, 1],
  ratePps: 0,
  flows: 1,
  scratchDir: '/tmp/x',
  ...over,
});

test('pktgenParamsFor: the harness frame becomes pktgen parameters (size without FCS, addresses, bounded count)', (t) => {
  const p = pktgenParamsFor(spec());
  t.is(p.pktSizeBytes, 60);
  t.is(p.dstMac, '02:58:44:50:00:20');
  t.is(p.srcMac, '02:58:44:50:00:10');
  t.is(p.dstIp, '198.18.0.2');
  t.is(p.srcIp, '198.18.0.1');
  t.is(p.dstPort, '9');
  t.is(p.srcPort, '9');
  t.deepEqual(p.cpus, [0, 1]);
  t.is(p.count, PKTGEN_MAX_PPS_PER_THREAD * 2, 'never "until stopped": bounded by the duration at 20 Mpps');
  t.is(p.ratePpsPerThread, 0);
  t.is(p.xmitMode, 'start_xmit');
  t.is(pktgenParamsFor(spec({ ratePps: 1_000_001 })).ratePpsPerThread, 500_001, 'the rate is split over the threads');
  const flows = pktgenParamsFor(spec({ flows: 4 }));
  t.is(flows.srcPort, '9-13', 'pktgen wraps at max (exclusive): 4 ports 9..12');
  t.false(flows.srcPortRandom);
  t.throws(() => pktgenParamsFor(spec({ frame: Buffer.alloc(60) })), { message: /IPv4\/UDP/ });
  t.deepEqual(frameFields(spec().frame), { dstMac: '02:58:44:50:00:20', srcMac: '02:58:44:50:00:10', srcIp: '198.18.0.1', dstIp: '198.18.0.2', srcPort: 9, dstPort: 9 });
});

test('reportFromDevices: pktgen\'s own counts summed over threads; errors worded by mode; a missing result said', (t) => {
  const two = reportFromDevices({ 'pg0@0': fixture('pktgen-2threads-pg0_at_0.txt'), 'pg0@1': fixture('pktgen-2threads-pg0_at_1.txt') }, 1234, 'start_xmit');
  t.deepEqual(two, { framesSent: 200000, durationMs: 1234, message: undefined });
  const nr = reportFromDevices({ 'pg1@0': fixture('pktgen-netif-receive-burst.txt') }, 400, 'netif_receive');
  t.is(nr.framesSent, 200000);
  t.is(nr.message, '200000 frames dropped by the stack (pktgen\'s errors: NET_RX_DROP)');
  const running = reportFromDevices({ 'pg0@0': fixture('pktgen-start-xmit-running.txt'), 'x@1': '' }, 1000, 'start_xmit');
  t.is(running.framesSent, parsePktgenDevice(fixture('pktgen-start-xmit-running.txt'))!.packetsSoFar);
  t.is(running.message, 'pg0@0: no result yet (Starting): pkts-sofar counted; x@1: unreadable device file');
});

test('worker protocol: events parsed line by line, errors worded with the file and pktgen\'s words', (t) => {
  const ev = parseWorkerEvents('noise\n{"event":"configured","writes":14,"ms":3}\n{"event":"error","stage":"write","file":"g0@0","command":"burst 8","errno":524,"code":"ENOTSUPP","error":"pktgen: not supported"}\n');
  t.is(ev.length, 2);
  const err = ev[1]!;
  t.is(err.event, 'error');
  if (err.event === 'error') t.is(workerErrorMessage(err), 'writing "burst 8" to /proc/net/pktgen/g0@0: pktgen: not supported (ENOTSUPP)');
  t.is(workerErrorMessage({ event: 'error', stage: 'write', file: 'kpktgend_0', command: 'add_device x@0', error: 'pktgen refused it', result: 'ERROR: can not add device x@0' }),
    'writing "add_device x@0" to /proc/net/pktgen/kpktgend_0: pktgen refused it; pktgen says: ERROR: can not add device x@0');
});

test('pktgenWorkerArgv: the worker runs inside the netns through xdpb exec, with this node and loader', (t) => {
  const argv = pktgenWorkerArgv('xdpb-0000abcd-gen');
  t.deepEqual(argv.slice(0, 5), [XDPB_HELPER, 'exec', '--netns', 'xdpb-0000abcd-gen', '--']);
  t.is(argv[5], process.execPath);
  t.regex(argv.at(-1)!, /drivers\/pktgen-worker\.ts$/);
});

test('probe: on this kernel (no pktgen module) the driver says so; where pktgen exists it is available', async (t) => {
  const a = await probePktgen();
  const hasPktgen = (() => {
    try {
      readFileSync('/proc/net/pktgen/pgctrl');
      return true;
    } catch {
      return false;
    }
  })();
  if (a.available) t.pass(`available here: ${a.detail}`);
  else {
    t.false(hasPktgen);
    t.true(a.reason === NO_PKTGEN_REASON || /native helper/.test(a.reason), a.reason);
    t.truthy(a.fix);
  }
});

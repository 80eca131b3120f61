import test from 'ava';
import { readFileSync } from 'node:fs';
import { verifyCapture, type CaptureExpectation } from '../../drivers/capture-verify.ts';
import { parseTcpdumpStats, tcpdumpArgv } from '../../drivers/pcap-capture.ts';
import { decodeEthernet, PcapError, readPcap, type PcapFile } from '../../drivers/pcap-file.ts';
import { EXIT } from '../../ground/errors.ts';
import { buildUdpFrame } from '../../ground/frame.ts';
import { XDPB_HELPER } from '../../ground/paths.ts';

const bytes = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const GEN_MAC = '02:58:44:50:00:10';
const DUT_MAC = '02:58:44:50:00:20';
/** What the latency scenario expects of a sample: 62-byte UDP probes (20-byte payload), one flow, replies swapped. */
const PROBES: CaptureExpectation = { localMac: GEN_MAC, frameBytes: 62, protocol: 'udp', flows: 1, reflected: true, minFrames: 2 };

test('tcpdumpArgv: inside the netns through xdpb exec, bounded by -c, classic microsecond pcap', (t) => {
  t.deepEqual(tcpdumpArgv({ netns: 'ns-gen', dev: 'g0', file: '/tmp/x.pcap', maxFrames: 100, filter: ['udp'] }), [
    XDPB_HELPER, 'exec', '--netns', 'ns-gen', '--', 'tcpdump', '-i', 'g0', '-n', '-p', '-U', '--immediate-mode', '-Z', 'root', '-c', '100', '-s', '256',
    '--time-stamp-precision', 'micro', '-Q', 'inout', '-w', '/tmp/x.pcap', 'udp']);
  t.throws(() => tcpdumpArgv({ netns: 'n', dev: 'd', file: 'f', maxFrames: 0 }), { instanceOf: RangeError });
});

test('tcpdump closing counts, from its real stderr', (t) => {
  t.deepEqual(parseTcpdumpStats(bytes('tcpdump-probes.stderr.txt').toString()), { captured: 20, receivedByFilter: 20, droppedByKernel: 0 });
  t.is(parseTcpdumpStats('tcpdump: listening on g0, link-type EN10MB (Ethernet)\n'), null);
  t.deepEqual(parseTcpdumpStats('1 packet captured\n1 packet received by filter\n0 packets dropped by kernel\n'), { captured: 1, receivedByFilter: 1, droppedByKernel: 0 });
});

test('a real capture of 10 probes and their replies: parsed with pcap-parser and checked', async (t) => {
  const pcap = await readPcap(bytes('tcpdump-probes.pcap'), 'probes');
  t.is(pcap.linkType, 1);
  t.is(pcap.endianness, 'LE');
  t.is(pcap.snapLenBytes, 256);
  t.is(pcap.records.length, 20);
  const first = decodeEthernet(pcap.records[0]!.data, pcap.records[0]!.originalLength);
  t.is(first.srcMac, GEN_MAC);
  t.is(first.protocol, 'udp');
  t.is(first.l4!.dstPort, 7777);
  t.is(first.l4!.payload.readUInt32BE(0), 0x58445060, 'probe magic');
  const v = verifyCapture(pcap, PROBES);
  t.deepEqual(v.mismatches, []);
  t.true(v.ok);
  t.is(v.sent, 10);
  t.is(v.received, 10);
  t.deepEqual(v.sentSizes, { 62: 10 });
  t.deepEqual(v.protocols, { udp: 20 });
  t.is(v.sentFlows, 1);
  t.is(v.receivedFlows, 1);
  t.deepEqual(v.reflection, { matched: 10, swapped: 10, notSwapped: 0, unmatched: 0, echoedUnchanged: 0 });
});

/** The fixture with the replies rewritten by `edit` (Ethernet offsets). */
async function withEditedReplies(edit: (frame: Buffer) => void): Promise<PcapFile> {
  const pcap = await readPcap(bytes('tcpdump-probes.pcap'));
  for (const r of pcap.records) if (decodeEthernet(r.data, r.originalLength).srcMac !== GEN_MAC) edit(r.data);
  return pcap;
}

test('replies that are not the request swapped are named, with the field that is wrong', async (t) => {
  // A reflector that swapped MACs but forgot the IPv4 addresses.
  const pcap = await withEditedReplies((f) => {
    const src = Buffer.from(f.subarray(26, 30));
    f.set(f.subarray(30, 34), 26);
    f.set(src, 30);
  });
  const v = verifyCapture(pcap, PROBES);
  t.false(v.ok);
  t.is(v.reflection!.notSwapped, 10);
  t.regex(v.mismatches.join('\n'), /10 of 10 replies are not the request swapped \(frame 1: IPs 198\.18\.0\.1 > 198\.18\.0\.2/);
});

test('size, protocol, flow count and missing replies are each a mismatch', async (t) => {
  const pcap = await readPcap(bytes('tcpdump-probes.pcap'));
  const v = verifyCapture(pcap, { ...PROBES, frameBytes: 60, protocol: 'tcp', flows: { min: 2, max: 4 }, minFrames: 100 });
  t.deepEqual(v.mismatches, [
    'the sample has 20 IPv4 frames, expected at least 100',
    '20 of 20 frames are not 60 bytes (62: 20)',
    '20 of 20 IPv4 frames are not TCP (udp: 20)',
    '1 distinct sent flows (5-tuples), expected 2..4',
  ]);
  const sentOnly: PcapFile = { ...pcap, records: pcap.records.filter((r) => decodeEthernet(r.data, r.originalLength).srcMac === GEN_MAC) };
  t.deepEqual(verifyCapture(sentOnly, PROBES).mismatches, ['no reflected frame came back in the sample']);
});

test('replies to frames the capture cannot see (live generator) are checked against templates', async (t) => {
  const request = buildUdpFrame({ srcMac: GEN_MAC, dstMac: DUT_MAC, srcIp: '198.18.0.1', dstIp: '198.18.0.2', srcPort: 9, dstPort: 9, pktSizeBytes: 64 });
  const reply = Buffer.from(request);
  reply.set(request.subarray(6, 12), 0);
  reply.set(request.subarray(0, 6), 6);
  reply.set(request.subarray(30, 34), 26);
  reply.set(request.subarray(26, 30), 30);
  const pcap: PcapFile = { source: 'synthetic', endianness: 'LE', snapLenBytes: 256, linkType: 1, records: [reply, reply].map((data) => ({ tsSec: 0, tsUsec: 0, capturedLength: data.length, originalLength: data.length, data })) };
  const e: CaptureExpectation = { localMac: GEN_MAC, frameBytes: 60, protocol: 'udp', flows: 1, reflected: true, requestTemplates: [request] };
  const v = verifyCapture(pcap, e);
  t.deepEqual(v.mismatches, []);
  t.is(v.reflection!.swapped, 2);
  t.is(verifyCapture(pcap, { ...e, requestTemplates: [] }).mismatches[0], 'none of the 2 received frames matches a request');
});

async function pcapError(input: Buffer): Promise<PcapError> {
  const err = await readPcap(input, 'sample.pcap').then(() => null, (e: unknown) => e);
  if (!(err instanceof PcapError)) throw new Error(`expected a PcapError, got ${String(err)}`);
  return err;
}

test('corrupted captures: a typed PcapError that says what is wrong and where', async (t) => {
  const good = bytes('tcpdump-probes.pcap');
  const cut = await pcapError(good.subarray(0, good.length - 10));
  t.is(cut.reason, 'truncated-record');
  t.is(cut.exitCode, EXIT.runFailure);
  t.is(cut.offset, 24 + 19 * (16 + 62));
  t.is(cut.message, `sample.pcap: not a usable pcap (truncated-record at byte ${24 + 19 * 78}): the file ends inside a record: record 19 announces 62 bytes, 52 left`);

  const stray = await pcapError(Buffer.concat([good, Buffer.from([1, 2, 3])]));
  t.is(stray.reason, 'truncated-record');
  t.regex(stray.message, /3 stray bytes after record 19/);

  t.is((await pcapError(Buffer.alloc(0))).reason, 'empty');
  t.is((await pcapError(good.subarray(0, 10))).reason, 'truncated-header');
  const garbage = await pcapError(Buffer.from('this is not a capture at all, just text'));
  t.is(garbage.reason, 'bad-magic');
  t.regex(garbage.message, /magic number 0x74686973 is not a pcap's/);

  const nano = await pcapError(bytes('tcpdump-probes-nano.pcap'));
  t.is(nano.reason, 'nanosecond');
  t.regex(nano.message, /--time-stamp-precision micro/);
  t.is((await pcapError(Buffer.from('0a0d0d0a1c0000004d3c2b1a', 'hex'))).reason, 'pcapng');

  const hugeRecord = Buffer.from(good);
  hugeRecord.writeUInt32LE(0x7fffffff, 24 + 8); // first record's captured length
  const bad = await pcapError(hugeRecord);
  t.is(bad.reason, 'bad-record');
  t.regex(bad.message, /record 0: captured 2147483647 of 62 bytes/);

  const cooked = Buffer.from(good);
  cooked.writeUInt32LE(113, 20); // LINUX_SLL: captured on "any"
  t.is((await pcapError(cooked)).reason, 'unsupported-link-type');
});

test('readPcap reads a file path too', async (t) => {
  const pcap = await readPcap(new URL('../fixtures/tcpdump-probes.pcap', import.meta.url).pathname);
  t.is(pcap.records.length, 20);
  await t.throwsAsync(readPcap('/nonexistent/x.pcap'), { code: 'ENOENT' });
});

import test from 'ava';
import type { FrameSpec } from '../../ground/frame.ts';
import { buildUdpFrame, FCS_BYTES, ipv4HeaderChecksum, MAX_PKT_SIZE_BYTES, MIN_PKT_SIZE_BYTES } from '../../ground/frame.ts';

const SPEC: FrameSpec = {
  srcMac: '02:58:44:50:00:10',
  dstMac: '02:58:44:50:00:20',
  srcIp: '198.18.0.1',
  dstIp: '198.18.0.2',
  srcPort: 4321,
  dstPort: 9,
  pktSizeBytes: 64,
};

/** One's-complement sum of the 20-byte IPv4 header, checksum field included, folded to 16 bits. */
function foldedHeaderSum(frame: Buffer): number {
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += frame.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

test('constants: 64..1518 bytes on the wire, 4-byte FCS', (t) => {
  t.is(FCS_BYTES, 4);
  t.is(MIN_PKT_SIZE_BYTES, 64);
  t.is(MAX_PKT_SIZE_BYTES, 1518);
});

test('a 64-byte packet is a 60-byte frame, byte for byte', (t) => {
  const f = buildUdpFrame(SPEC);
  t.is(f.length, 60);
  // Hand-assembled: Ethernet, IPv4 (ihl 5, total 46, ttl 64, proto 17, checksum 0xee97), UDP (len 26, csum 0), zero payload.
  // Checksum by hand: 4500 + 002e + 4011 + c612 + 0001 + c612 + 0002 = 0x21166 -> 0x1166 + 0x2 = 0x1168 -> ~ = 0xee97.
  const expected =
    '025844500020' + '025844500010' + '0800' +
    '4500' + '002e' + '0000' + '0000' + '4011' + 'ee97' + 'c6120001' + 'c6120002' +
    '10e1' + '0009' + '001a' + '0000' +
    '00'.repeat(60 - 42);
  t.is(f.toString('hex'), expected);
});

test('MACs, ethertype, IPs and ports sit at their offsets', (t) => {
  const f = buildUdpFrame({ ...SPEC, srcMac: 'aa:bb:cc:dd:ee:ff', dstMac: '01:23:45:67:89:AB', srcIp: '10.1.2.3', dstIp: '192.168.254.7', srcPort: 65535, dstPort: 1 });
  t.deepEqual([...f.subarray(0, 6)], [0x01, 0x23, 0x45, 0x67, 0x89, 0xab], 'destination MAC first');
  t.deepEqual([...f.subarray(6, 12)], [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff], 'source MAC second');
  t.is(f.readUInt16BE(12), 0x0800);
  t.is(f[14], 0x45, 'IPv4, 20-byte header');
  t.is(f[22], 64, 'TTL');
  t.is(f[23], 17, 'UDP');
  t.deepEqual([...f.subarray(26, 30)], [10, 1, 2, 3], 'source IP at 26');
  t.deepEqual([...f.subarray(30, 34)], [192, 168, 254, 7], 'destination IP at 30');
  t.is(f.readUInt16BE(34), 65535, 'UDP source port at 34');
  t.is(f.readUInt16BE(36), 1, 'UDP destination port at 36');
  t.is(f.readUInt16BE(40), 0, 'UDP checksum 0 (none)');
});

for (const size of [64, 65, 128, 512, 1000, 1500, 1518]) {
  test(`size ${size}: length, IP total length, UDP length, checksum verifies`, (t) => {
    const f = buildUdpFrame({ ...SPEC, pktSizeBytes: size });
    t.is(f.length, size - 4);
    t.is(f.readUInt16BE(16), size - 4 - 14, 'IP total length = frame - Ethernet header');
    t.is(f.readUInt16BE(38), size - 4 - 14 - 20, 'UDP length = IP total length - IP header');
    t.is(foldedHeaderSum(f), 0xffff, 'header words incl. checksum fold to 0xffff');
    t.is(ipv4HeaderChecksum(f.subarray(14, 34)), 0, 'recomputing over a valid header gives 0');
    t.true(f.subarray(42).every((b) => b === 0), 'payload is zero');
  });
}

test('ipv4HeaderChecksum on a known header (RFC 1071 style example)', (t) => {
  // Classic example header: 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7
  const h = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
  t.is(ipv4HeaderChecksum(h), 0xb861);
});

test('size limits throw RangeError', (t) => {
  for (const bad of [63, 1519, 64.5, 0, -64, Number.NaN]) {
    t.throws(() => buildUdpFrame({ ...SPEC, pktSizeBytes: bad }), { instanceOf: RangeError, message: /packet size/ }, `size ${bad}`);
  }
  t.notThrows(() => buildUdpFrame({ ...SPEC, pktSizeBytes: 64 }));
  t.notThrows(() => buildUdpFrame({ ...SPEC, pktSizeBytes: 1518 }));
});

test('bad MAC addresses throw RangeError naming the address', (t) => {
  for (const mac of ['02:58:44:50:00', '02:58:44:50:00:2g', '0258.4450.0020', '02:58:44:50:00:20:11', '2:58:44:50:00:20', '']) {
    t.throws(() => buildUdpFrame({ ...SPEC, srcMac: mac }), { instanceOf: RangeError, message: /not a MAC address/ }, `src ${mac}`);
    t.throws(() => buildUdpFrame({ ...SPEC, dstMac: mac }), { instanceOf: RangeError, message: /not a MAC address/ }, `dst ${mac}`);
  }
});

test('bad IPv4 addresses throw RangeError naming the address', (t) => {
  for (const ip of ['198.18.0', '198.18.0.256', '198.18.0.-1', '198.18.0.1.5', 'a.b.c.d', '198.18.0.1.', '1.2.3.4.5']) {
    t.throws(() => buildUdpFrame({ ...SPEC, srcIp: ip }), { instanceOf: RangeError, message: /not an IPv4 address/ }, `src ${ip}`);
    t.throws(() => buildUdpFrame({ ...SPEC, dstIp: ip }), { instanceOf: RangeError, message: /not an IPv4 address/ }, `dst ${ip}`);
  }
});

// Known bug (reported, not fixed here): ipBytes() in ground/frame.ts maps each part through Number(),
// so an empty octet becomes 0 and hex/exponent notation is accepted ("198.18.0." -> 198.18.0.0,
// "0x10.0.0.1" -> 16.0.0.1). `test.failing` turns green-to-red once the parser is made strict.
test('malformed dotted quads with empty, hex or exponent octets are rejected', (t) => {
  for (const ip of ['198.18.0.', '198..0.1', '0x10.0.0.1', '1e2.0.0.1']) {
    t.throws(() => buildUdpFrame({ ...SPEC, srcIp: ip }), { instanceOf: RangeError }, ip);
  }
});

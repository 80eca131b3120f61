/* Classic microsecond pcap, read with pcap-parser (every way a file can be
 * broken is a PcapError naming where reading stopped), and its frames decoded
 * as far as the verifier needs: Ethernet (802.1Q too), IPv4, UDP/TCP ports
 * and payload. A nanosecond pcap or a pcapng file gets an error that says so. */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import pcapParser from 'pcap-parser';
import { BenchError, EXIT } from '../ground/errors.ts';

export type PcapErrorReason =
  | 'empty'
  | 'pcapng'
  | 'nanosecond'
  | 'bad-magic'
  | 'bad-version'
  | 'truncated-header'
  | 'truncated-record'
  | 'bad-record'
  | 'unsupported-link-type';

/** A capture file that is not a complete classic microsecond pcap; `offset` is where reading stopped. */
export class PcapError extends BenchError {
  readonly reason: PcapErrorReason;
  readonly source: string;
  readonly offset: number;
  constructor(source: string, reason: PcapErrorReason, offset: number, detail: string) {
    super(`${source}: not a usable pcap (${reason} at byte ${offset}): ${detail}`, EXIT.runFailure);
    this.reason = reason;
    this.source = source;
    this.offset = offset;
  }
}

export interface PcapRecord {
  tsSec: number;
  tsUsec: number;
  capturedLength: number;
  /** Length on the wire as the capture saw it (without FCS). */
  originalLength: number;
  data: Buffer;
}

export interface PcapFile {
  source: string;
  endianness: 'LE' | 'BE';
  snapLenBytes: number;
  /** 1 = Ethernet (DLT_EN10MB), the only link type the verifier decodes. */
  linkType: number;
  records: PcapRecord[];
}

const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const LINKTYPE_ETHERNET = 1;
const MAX_RECORD_BYTES = 262_144;

/** Reads a whole classic pcap (file path or bytes); every way it can be broken is a PcapError. */
export async function readPcap(input: string | Buffer, label?: string): Promise<PcapFile> {
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  const source = label ?? (typeof input === 'string' ? input : 'pcap buffer');
  if (bytes.length === 0) throw new PcapError(source, 'empty', 0, 'the file is empty (did the capture start?)');
  const magic = bytes.length >= 4 ? bytes.toString('hex', 0, 4) : '';
  if (magic === '0a0d0d0a') throw new PcapError(source, 'pcapng', 0, 'this is pcapng; capture with tcpdump -w (classic pcap), not dumpcap/tshark defaults');
  if (magic === 'a1b23c4d' || magic === '4d3cb2a1') {
    throw new PcapError(source, 'nanosecond', 0, 'nanosecond-resolution pcap; pcap-parser reads microsecond pcap only (tcpdump --time-stamp-precision micro)');
  }
  if (bytes.length < GLOBAL_HEADER_BYTES) {
    throw new PcapError(source, 'truncated-header', 0, `${bytes.length} bytes, shorter than the ${GLOBAL_HEADER_BYTES}-byte pcap header`);
  }
  if (magic !== 'a1b2c3d4' && magic !== 'd4c3b2a1') {
    throw new PcapError(source, 'bad-magic', 0, `magic number 0x${magic} is not a pcap's (0xa1b2c3d4)`);
  }

  return new Promise<PcapFile>((resolve, reject) => {
    let settled = false;
    let offset = 0;
    let header: pcapParser.GlobalHeader | undefined;
    let pending: pcapParser.PacketHeader | undefined;
    const records: PcapRecord[] = [];
    const settle = (error: PcapError | null) => {
      if (settled) return;
      settled = true;
      stream.destroy();
      if (error) reject(error);
      else resolve({ source, endianness: magic === 'a1b2c3d4' ? 'BE' : 'LE', snapLenBytes: header!.snapshotLength, linkType: header!.linkLayerType, records });
    };
    const stream = Readable.from([bytes], { objectMode: true });
    const parser = pcapParser.parse(stream);
    parser.on('globalHeader', (h) => {
      header = h;
      offset = GLOBAL_HEADER_BYTES;
      if (h.majorVersion !== 2 || h.minorVersion !== 4) {
        settle(new PcapError(source, 'bad-version', 4, `version ${h.majorVersion}.${h.minorVersion}, expected 2.4`));
      } else if (h.linkLayerType !== LINKTYPE_ETHERNET) {
        settle(new PcapError(source, 'unsupported-link-type', 20, `link type ${h.linkLayerType}; only Ethernet (1) is decoded (capture on the veth itself, not "any")`));
      }
    });
    parser.on('packetHeader', (h) => {
      const limit = Math.min(MAX_RECORD_BYTES, Math.max(header?.snapshotLength ?? MAX_RECORD_BYTES, 1));
      if (h.capturedLength > limit || h.capturedLength > h.originalLength || h.timestampMicroseconds >= 1_000_000) {
        settle(new PcapError(source, 'bad-record', offset,
          `record ${records.length}: captured ${h.capturedLength} of ${h.originalLength} bytes, microseconds ${h.timestampMicroseconds} (snap length ${header?.snapshotLength})`));
        return;
      }
      pending = h;
    });
    parser.on('packetData', (data: Buffer) => {
      if (settled || !pending) return;
      records.push({ tsSec: pending.timestampSeconds, tsUsec: pending.timestampMicroseconds, capturedLength: pending.capturedLength, originalLength: pending.originalLength, data: Buffer.from(data) });
      offset += RECORD_HEADER_BYTES + pending.capturedLength;
      pending = undefined;
    });
    parser.on('error', (error: Error) => settle(new PcapError(source, 'bad-magic', 0, error.message)));
    parser.on('end', () => {
      if (settled) return;
      if (!header) return settle(new PcapError(source, 'truncated-header', 0, 'no complete pcap header'));
      if (offset !== bytes.length) {
        const what = pending
          ? `record ${records.length} announces ${pending.capturedLength} bytes, ${bytes.length - offset - RECORD_HEADER_BYTES} left`
          : `${bytes.length - offset} stray bytes after record ${records.length - 1} (a record header is ${RECORD_HEADER_BYTES})`;
        return settle(new PcapError(source, 'truncated-record', offset, `the file ends inside a record: ${what}`));
      }
      settle(null);
    });
  });
}

/* ---- decoding ---- */

export type FrameProtocol = 'udp' | 'tcp' | 'icmp' | 'ipv4-other' | 'ipv6' | 'arp' | 'other' | 'truncated';

export interface DecodedFrame {
  index: number;
  /** On-the-wire length without FCS (the record's original length). */
  lengthBytes: number;
  dstMac: string;
  srcMac: string;
  etherType: number;
  protocol: FrameProtocol;
  ipv4?: { src: string; dst: string; id: number; protocol: number };
  /** UDP/TCP ports and the L4 payload bytes that were captured. */
  l4?: { srcPort: number; dstPort: number; payload: Buffer };
}

const mac = (b: Buffer, at: number) => [...b.subarray(at, at + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
const ip4 = (b: Buffer, at: number) => [...b.subarray(at, at + 4)].join('.');

export function decodeEthernet(data: Buffer, originalLength: number, index = 0): DecodedFrame {
  const base = { index, lengthBytes: originalLength };
  if (data.length < 14) return { ...base, dstMac: '', srcMac: '', etherType: 0, protocol: 'truncated' };
  let etherType = data.readUInt16BE(12);
  let l3 = 14;
  if (etherType === 0x8100 && data.length >= 18) {
    etherType = data.readUInt16BE(16);
    l3 = 18;
  }
  const frame: DecodedFrame = { ...base, dstMac: mac(data, 0), srcMac: mac(data, 6), etherType, protocol: 'other' };
  if (etherType === 0x0806) return { ...frame, protocol: 'arp' };
  if (etherType === 0x86dd) return { ...frame, protocol: 'ipv6' };
  if (etherType !== 0x0800) return frame;
  if (data.length < l3 + 20) return { ...frame, protocol: 'truncated' };
  const ihl = (data[l3]! & 0x0f) * 4;
  const proto = data[l3 + 9]!;
  frame.ipv4 = { src: ip4(data, l3 + 12), dst: ip4(data, l3 + 16), id: data.readUInt16BE(l3 + 4), protocol: proto };
  const l4 = l3 + ihl;
  frame.protocol = proto === 17 ? 'udp' : proto === 6 ? 'tcp' : proto === 1 ? 'icmp' : 'ipv4-other';
  if ((proto === 17 || proto === 6) && data.length >= l4 + 4) {
    const payloadAt = proto === 17 ? l4 + 8 : l4 + ((data[l4 + 12] ?? 0x50) >> 4) * 4;
    frame.l4 = { srcPort: data.readUInt16BE(l4), dstPort: data.readUInt16BE(l4 + 2), payload: data.subarray(Math.min(payloadAt, data.length)) };
  }
  return frame;
}

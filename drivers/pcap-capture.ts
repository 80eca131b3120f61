/* Traffic verification from captures: a bounded tcpdump sample on the
 * generator side (run inside its netns through `xdpb exec`), read with
 * pcap-parser, and checked against what the scenario says was sent and should
 * have come back: frame sizes, protocol, distinct flows, reflected frames
 * really swapped.
 *
 * What tcpdump can see on veth (measured, kernel 6.18): frames that go through
 * the stack (the latency prober's probes, the replies the generator side's
 * XDP program passes on). It sees nothing an XDP program handles: frames sent
 * by the live-frame generator (XDP_TX out of gen0) and frames a sink program
 * on gen0 drops never reach the capture taps. For those, pass the frames the
 * generator sends as `requestTemplates` and check what comes back.
 *
 * pcap-parser reads classic microsecond pcap only: the capture asks for it
 * explicitly (`--time-stamp-precision micro`, the default of tcpdump -w), and
 * a nanosecond pcap or a pcapng file gets an error that says so. */
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import pcapParser from 'pcap-parser';
import { BenchError, CommandError, EXIT } from '../ground/errors.ts';
import { XDPB_HELPER } from '../ground/paths.ts';

/* ---- capture ---- */

export interface CaptureOptions {
  netns: string;
  dev: string;
  /** Output file (classic microsecond pcap). */
  file: string;
  /** tcpdump stops by itself after this many frames (-c). */
  maxFrames: number;
  /** Bytes kept per frame (-s, default 256: headers and the probe payload). */
  snapLenBytes?: number;
  /** Which frames: received, sent, or both (-Q, default both). */
  direction?: 'in' | 'out' | 'inout';
  /** A pcap filter expression, one argv element per word (e.g. ['udp']). */
  filter?: string[];
}

export function tcpdumpArgv(o: CaptureOptions): string[] {
  if (!Number.isInteger(o.maxFrames) || o.maxFrames < 1) throw new RangeError(`maxFrames must be a positive integer, got ${o.maxFrames}`);
  return [XDPB_HELPER, 'exec', '--netns', o.netns, '--',
    'tcpdump', '-i', o.dev, '-n', '-p',
    '-U', // packet-buffered: a stop at any moment leaves whole records
    '--immediate-mode', // hand each frame to tcpdump at once: a TPACKET_V3 block would hold them until it times out, and a stop loses them
    '-Z', 'root', // Debian's tcpdump drops to user tcpdump, which may not write into a private scratch dir
    '-c', String(o.maxFrames), '-s', String(o.snapLenBytes ?? 256),
    '--time-stamp-precision', 'micro', '-Q', o.direction ?? 'inout',
    '-w', o.file, ...(o.filter ?? [])];
}

export interface TcpdumpStats {
  captured: number;
  receivedByFilter: number;
  droppedByKernel: number;
}

/** tcpdump's closing lines on stderr ("N packets captured" ...); null when it printed none (killed). */
export function parseTcpdumpStats(stderr: string): TcpdumpStats | null {
  const num = (re: RegExp) => {
    const m = re.exec(stderr);
    return m ? Number(m[1]) : null;
  };
  const captured = num(/^(\d+) packets? captured$/m);
  const receivedByFilter = num(/^(\d+) packets? received by filter$/m);
  const droppedByKernel = num(/^(\d+) packets? dropped by kernel$/m);
  if (captured === null || receivedByFilter === null || droppedByKernel === null) return null;
  return { captured, receivedByFilter, droppedByKernel };
}

export interface CaptureResult {
  file: string;
  stats: TcpdumpStats | null;
  /** count: -c reached; stop: stop() was called; timeout: the time bound ended it. */
  endedBy: 'count' | 'stop' | 'timeout';
  durationMs: number;
  /** tcpdump's own words ("listening on ...", the closing counts). */
  stderr: string;
}

export interface RunningCapture {
  /** Ends the capture now (SIGINT, tcpdump flushes; SIGKILL after 3 s) and returns what it wrote. */
  stop(): Promise<CaptureResult>;
  readonly finished: Promise<CaptureResult>;
}

/** tcpdump could not start or ended badly. */
export class CaptureError extends BenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`capture: ${message}`, EXIT.runFailure, options);
  }
}

/**
 * Starts tcpdump and resolves once it is listening (bounded by readyTimeoutMs),
 * so traffic sent afterwards is in the sample. The capture ends by itself at
 * maxFrames or after timeoutMs, whichever comes first.
 */
export async function startCapture(o: CaptureOptions & { timeoutMs: number; readyTimeoutMs?: number }): Promise<RunningCapture> {
  const argv = tcpdumpArgv(o);
  const started = performance.now();
  const child = execa(argv[0]!, argv.slice(1), { reject: false, buffer: true, stdin: 'ignore' });
  let endedBy: CaptureResult['endedBy'] = 'count';
  let killTimer: NodeJS.Timeout | undefined;
  const interrupt = (why: CaptureResult['endedBy']) => {
    if (child.exitCode !== null) return;
    endedBy = why;
    child.kill('SIGINT');
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), 3000);
  };
  const bound = setTimeout(() => interrupt('timeout'), o.timeoutMs);
  const finished = child.then((r): CaptureResult => {
    clearTimeout(bound);
    if (killTimer) clearTimeout(killTimer);
    const stderr = String(r.stderr ?? '');
    // tcpdump exits 0 on -c and on SIGINT (it catches it); anything else is a failure.
    if (r.exitCode !== 0) {
      throw new CommandError(argv, r.exitCode ?? null, stderr || String(r.signal ?? ''), performance.now() - started);
    }
    return { file: o.file, stats: parseTcpdumpStats(stderr), endedBy, durationMs: performance.now() - started, stderr };
  });
  finished.catch(() => undefined); // observed by whoever awaits it

  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const fail = (why: string) => {
      clearTimeout(readyTimer);
      interrupt('stop');
      reject(new CaptureError(`${why}${seen.trim() ? `: ${seen.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
    };
    const readyTimer = setTimeout(() => fail(`tcpdump did not start listening within ${o.readyTimeoutMs ?? 5000} ms`), o.readyTimeoutMs ?? 5000);
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (/listening on /.test(seen)) {
        clearTimeout(readyTimer);
        resolve();
      }
    });
    finished.then(
      () => fail('tcpdump ended before it was listening'),
      (error: unknown) => {
        clearTimeout(readyTimer);
        reject(new CaptureError((error as Error).message, { cause: error }));
      },
    );
  });

  return {
    finished,
    async stop() {
      interrupt('stop');
      return finished;
    },
  };
}

/* ---- reading classic pcap with pcap-parser ---- */

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

/* ---- verification ---- */

export interface CaptureExpectation {
  /** MAC of the capturing interface: frames from it are "sent", all others "received". */
  localMac: string;
  /** Length without FCS that every sent frame (and every reflected reply) must have. */
  frameBytes?: number;
  /** Protocol every sent and received IPv4 frame must have. */
  protocol?: 'udp' | 'tcp' | 'icmp';
  /** Distinct 5-tuples among sent frames (or, when none was visible, among the replies): exact or a range. */
  flows?: number | { min: number; max: number };
  /** Received frames must be the requests with MACs, IPv4 addresses and ports swapped. */
  reflected?: boolean;
  /** Frames the generator sends that the capture cannot see (XDP live frames): replies are also matched against these. */
  requestTemplates?: Buffer[];
  /** At least this many frames of interest (IPv4) in the sample. */
  minFrames?: number;
}

export interface ReflectionCheck {
  /** Replies paired with a request (same IPv4 id and payload, or a template). */
  matched: number;
  swapped: number;
  notSwapped: number;
  /** Replies with no request to compare with. */
  unmatched: number;
  /** Frames from this interface seen twice: a request that came back unchanged. */
  echoedUnchanged: number;
}

export interface CaptureVerdict {
  ok: boolean;
  /** One sentence per way the capture disagrees with the scenario. */
  mismatches: string[];
  frames: number;
  /** IPv6 neighbour discovery, ARP and the like: not checked. */
  ignored: number;
  sent: number;
  received: number;
  /** Length -> count, per direction. */
  sentSizes: Record<string, number>;
  receivedSizes: Record<string, number>;
  protocols: Record<string, number>;
  sentFlows: number;
  receivedFlows: number;
  reflection: ReflectionCheck | null;
}

const flowKey = (f: DecodedFrame) => `${f.protocol} ${f.ipv4!.src}:${f.l4?.srcPort ?? '-'} > ${f.ipv4!.dst}:${f.l4?.dstPort ?? '-'}`;
const pairKey = (f: DecodedFrame) => `${f.ipv4!.id}/${f.lengthBytes}/${f.l4?.payload.toString('hex') ?? ''}`;

function swapDifferences(req: DecodedFrame, rep: DecodedFrame, templatePorts = false): string[] {
  const diff: string[] = [];
  if (rep.srcMac !== req.dstMac || rep.dstMac !== req.srcMac) diff.push(`MACs ${rep.srcMac} > ${rep.dstMac}`);
  if (rep.ipv4!.src !== req.ipv4!.dst || rep.ipv4!.dst !== req.ipv4!.src) diff.push(`IPs ${rep.ipv4!.src} > ${rep.ipv4!.dst}`);
  if (req.l4 && rep.l4) {
    // The live generator varies the source port upward from the template's: a template only fixes the lower bound.
    const dstOk = templatePorts ? rep.l4.dstPort >= req.l4.srcPort : rep.l4.dstPort === req.l4.srcPort;
    if (rep.l4.srcPort !== req.l4.dstPort || !dstOk) diff.push(`ports ${rep.l4.srcPort} > ${rep.l4.dstPort}`);
  }
  return diff;
}

function inc(rec: Record<string, number>, key: string | number) {
  rec[key] = (rec[key] ?? 0) + 1;
}

const describeCounts = (rec: Record<string, number>) => Object.entries(rec).map(([k, v]) => `${k}: ${v}`).join(', ');

export function verifyCapture(pcap: PcapFile, e: CaptureExpectation): CaptureVerdict {
  const local = e.localMac.toLowerCase();
  const all = pcap.records.map((r, i) => decodeEthernet(r.data, r.originalLength, i));
  const ipv4 = all.filter((f) => f.ipv4);
  const sent = ipv4.filter((f) => f.srcMac === local);
  const received = ipv4.filter((f) => f.srcMac !== local);
  const v: CaptureVerdict = {
    ok: true,
    mismatches: [],
    frames: all.length,
    ignored: all.length - ipv4.length,
    sent: sent.length,
    received: received.length,
    sentSizes: {},
    receivedSizes: {},
    protocols: {},
    sentFlows: new Set(sent.map(flowKey)).size,
    receivedFlows: new Set(received.map(flowKey)).size,
    reflection: null,
  };
  for (const f of sent) inc(v.sentSizes, f.lengthBytes);
  for (const f of received) inc(v.receivedSizes, f.lengthBytes);
  for (const f of ipv4) inc(v.protocols, f.protocol);

  if (e.minFrames !== undefined && ipv4.length < e.minFrames) {
    v.mismatches.push(`the sample has ${ipv4.length} IPv4 frames, expected at least ${e.minFrames}`);
  }
  if (e.frameBytes !== undefined) {
    const checked = e.reflected ? ipv4 : sent;
    const off = checked.filter((f) => f.lengthBytes !== e.frameBytes);
    if (off.length) {
      const sizes: Record<string, number> = {};
      for (const f of off) inc(sizes, f.lengthBytes);
      v.mismatches.push(`${off.length} of ${checked.length} frames are not ${e.frameBytes} bytes (${describeCounts(sizes)})`);
    }
  }
  if (e.protocol !== undefined) {
    const off = ipv4.filter((f) => f.protocol !== e.protocol);
    if (off.length) {
      const protos: Record<string, number> = {};
      for (const f of off) inc(protos, f.protocol);
      v.mismatches.push(`${off.length} of ${ipv4.length} IPv4 frames are not ${e.protocol.toUpperCase()} (${describeCounts(protos)})`);
    }
  }
  if (e.flows !== undefined) {
    const [min, max] = typeof e.flows === 'number' ? [e.flows, e.flows] : [e.flows.min, e.flows.max];
    const basis = sent.length ? 'sent' : 'reflected';
    const n = sent.length ? v.sentFlows : v.receivedFlows;
    if (n < min || n > max) v.mismatches.push(`${n} distinct ${basis} flows (5-tuples), expected ${min === max ? min : `${min}..${max}`}`);
  }
  if (e.reflected) {
    const templates = (e.requestTemplates ?? []).map((t, i) => decodeEthernet(t, t.length, -1 - i)).filter((t) => t.ipv4);
    const requests = new Map<string, DecodedFrame>();
    const check: ReflectionCheck = { matched: 0, swapped: 0, notSwapped: 0, unmatched: 0, echoedUnchanged: 0 };
    for (const f of sent) {
      if (requests.has(pairKey(f))) check.echoedUnchanged++;
      else requests.set(pairKey(f), f);
    }
    const examples: string[] = [];
    for (const rep of received) {
      let req = requests.get(pairKey(rep));
      let viaTemplate = false;
      if (!req) {
        req = templates.find((t) => t.lengthBytes === rep.lengthBytes && t.protocol === rep.protocol && t.l4?.payload.equals(rep.l4?.payload ?? Buffer.alloc(0)));
        viaTemplate = req !== undefined;
      }
      if (!req) {
        check.unmatched++;
        continue;
      }
      check.matched++;
      const diff = swapDifferences(req, rep, viaTemplate);
      if (diff.length) {
        check.notSwapped++;
        if (examples.length < 3) examples.push(`frame ${rep.index}: ${diff.join(', ')}`);
      } else {
        check.swapped++;
      }
    }
    v.reflection = check;
    if (received.length === 0) v.mismatches.push('no reflected frame came back in the sample');
    else if (check.matched === 0) v.mismatches.push(`none of the ${received.length} received frames matches a request`);
    if (check.notSwapped) v.mismatches.push(`${check.notSwapped} of ${check.matched} replies are not the request swapped (${examples.join('; ')})`);
    if (check.echoedUnchanged) v.mismatches.push(`${check.echoedUnchanged} requests came back unchanged (source MAC still this interface's)`);
  }
  v.ok = v.mismatches.length === 0;
  return v;
}

/** Reads and verifies in one step; a broken file is a PcapError, a disagreement a verdict with ok: false. */
export async function verifyCaptureFile(file: string, e: CaptureExpectation): Promise<CaptureVerdict> {
  return verifyCapture(await readPcap(file), e);
}

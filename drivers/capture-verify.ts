/* A capture sample checked against what the scenario says was sent and
 * should have come back: frame sizes, protocol, distinct flows, reflected
 * frames really swapped (drivers/pcap-capture.ts takes the sample). */
import { decodeEthernet, readPcap, type DecodedFrame, type PcapFile } from './pcap-file.ts';

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

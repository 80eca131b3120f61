/* Builds the Ethernet/IPv4/UDP test frame every generator sends. */

export interface FrameSpec {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** On-the-wire frame size including the 4-byte FCS (the usual "64-byte packet"). */
  pktSizeBytes: number;
}

export const FCS_BYTES = 4;
export const MIN_PKT_SIZE_BYTES = 64;
export const MAX_PKT_SIZE_BYTES = 1518;

function macBytes(mac: string): number[] {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new RangeError(`not a MAC address: ${mac}`);
  return parts.map((p) => parseInt(p, 16));
}

function ipBytes(ip: string): number[] {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new RangeError(`not an IPv4 address: ${ip}`);
  const parts = ip.split('.').map(Number);
  if (parts.some((p) => p > 255)) throw new RangeError(`not an IPv4 address: ${ip}`);
  return parts;
}

export function ipv4HeaderChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += (header[i]! << 8) | header[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The frame as handed to the device: pktSizeBytes minus the FCS the NIC would add. */
export function buildUdpFrame(spec: FrameSpec): Buffer {
  if (!Number.isInteger(spec.pktSizeBytes) || spec.pktSizeBytes < MIN_PKT_SIZE_BYTES || spec.pktSizeBytes > MAX_PKT_SIZE_BYTES) {
    throw new RangeError(`packet size must be an integer ${MIN_PKT_SIZE_BYTES}..${MAX_PKT_SIZE_BYTES} bytes, got ${spec.pktSizeBytes}`);
  }
  const len = spec.pktSizeBytes - FCS_BYTES;
  const f = Buffer.alloc(len);
  f.set(macBytes(spec.dstMac), 0);
  f.set(macBytes(spec.srcMac), 6);
  f.writeUInt16BE(0x0800, 12);
  const ipLen = len - 14;
  const ip = 14;
  f[ip] = 0x45;
  f.writeUInt16BE(ipLen, ip + 2);
  f[ip + 8] = 64; // TTL
  f[ip + 9] = 17; // UDP
  f.set(ipBytes(spec.srcIp), ip + 12);
  f.set(ipBytes(spec.dstIp), ip + 16);
  f.writeUInt16BE(ipv4HeaderChecksum(f.subarray(ip, ip + 20)), ip + 10);
  const udp = ip + 20;
  f.writeUInt16BE(spec.srcPort, udp);
  f.writeUInt16BE(spec.dstPort, udp + 2);
  f.writeUInt16BE(ipLen - 20, udp + 4);
  // UDP checksum 0: "none", valid for IPv4; payload stays zero.
  return f;
}

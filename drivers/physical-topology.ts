/* Topology `physical`: existing interfaces, used as they are. This module
 * only reads: link state and queue counts (`ip -d -j link show`), driver and
 * firmware (`ethtool -i`), channels (`ethtool -l`), link speed (`ethtool`),
 * XDP features where ip(8) reports them. It never creates, deletes or
 * changes an interface. Every field is recorded in the results. */
import type { Exec } from './host-exec.ts';

export interface DriverInfo {
  driver: string;
  version: string | null;
  firmwareVersion: string | null;
  busInfo: string | null;
}

/** `ethtool -l`: null = the driver reports n/a for that kind. */
export interface ChannelCounts {
  rx: number | null;
  tx: number | null;
  other: number | null;
  combined: number | null;
}

export interface Channels {
  max: ChannelCounts;
  current: ChannelCounts;
}

export interface AttachedXdp {
  /** ip(8)'s mode word: xdp (native), xdpgeneric, xdpoffload, xdpmulti. */
  mode: string;
  progId: number | null;
  progName: string | null;
}

/** A reading that the tool could not give: the value is null and `note` says why. */
export interface Reading<T> {
  value: T | null;
  note: string | null;
}

/** The link's facts plus what ethtool reports; a reading ethtool could not give says why. */
export interface PhysicalInterface extends Omit<LinkFacts, 'xdpFeatures'> {
  driver: Reading<DriverInfo>;
  channels: Reading<Channels>;
  linkSpeedMbps: Reading<number>;
  xdpFeatures: Reading<string[]>;
}

/** The read-only commands of a probe, in order (pure: for tests, --dry-run and the fixture capture). */
export function probeCommands(ifname: string): { link: string[]; driver: string[]; channels: string[]; settings: string[] } {
  checkIfname(ifname);
  return {
    link: ['ip', '-d', '-j', 'link', 'show', 'dev', ifname],
    driver: ['ethtool', '-i', ifname],
    channels: ['ethtool', '-l', ifname],
    settings: ['ethtool', ifname],
  };
}

export function checkIfname(ifname: string): void {
  // IFNAMSIZ 16 with the NUL; no "/", whitespace or ":"; never an option.
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,14}$/.test(ifname)) throw new TypeError(`not an interface name: ${JSON.stringify(ifname)}`);
}

/* ---- parsers (tested against captured output) ---- */

type Json = Record<string, unknown>;

export interface LinkFacts {
  ifindex: number;
  ifname: string;
  macAddress: string | null;
  mtuBytes: number;
  /** Kernel operstate: UP, DOWN, LOWERLAYERDOWN, UNKNOWN, ... */
  operState: string;
  adminUp: boolean;
  /** Carrier (LOWER_UP). */
  carrier: boolean;
  /** linkinfo.info_kind: veth, bridge, ...; null for a plain NIC driver. */
  linkKind: string | null;
  parentBus: string | null;
  parentDev: string | null;
  numTxQueues: number | null;
  numRxQueues: number | null;
  /** Programs already attached (someone else's, or a leftover): a run refuses to start over them. */
  attachedXdp: AttachedXdp[];
  xdpFeatures: string[] | null;
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function parseAttachedXdp(link: Json): AttachedXdp[] {
  const xdp = link.xdp as Json | undefined;
  if (!xdp || typeof xdp !== 'object') return [];
  const modeWord = (m: unknown): string => (({ 1: 'xdp', 2: 'xdpgeneric', 3: 'xdpoffload', 4: 'xdpmulti' }) as Record<number, string>)[Number(m)] ?? `mode ${String(m)}`;
  const progOf = (p: unknown) => (p && typeof p === 'object' ? (p as Json) : {});
  if (Array.isArray(xdp.attached)) {
    return xdp.attached.map((a: Json) => ({ mode: modeWord(a.mode), progId: numOrNull(progOf(a.prog).id), progName: strOrNull(progOf(a.prog).name) }));
  }
  const prog = progOf(xdp.prog);
  return [{ mode: modeWord(xdp.mode), progId: numOrNull(prog.id), progName: strOrNull(prog.name) }];
}

/** `ip -d -j link show dev X` -> the link's facts. */
export function parseIpLink(stdout: string, ifname: string): LinkFacts {
  let list: unknown;
  try {
    list = JSON.parse(stdout);
  } catch {
    throw new Error(`ip -d -j link show dev ${ifname} printed something that is not JSON: ${stdout.slice(0, 120)}`);
  }
  // The user may name the interface by an altname: ip(8) resolves it, and lists the link under its own name.
  const link = (Array.isArray(list) ? list : []).find((l: Json) => l.ifname === ifname || (Array.isArray(l.altnames) && l.altnames.includes(ifname))) as Json | undefined;
  if (!link) throw new Error(`ip -d -j link show dev ${ifname} did not list ${ifname}`);
  const flags = Array.isArray(link.flags) ? (link.flags as string[]) : [];
  const linkinfo = link.linkinfo as Json | undefined;
  // iproute2 versions that report XDP features print them as a list; this one (6.1) does not.
  const featuresRaw = link.xdp_features ?? link['xdp-features'] ?? (link.xdp as Json | undefined)?.features;
  return {
    ifindex: Number(link.ifindex),
    ifname,
    macAddress: strOrNull(link.address),
    mtuBytes: Number(link.mtu),
    operState: String(link.operstate ?? 'UNKNOWN'),
    adminUp: flags.includes('UP'),
    carrier: flags.includes('LOWER_UP'),
    linkKind: strOrNull(linkinfo?.info_kind),
    parentBus: strOrNull(link.parentbus),
    parentDev: strOrNull(link.parentdev),
    numTxQueues: numOrNull(link.num_tx_queues),
    numRxQueues: numOrNull(link.num_rx_queues),
    attachedXdp: parseAttachedXdp(link),
    xdpFeatures: Array.isArray(featuresRaw) ? featuresRaw.map(String) : null,
  };
}

/** `key: value` lines (ethtool -i). */
function keyValues(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return m;
}

export function parseEthtoolDriver(stdout: string): DriverInfo {
  const kv = keyValues(stdout);
  const driver = kv.get('driver');
  if (!driver) throw new Error(`ethtool -i printed no driver line: ${stdout.slice(0, 120)}`);
  return {
    driver,
    version: strOrNull(kv.get('version')),
    firmwareVersion: strOrNull(kv.get('firmware-version')),
    busInfo: strOrNull(kv.get('bus-info')),
  };
}

export function parseEthtoolChannels(stdout: string): Channels {
  const pre = stdout.indexOf('Pre-set maximums:');
  const cur = stdout.indexOf('Current hardware settings:');
  if (pre < 0 || cur < 0) throw new Error(`ethtool -l: no channel sections in: ${stdout.slice(0, 120)}`);
  const counts = (text: string): ChannelCounts => {
    const kv = keyValues(text);
    const n = (k: string) => {
      const v = kv.get(k);
      return v === undefined || !/^\d+$/.test(v) ? null : Number(v);
    };
    return { rx: n('rx'), tx: n('tx'), other: n('other'), combined: n('combined') };
  };
  return { max: counts(stdout.slice(pre, cur)), current: counts(stdout.slice(cur)) };
}

/** `ethtool X`: "Speed: 10000Mb/s" -> 10000; "Unknown!" -> null. */
export function parseEthtoolSpeedMbps(stdout: string): number | null {
  const m = /^\s*Speed:\s*(\d+)\s*Mb\/s/m.exec(stdout);
  return m ? Number(m[1]) : null;
}

/** ethtool's answer when the driver does not implement the query. */
export function isNotSupported(stderr: string): boolean {
  return /Operation not supported|not supported/i.test(stderr);
}

/* ---- the probe ---- */

async function reading<T>(exec: Exec, argv: string[], parse: (stdout: string) => T | null, what: string): Promise<Reading<T>> {
  // ethtool: exit 1 (netlink) or 71 (ioctl) with "Operation not supported" when the driver lacks the query.
  const out = await exec(argv, { okExitCodes: [0, 1, 71, 75, 76], timeoutMs: 15_000 });
  if (out.exitCode !== 0) {
    const why = out.stderr.trim().split('\n').pop() ?? `exit ${out.exitCode}`;
    return { value: null, note: isNotSupported(out.stderr) ? `${what}: not supported by the driver (${why})` : `${what}: ${why}` };
  }
  const value = parse(out.stdout);
  return { value, note: value === null ? `${what}: not reported` : null };
}

/** Reads everything about an existing interface; changes nothing. */
export async function probePhysicalInterface(exec: Exec, ifname: string): Promise<PhysicalInterface> {
  const cmds = probeCommands(ifname);
  const link = parseIpLink((await exec(cmds.link, { timeoutMs: 15_000 })).stdout, ifname);
  const driver = await reading(exec, cmds.driver, parseEthtoolDriver, 'ethtool -i');
  const channels = await reading(exec, cmds.channels, parseEthtoolChannels, 'ethtool -l');
  const linkSpeedMbps = await reading(exec, cmds.settings, parseEthtoolSpeedMbps, 'link speed');
  const { xdpFeatures, ...facts } = link;
  return {
    ...facts,
    driver,
    channels,
    linkSpeedMbps,
    xdpFeatures: xdpFeatures
      ? { value: xdpFeatures, note: null }
      : { value: null, note: 'XDP features: not reported by ip(8) here (the kernel gives them over the netdev netlink family)' },
  };
}

/** Why this interface is not ready for a run (empty: ready). */
export function physicalProblems(p: PhysicalInterface): string[] {
  const problems: string[] = [];
  if (!p.adminUp) problems.push(`${p.ifname} is administratively down: ip link set ${p.ifname} up`);
  else if (!p.carrier) problems.push(`${p.ifname} has no carrier (operstate ${p.operState}): check the cable or the peer`);
  for (const a of p.attachedXdp) {
    problems.push(`${p.ifname} already has an XDP program attached (${a.mode}, id ${a.progId ?? '?'}${a.progName ? `, ${a.progName}` : ''}): detach it first`);
  }
  return problems;
}

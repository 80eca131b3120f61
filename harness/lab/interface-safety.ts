/* Safety of the `physical` topology: never attach an XDP program to an
 * interface that carries a host's management traffic (an XDP_DROP there cuts
 * the host off), unless the user forces it for that interface by name.
 *
 * Management traffic is: a default route (any table, multipath hops too); a
 * route so wide no LAN has it (a split default like 0.0.0.0/1 + 128.0.0.0/1,
 * as VPNs install: prefix /SPLIT_DEFAULT_MAX_PREFIX or shorter); and every SSH
 * session into the host, found from the sockets themselves (`ss`, not the
 * SSH_CONNECTION variable, which sudo removes): the interface holding the
 * session's address and the one routing back to its peer (`ip route get`).
 * Bridge/bond ports and the lower device of a VLAN/macvlan carrying such
 * traffic are protected too. Interfaces are matched by name or altname. */
import { BenchError, EXIT } from '../../ground/errors.ts';
import { localExec, type Exec } from '../../drivers/host-exec.ts';
import { IP_COMMANDS, ipRouteGetArgv, parseIpAddrs, parseIpLinks, parseIpRoutes, type IpRoute } from '../../drivers/ip-json.ts';
import { parseSshConnection, parseSshdSockets, SS_ESTABLISHED_ARGV, SSH_CONNECTION_ARGV } from '../../drivers/ssh-sessions.ts';

export interface ProtectedInterface {
  ifname: string;
  /** Its alternative names (`ip link property add ... altname`): naming one of them names this interface. */
  altnames: string[];
  /** "carries the IPv4 default route via 192.0.2.1", ... */
  reasons: string[];
}

/** What the safety check reads on a host: raw `ip -j` output, captured as is. */
export interface SafetyReadings {
  /** `ip -4 -j route show table all` (fixtures of older versions hold the default routes only) */
  routes4: string;
  /** `ip -6 -j route show table all` */
  routes6: string;
  /** `ip -j addr show` */
  addrs: string;
  /** `ip -d -j link show` */
  links: string;
  /** SSH_CONNECTION of the controlling session on that host ("client port server port"), or null. */
  sshConnection: string | null;
  /** `ip -j route get <ssh client address>`, or null. */
  routeToClient: string | null;
  /** `ss -Htnp state established`: the host's TCP sessions, with their processes (absent in older fixtures). */
  sockets?: string;
  /** `ip -j route get <peer>` for the peer of every SSH session in `sockets`. */
  routesToPeers?: Record<string, string>;
}

export const SAFETY_COMMANDS = { ...IP_COMMANDS, sshConnection: SSH_CONNECTION_ARGV, sockets: SS_ESTABLISHED_ARGV } as const;

/** A route this wide or wider is management traffic: no LAN is /7 (IPv4) or /15 (IPv6); halves and quarters of "the default" are. */
export const SPLIT_DEFAULT_MAX_PREFIX = { IPv4: 7, IPv6: 15 } as const;

export const routeGetArgv = ipRouteGetArgv;

/** "0.0.0.0/1" -> 1; "default" -> 0; a host route ("198.18.0.1") -> the full length; junk -> null. */
function prefixLengthOf(dst: string | null, family: 'IPv4' | 'IPv6'): number | null {
  if (dst === 'default') return 0;
  if (dst === null) return null;
  const m = /\/(\d{1,3})$/.exec(dst);
  return m ? Number(m[1]) : family === 'IPv4' ? 32 : 128;
}

/** Multicast destinations (224.0.0.0/4, ff00::/8: in every IPv6 local table) carry no management traffic. */
function isMulticastRoute(route: IpRoute): boolean {
  return route.type === 'multicast' || (route.dst !== null && /^(22[4-9]|23\d)\.|^ff/i.test(route.dst));
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

const STACKED_KINDS = ['vlan', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap'];

/** Pure: which interfaces are protected, and why. */
export function protectedInterfacesFrom(r: SafetyReadings): ProtectedInterface[] {
  const found = new Map<string, string[]>();
  const add = (ifname: string | null, reason: string) => {
    if (!ifname) return;
    const list = found.get(ifname) ?? [];
    if (!list.includes(reason)) list.push(reason);
    found.set(ifname, list);
  };
  for (const [family, text] of [['IPv4', r.routes4], ['IPv6', r.routes6]] as const) {
    for (const route of parseIpRoutes(text, `${family} routes`)) {
      // Unicast only: local, broadcast, multicast, blackhole, ... routes carry nothing off the host.
      if ((route.type !== null && route.type !== 'unicast') || isMulticastRoute(route)) continue;
      const length = prefixLengthOf(route.dst, family);
      if (length === null || length > SPLIT_DEFAULT_MAX_PREFIX[family]) continue;
      const table = route.table && route.table !== 'main' ? ` in table ${route.table}` : '';
      const via = (g: string | null) => (g !== null ? ` via ${g}` : '');
      const what = length === 0 ? `the ${family} default route` : `the route to ${route.dst}`;
      const why = length === 0 ? '' : ' (a split default route, as VPNs install: wider than any LAN)';
      add(route.dev, `carries ${what}${via(route.gateway)}${table}${why}`);
      for (const hop of route.nexthops) add(hop.dev, `carries ${what}${via(hop.gateway)}${table} (multipath)${why}`);
    }
  }
  const addrs = parseIpAddrs(r.addrs, 'ip -j addr show');
  const holderOf = (address: string) => addrs.filter((link) => link.localAddresses.some((a) => sameAddress(a, address))).map((link) => link.ifname);
  const session = (what: string, s: { localAddress: string; zone: string | null; peerAddress: string }, routeBack: string | null | undefined) => {
    if (s.zone) add(s.zone, `carries ${what}`);
    for (const ifname of holderOf(s.localAddress)) add(ifname, `holds the address ${s.localAddress} of ${what}`);
    for (const route of parseIpRoutes(routeBack ?? '', 'ip -j route get')) add(route.dev, `carries ${what} (the route back to ${s.peerAddress})`);
  };
  const env = parseSshConnection(r.sshConnection);
  if (env) session(`the SSH session from ${env.clientAddress} to ${env.localAddress}:${env.localPort}`, { ...env, peerAddress: env.clientAddress }, r.routeToClient);
  for (const s of parseSshdSockets(r.sockets ?? '')) {
    const sameAsEnv = env && sameAddress(env.clientAddress, s.peerAddress) && env.clientPort === s.peerPort && sameAddress(env.localAddress, s.localAddress) && env.localPort === s.localPort;
    if (sameAsEnv) continue; // said once, as the session the harness came in on
    session(`an SSH session from ${s.peerAddress} to ${s.localAddress}:${s.localPort} (sshd pid ${s.pid})`, s, r.routesToPeers?.[s.peerAddress]);
  }
  // Ports of a protected bridge/bond, and the lower device of a protected VLAN/macvlan, carry the same traffic.
  const links = parseIpLinks(r.links, 'ip -d -j link show');
  for (let round = 0; round < 8; round++) {
    let grew = false;
    for (const [ifname, reasons] of [...found]) {
      const main = reasons[0]!;
      for (const l of links) {
        if (l.master === ifname && l.ifname !== null && !found.has(l.ifname)) {
          add(l.ifname, `is a port of ${ifname}, which ${main}`);
          grew = true;
        }
      }
      const self = links.find((l) => l.ifname === ifname);
      if (self?.kind && STACKED_KINDS.includes(self.kind) && self.link !== null && !found.has(self.link)) {
        add(self.link, `is the lower device of ${ifname} (${self.kind}), which ${main}`);
        grew = true;
      }
    }
    if (!grew) break;
  }
  const altnamesOf = (ifname: string) => links.find((l) => l.ifname === ifname)?.altnames ?? [];
  return [...found].map(([ifname, reasons]) => ({ ifname, altnames: altnamesOf(ifname), reasons })).sort((a, b) => a.ifname.localeCompare(b.ifname));
}

/** Reads a host's routes, addresses, links and TCP sessions (through `exec`: locally, in a netns, or over SSH); read only. */
export async function readSafetyInputs(exec: Exec = localExec, opts: { sshConnection?: string | null } = {}): Promise<SafetyReadings> {
  const text = async (argv: readonly string[], ok = [0]) => (await exec(argv, { okExitCodes: ok, timeoutMs: 15_000 })).stdout;
  const sshConnection = opts.sshConnection !== undefined ? opts.sshConnection : (await text(SAFETY_COMMANDS.sshConnection, [0, 1])).trim() || null;
  const session = parseSshConnection(sshConnection);
  const readings: SafetyReadings = {
    routes4: await text(SAFETY_COMMANDS.routes4),
    routes6: await text(SAFETY_COMMANDS.routes6, [0, 1, 2]), // IPv6 may be off
    addrs: await text(SAFETY_COMMANDS.addrs),
    links: await text(SAFETY_COMMANDS.links),
    sshConnection,
    routeToClient: session ? await text(routeGetArgv(session.clientAddress), [0, 1, 2]) : null,
    sockets: await text(SAFETY_COMMANDS.sockets),
    routesToPeers: {},
  };
  for (const peer of new Set(parseSshdSockets(readings.sockets!).map((s) => s.peerAddress))) {
    readings.routesToPeers![peer] = await text(routeGetArgv(peer), [0, 1, 2]);
  }
  return readings;
}

/**
 * The interfaces carrying the management traffic of the host `exec` runs on:
 * default and split-default routes, and every SSH session into it (over SSH,
 * the harness's own among them).
 */
export async function findProtectedInterfaces(exec: Exec = localExec, opts: { sshConnection?: string | null } = {}): Promise<ProtectedInterface[]> {
  return protectedInterfacesFrom(await readSafetyInputs(exec, opts));
}

export class ProtectedInterfaceError extends BenchError {
  readonly ifname: string;
  readonly reasons: string[];
  constructor(ifname: string, reasons: string[], hostLabel?: string, primary?: string) {
    super(
      `refusing to attach an XDP program to ${ifname}${primary && primary !== ifname ? ` (an altname of ${primary})` : ''}${hostLabel ? ` on ${hostLabel}` : ''}: it ${reasons.join('; it ')}. ` +
        `A program there can cut the host off the network. To do it anyway, force this interface by name: --force-interface ${ifname}`,
      EXIT.usage,
    );
    this.ifname = ifname;
    this.reasons = reasons;
  }
}

export interface AttachClearance {
  ifname: string;
  /** True when protected but forced by name: record it in the results. */
  forced: boolean;
  reasons: string[];
}

/** The protected entry `ifname` names: by its name or one of its altnames. */
export function protectionOf(ifname: string, protectedList: readonly ProtectedInterface[]): ProtectedInterface | undefined {
  return protectedList.find((p) => p.ifname === ifname || p.altnames.includes(ifname));
}

/** Throws ProtectedInterfaceError unless `ifname` (a name or altname) is unprotected or forced by one of its exact names. */
export function assertSafeToAttach(ifname: string, protectedList: readonly ProtectedInterface[], forced: readonly string[], hostLabel?: string): AttachClearance {
  const hit = protectionOf(ifname, protectedList);
  if (!hit) return { ifname, forced: false, reasons: [] };
  if (forced.some((f) => f === hit.ifname || hit.altnames.includes(f))) return { ifname, forced: true, reasons: hit.reasons };
  throw new ProtectedInterfaceError(ifname, hit.reasons, hostLabel, hit.ifname);
}

/* ip(8) with -j: the argv of the read-only queries and their JSON output as
 * typed records (routes, addresses, links). Fields ip leaves out, or prints
 * with an unexpected type, become null or empty: the caller decides what a
 * missing field means. Output that is not JSON is an IpJsonError. */

export const IP_COMMANDS = {
  routes4: ['ip', '-4', '-j', 'route', 'show', 'table', 'all'],
  routes6: ['ip', '-6', '-j', 'route', 'show', 'table', 'all'],
  addrs: ['ip', '-j', 'addr', 'show'],
  links: ['ip', '-d', '-j', 'link', 'show'],
} as const;

/** `ip -j route get ADDRESS`: the route the kernel would take to it. */
export function ipRouteGetArgv(address: string): string[] {
  return ['ip', '-j', 'route', 'get', address];
}

/** ip printed something that is not JSON. */
export class IpJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpJsonError';
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** The objects of ip's top-level JSON list; empty output (nothing matched) is none. `what` names the query in the error. */
export function ipJsonList(text: string, what: string): Json[] {
  if (!text.trim()) return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new IpJsonError(`${what}: not JSON: ${text.slice(0, 120)}`);
  }
  return Array.isArray(v) ? v.filter(isObject) : [];
}

export interface IpNexthop {
  dev: string | null;
  gateway: string | null;
}

export interface IpRoute {
  /** "default", "198.18.0.0/15", a host address ("198.18.0.1"); null when absent. */
  dst: string | null;
  /** unicast, local, broadcast, multicast, ...; null when ip leaves it out, as it does for unicast routes. */
  type: string | null;
  dev: string | null;
  gateway: string | null;
  /** Table name or number as ip prints it; null when absent (the main table). */
  table: string | null;
  /** The hops of a multipath route (empty otherwise). */
  nexthops: IpNexthop[];
}

/** `ip -j route show ...` or `ip -j route get ...` -> routes. */
export function parseIpRoutes(text: string, what: string): IpRoute[] {
  return ipJsonList(text, what).map((r) => ({
    dst: stringOrNull(r.dst),
    type: r.type === undefined ? null : String(r.type),
    dev: stringOrNull(r.dev),
    gateway: stringOrNull(r.gateway),
    table: r.table ? String(r.table) : null,
    nexthops: Array.isArray(r.nexthops) ? r.nexthops.filter(isObject).map((h) => ({ dev: stringOrNull(h.dev), gateway: stringOrNull(h.gateway) })) : [],
  }));
}

export interface IpAddrLink {
  ifname: string | null;
  /** The `local` address of each addr_info entry, IPv4 and IPv6. */
  localAddresses: string[];
}

/** `ip -j addr show` -> each link's local addresses. */
export function parseIpAddrs(text: string, what = 'ip -j addr show'): IpAddrLink[] {
  return ipJsonList(text, what).map((l) => ({
    ifname: stringOrNull(l.ifname),
    localAddresses: (Array.isArray(l.addr_info) ? l.addr_info.filter(isObject) : []).map((a) => a.local).filter((a): a is string => typeof a === 'string'),
  }));
}

export interface IpLinkEntry {
  ifname: string | null;
  /** The bridge or bond this link is a port of. */
  master: string | null;
  /** The lower device of a stacked link (VLAN, macvlan, ...). */
  link: string | null;
  /** linkinfo.info_kind: vlan, macvlan, bridge, veth, ...; null for a plain device. */
  kind: string | null;
  altnames: string[];
}

/** `ip -d -j link show` -> each link's name, master, lower device, kind and altnames. */
export function parseIpLinks(text: string, what = 'ip -d -j link show'): IpLinkEntry[] {
  return ipJsonList(text, what).map((l) => ({
    ifname: stringOrNull(l.ifname),
    master: stringOrNull(l.master),
    link: stringOrNull(l.link),
    kind: isObject(l.linkinfo) ? stringOrNull(l.linkinfo.info_kind) : null,
    altnames: strings(l.altnames),
  }));
}

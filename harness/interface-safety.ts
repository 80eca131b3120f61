/* Safety of the `physical` topology: never attach an XDP program to the
 * interface that carries a host's default route or the SSH session that
 * controls it (an XDP_DROP there cuts the host off), unless the user forces
 * it for that interface by name. Bridge/bond ports and the lower device of a
 * VLAN/macvlan carrying such traffic are protected too. */
import { BenchError, EXIT } from './errors.ts';
import { localExec, type Exec } from './host-exec.ts';

export interface ProtectedInterface {
  ifname: string;
  /** "carries the default route (IPv4 via 192.0.2.1)", ... */
  reasons: string[];
}

/** What the safety check reads on a host: raw `ip -j` output, captured as is. */
export interface SafetyReadings {
  /** `ip -4 -j route show table all default` */
  routes4: string;
  /** `ip -6 -j route show table all default` */
  routes6: string;
  /** `ip -j addr show` */
  addrs: string;
  /** `ip -d -j link show` */
  links: string;
  /** SSH_CONNECTION of the controlling session on that host ("client port server port"), or null. */
  sshConnection: string | null;
  /** `ip -j route get <ssh client address>`, or null. */
  routeToClient: string | null;
}

export const SAFETY_COMMANDS = {
  routes4: ['ip', '-4', '-j', 'route', 'show', 'table', 'all', 'default'],
  routes6: ['ip', '-6', '-j', 'route', 'show', 'table', 'all', 'default'],
  addrs: ['ip', '-j', 'addr', 'show'],
  links: ['ip', '-d', '-j', 'link', 'show'],
  sshConnection: ['printenv', 'SSH_CONNECTION'],
} as const;

export function routeGetArgv(address: string): string[] {
  return ['ip', '-j', 'route', 'get', address];
}

type Json = Record<string, unknown>;

function jsonList(text: string, what: string): Json[] {
  if (!text.trim()) return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`${what}: not JSON: ${text.slice(0, 120)}`);
  }
  return Array.isArray(v) ? (v as Json[]) : [];
}

export interface SshSession {
  clientAddress: string;
  clientPort: number;
  localAddress: string;
  localPort: number;
  /** Interface named by an IPv6 zone (fe80::1%eth0), if any. */
  zone: string | null;
}

/** "192.0.2.1 51234 192.0.2.2 22" -> the session; IPv4-mapped IPv6 is unmapped. */
export function parseSshConnection(text: string | null | undefined): SshSession | null {
  const parts = (text ?? '').trim().split(/\s+/);
  if (parts.length !== 4) return null;
  const unmap = (a: string) => a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  const [client, cport, local, lport] = parts as [string, string, string, string];
  const zone = /%(.+)$/.exec(local)?.[1] ?? null;
  return { clientAddress: unmap(client.replace(/%.*$/, '')), clientPort: Number(cport), localAddress: unmap(local.replace(/%.*$/, '')), localPort: Number(lport), zone };
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

const STACKED_KINDS = ['vlan', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap'];

/** Pure: which interfaces are protected, and why. */
export function protectedInterfacesFrom(r: SafetyReadings): ProtectedInterface[] {
  const found = new Map<string, string[]>();
  const add = (ifname: unknown, reason: string) => {
    if (typeof ifname !== 'string' || !ifname) return;
    const list = found.get(ifname) ?? [];
    if (!list.includes(reason)) list.push(reason);
    found.set(ifname, list);
  };
  for (const [family, text] of [['IPv4', r.routes4], ['IPv6', r.routes6]] as const) {
    for (const route of jsonList(text, `default ${family} routes`)) {
      const table = route.table && route.table !== 'main' ? ` in table ${String(route.table)}` : '';
      const via = (g: unknown) => (typeof g === 'string' ? ` via ${g}` : '');
      add(route.dev, `carries the ${family} default route${via(route.gateway)}${table}`);
      if (Array.isArray(route.nexthops)) {
        for (const hop of route.nexthops as Json[]) add(hop.dev, `carries the ${family} default route${via(hop.gateway)}${table} (multipath)`);
      }
    }
  }
  const session = parseSshConnection(r.sshConnection);
  if (session) {
    const what = `the SSH session from ${session.clientAddress} to ${session.localAddress}:${session.localPort}`;
    if (session.zone) add(session.zone, `carries ${what}`);
    for (const link of jsonList(r.addrs, 'ip -j addr show')) {
      const infos = Array.isArray(link.addr_info) ? (link.addr_info as Json[]) : [];
      if (infos.some((a) => typeof a.local === 'string' && sameAddress(a.local, session.localAddress))) {
        add(link.ifname, `holds the address ${session.localAddress} of ${what}`);
      }
    }
    for (const route of jsonList(r.routeToClient ?? '', 'ip -j route get')) add(route.dev, `carries ${what} (the route back to ${session.clientAddress})`);
  }
  // Ports of a protected bridge/bond, and the lower device of a protected VLAN/macvlan, carry the same traffic.
  const links = jsonList(r.links, 'ip -d -j link show');
  for (let round = 0; round < 8; round++) {
    let grew = false;
    for (const [ifname, reasons] of [...found]) {
      const main = reasons[0]!;
      for (const l of links) {
        if (l.master === ifname && typeof l.ifname === 'string' && !found.has(l.ifname)) {
          add(l.ifname, `is a port of ${ifname}, which ${main}`);
          grew = true;
        }
      }
      const self = links.find((l) => l.ifname === ifname);
      const kind = (self?.linkinfo as Json | undefined)?.info_kind;
      if (self && typeof kind === 'string' && STACKED_KINDS.includes(kind) && typeof self.link === 'string' && !found.has(self.link)) {
        add(self.link, `is the lower device of ${ifname} (${kind}), which ${main}`);
        grew = true;
      }
    }
    if (!grew) break;
  }
  return [...found].map(([ifname, reasons]) => ({ ifname, reasons })).sort((a, b) => a.ifname.localeCompare(b.ifname));
}

/** Reads a host's routes, addresses and links (through `exec`: locally, in a netns, or over SSH). */
export async function readSafetyInputs(exec: Exec = localExec, opts: { sshConnection?: string | null } = {}): Promise<SafetyReadings> {
  const text = async (argv: readonly string[], ok = [0]) => (await exec(argv, { okExitCodes: ok, timeoutMs: 15_000 })).stdout;
  const sshConnection = opts.sshConnection !== undefined ? opts.sshConnection : (await text(SAFETY_COMMANDS.sshConnection, [0, 1])).trim() || null;
  const session = parseSshConnection(sshConnection);
  return {
    routes4: await text(SAFETY_COMMANDS.routes4),
    routes6: await text(SAFETY_COMMANDS.routes6, [0, 1, 2]), // IPv6 may be off
    addrs: await text(SAFETY_COMMANDS.addrs),
    links: await text(SAFETY_COMMANDS.links),
    sshConnection,
    routeToClient: session ? await text(routeGetArgv(session.clientAddress), [0, 1, 2]) : null,
  };
}

/**
 * The interfaces carrying the default route(s) and the controlling SSH
 * session of the host `exec` runs on. Over SSH, SSH_CONNECTION is read on the
 * remote host: it is the harness's own connection there.
 */
export async function findProtectedInterfaces(exec: Exec = localExec, opts: { sshConnection?: string | null } = {}): Promise<ProtectedInterface[]> {
  return protectedInterfacesFrom(await readSafetyInputs(exec, opts));
}

export class ProtectedInterfaceError extends BenchError {
  readonly ifname: string;
  readonly reasons: string[];
  constructor(ifname: string, reasons: string[], hostLabel?: string) {
    super(
      `refusing to attach an XDP program to ${ifname}${hostLabel ? ` on ${hostLabel}` : ''}: it ${reasons.join('; it ')}. ` +
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

/** Throws ProtectedInterfaceError unless `ifname` is unprotected or forced by its exact name. */
export function assertSafeToAttach(ifname: string, protectedList: readonly ProtectedInterface[], forced: readonly string[], hostLabel?: string): AttachClearance {
  const hit = protectedList.find((p) => p.ifname === ifname);
  if (!hit) return { ifname, forced: false, reasons: [] };
  if (forced.includes(ifname)) return { ifname, forced: true, reasons: hit.reasons };
  throw new ProtectedInterfaceError(ifname, hit.reasons, hostLabel);
}

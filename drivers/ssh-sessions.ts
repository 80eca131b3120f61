/* The SSH sessions into a host, as two sources tell them: the SSH_CONNECTION
 * variable of the session we came in on ("client port server port"), and
 * ss(8)'s established TCP sockets of sshd processes (every session, also when
 * sudo removed the variable). Addresses come back unmapped (::ffff:a.b.c.d ->
 * a.b.c.d), without brackets, the IPv6 zone kept apart. */

/** `printenv SSH_CONNECTION`: exits 1 when the variable is not set. */
export const SSH_CONNECTION_ARGV = ['printenv', 'SSH_CONNECTION'] as const;
/** Established TCP sessions with their processes, no header. */
export const SS_ESTABLISHED_ARGV = ['ss', '-Htnp', 'state', 'established'] as const;

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

/** One established TCP session of an sshd process, from `ss -Htnp state established`. */
export interface SshdSocket {
  localAddress: string;
  localPort: number;
  peerAddress: string;
  peerPort: number;
  /** `ss` prints the interface of a scoped (link-local) address: addr%eth0:port. */
  zone: string | null;
  pid: number;
}

const unmapV4 = (a: string) => a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

/** "198.18.0.2:22", "[2001:db8::2]:22", "[fe80::2]%eth0:22" -> address, zone, port. */
function ssEndpoint(text: string): { address: string; zone: string | null; port: number } | null {
  const colon = text.lastIndexOf(':');
  if (colon < 1) return null;
  const port = Number(text.slice(colon + 1));
  let host = text.slice(0, colon);
  const zone = /%([^\]%]+)$/.exec(host)?.[1] ?? null;
  if (zone) host = host.slice(0, -zone.length - 1);
  host = host.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  return Number.isInteger(port) && host ? { address: unmapV4(host), zone, port } : null;
}

/** The sshd sessions among `ss -Htnp state established` lines (sshd, or sshd-session since OpenSSH 9.8). */
export function parseSshdSockets(text: string): SshdSocket[] {
  const out: SshdSocket[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) continue;
    const proc = /\("(sshd[^"]*)",pid=(\d+)/.exec(cols.slice(4).join(' '));
    const local = ssEndpoint(cols[2]!);
    const peer = ssEndpoint(cols[3]!);
    if (!proc || !local || !peer) continue;
    out.push({ localAddress: local.address, localPort: local.port, peerAddress: peer.address, peerPort: peer.port, zone: local.zone ?? peer.zone, pid: Number(proc[2]) });
  }
  return out;
}

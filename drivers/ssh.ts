/* Remote execution over OpenSSH: the same argv the drivers run locally, run
 * on a lab host.
 *
 * - Host keys are always checked (StrictHostKeyChecking=yes against the
 *   target's known_hosts file); never a password prompt (BatchMode=yes).
 * - One TCP connection per host (ControlMaster=auto, ControlPersist=60).
 * - The remote command string is built ONLY by `remoteCommand(argv)`: each
 *   argument POSIX single-quoted. No shell string is ever assembled from
 *   user input. The remote login shell must be a POSIX shell (sh, dash,
 *   bash, zsh), as it is on every Linux lab host we know.
 * - A remote command dies with its connection: it runs under a fixed
 *   watchdog (WATCHDOG_SCRIPT) that kills it when the ssh channel's stdin
 *   reaches EOF: the controller closed it (stop), died, or lost the link.
 */
import { execa, type ResultPromise } from 'execa';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { BenchError, CommandError, EXIT } from '../ground/errors.ts';
import type { CommandOutput, RunOptions } from '../ground/exec.ts';
import { RUN_REGISTRY_DIR } from '../ground/paths.ts';

export interface SshTarget {
  /** Label for messages: the lab config's host name. */
  name: string;
  user: string;
  /** Host name or address (never starting with "-"). */
  host: string;
  port: number;
  /** Private key (`-i`); "~/" is expanded by ssh. */
  identityFile: string;
  /** known_hosts file holding this host's key; checked strictly. */
  knownHostsFile: string;
  /** Extra `-o Name=value` options: only ALLOWED_SSH_OPTIONS, each with a valid value. */
  options?: Readonly<Record<string, string>>;
  /** Directory of the ControlMaster sockets (default /run/xdp-bench/ssh, made 0700). */
  controlDir?: string;
  /** argv prefix the ssh client runs under: ['ip', 'vrf', 'exec', 'mgmt'] or ['ip', 'netns', 'exec', 'ns']. */
  launcher?: readonly string[];
}

export const DEFAULT_CONTROL_DIR = path.join(RUN_REGISTRY_DIR, 'ssh');
export const CONTROL_PERSIST_S = 60;
export const DEFAULT_CONNECT_TIMEOUT_S = 10;

/** Set by sshArgv itself (from the config's user, port, identity, knownHosts): a target may not override them. */
export const RESERVED_SSH_OPTIONS = [
  'BatchMode', 'StrictHostKeyChecking', 'UserKnownHostsFile', 'GlobalKnownHostsFile', 'ControlMaster', 'ControlPath',
  'ControlPersist', 'Port', 'User', 'IdentityFile', 'Hostname', 'IdentitiesOnly', 'LogLevel',
] as const;

/** A value check: null when fine, else what is expected. */
type ValueCheck = (value: string) => string | null;

const oneOfValues = (...values: string[]): ValueCheck => (v) => (values.includes(v.toLowerCase()) ? null : `expected one of ${values.join(', ')}`);
const intIn = (min: number, max: number): ValueCheck => (v) => (/^\d{1,6}$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `expected an integer ${min}..${max}`);
const YES_NO = oneOfValues('yes', 'no');
/** Ciphers, KexAlgorithms, ...: a comma list of algorithm names, optionally led by + (append), - (remove) or ^ (prepend). */
const ALGORITHMS: ValueCheck = (v) => (/^[+^-]?[A-Za-z0-9@._-]+(,[A-Za-z0-9@._-]+)*$/.test(v) ? null : 'expected a comma-separated list of algorithm names (like aes256-gcm@openssh.com,chacha20-poly1305@openssh.com)');
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;
const HOST = /^(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]+\])$/;
/** ProxyJump: "none", or jump hosts [user@]host[:port], comma-separated; ssh runs them as `ssh -W` (no command of ours). */
const JUMP_HOSTS: ValueCheck = (v) => {
  if (v.toLowerCase() === 'none') return null;
  const bad = v.split(',').find((hop) => {
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@[\]]+)(?::(\d{1,5}))?$/.exec(hop);
    return !m || (m[1] !== undefined && !USER.test(m[1])) || !HOST.test(m[2]!) || (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > 65535));
  });
  return bad === undefined ? null : `jump host ${JSON.stringify(bad)}: expected [user@]host[:port] (host a name or address not starting with -, port 1..65535), comma-separated for a chain`;
};
const LOCAL_FILE: ValueCheck = (v) => (/^(\/|~\/)[^\0]*$/.test(v) && !/[%$]/.test(v) ? null : 'expected an absolute file path or ~/path (no % or $ expansions)');
const BIND_ADDRESS: ValueCheck = (v) => (/^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]+)$/.test(v) ? null : 'expected a local IPv4 or IPv6 address');

/**
 * The ssh options a lab config may set: what a lab connection needs (time-outs,
 * keep-alives, algorithms, jump hosts, certificates, addressing). Everything
 * else is refused by name: an allowlist, because ssh_config keeps growing ways
 * to run a local program (ProxyCommand, LocalCommand, KnownHostsCommand,
 * XAuthLocation with ForwardX11, Match exec, ...).
 */
export const ALLOWED_SSH_OPTIONS: Readonly<Record<string, ValueCheck>> = {
  ConnectTimeout: intIn(1, 3600),
  ConnectionAttempts: intIn(1, 10),
  ServerAliveInterval: intIn(0, 3600),
  ServerAliveCountMax: intIn(1, 100),
  TCPKeepAlive: YES_NO,
  Compression: YES_NO,
  Ciphers: ALGORITHMS,
  KexAlgorithms: ALGORITHMS,
  MACs: ALGORITHMS,
  HostKeyAlgorithms: ALGORITHMS,
  PubkeyAcceptedAlgorithms: ALGORITHMS,
  CASignatureAlgorithms: ALGORITHMS,
  ProxyJump: JUMP_HOSTS,
  CertificateFile: LOCAL_FILE,
  AddressFamily: oneOfValues('any', 'inet', 'inet6'),
  BindAddress: BIND_ADDRESS,
  BindInterface: (v) => (/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,14}$/.test(v) ? null : 'expected an interface name'),
  CheckHostIP: YES_NO,
  IPQoS: (v) => (/^[a-z0-9]{1,12}( [a-z0-9]{1,12})?$/i.test(v) ? null : 'expected one or two QoS names or numbers (like af21 cs1)'),
  RekeyLimit: (v) => (/^(default|\d{1,10}[KMG]?)( (none|\d{1,10}[smhdwSMHDW]?))?$/.test(v) ? null : 'expected an amount of data like 1G, optionally a time like 1h'),
};

/** Why an option is not on the list, for the names people reach for. */
const REFUSAL_HINTS: Readonly<Record<string, string>> = {
  proxycommand: 'use ProxyJump for a jump host',
  forwardagent: 'no agent: the key is given by identity:',
  identityfile: 'give the key as identity:',
  identitiesonly: 'the harness sets it (only the identity: key is offered)',
};

/** The allowlist's spelling of an option name (ssh_config names are case-insensitive), or null. */
export function allowedSshOptionName(name: string): string | null {
  return Object.keys(ALLOWED_SSH_OPTIONS).find((o) => o.toLowerCase() === name.toLowerCase()) ?? null;
}

/** Why an ssh option cannot be set from a config, or null when it can. */
export function sshOptionProblem(name: string, value: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) return 'expected an ssh_config option name (letters and digits)';
  const lower = name.toLowerCase();
  if (RESERVED_SSH_OPTIONS.some((o) => o.toLowerCase() === lower)) {
    return `set by the harness (host keys always checked against knownHosts:, batch mode, multiplexed, key from identity:); remove it${REFUSAL_HINTS[lower] ? ` (${REFUSAL_HINTS[lower]})` : ''}`;
  }
  const allowed = allowedSshOptionName(name);
  if (!allowed) {
    return `not allowed${REFUSAL_HINTS[lower] ? ` (${REFUSAL_HINTS[lower]})` : ''}: a lab config may set only ${Object.keys(ALLOWED_SSH_OPTIONS).join(', ')}`;
  }
  if (/[\0-\x1f\x7f]/.test(value) || value.trim() === '') return 'expected a non-empty value on one line';
  return ALLOWED_SSH_OPTIONS[allowed]!(value.trim());
}

/**
 * Always passed, before the target's options (ssh takes the first value it
 * sees): nothing may forward, tunnel, run a local command or allocate a TTY,
 * whatever a config file says. `-F none` already keeps ~/.ssh/config and
 * /etc/ssh/ssh_config (and their `Match exec`) out; these hold even so.
 */
export const NEUTRALISING_SSH_OPTIONS = [
  'ForwardAgent=no', 'ForwardX11=no', 'ForwardX11Trusted=no', 'ClearAllForwardings=yes', 'Tunnel=no', 'PermitLocalCommand=no',
  'KnownHostsCommand=none', 'RemoteCommand=none', 'RequestTTY=no', 'EscapeChar=none', 'UpdateHostKeys=no', 'PKCS11Provider=none',
] as const;

/* ---- quoting ---- */

const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting of one argument: bare when only safe characters, else single-quoted ('\'' for a quote). */
export function shellQuote(arg: string): string {
  if (arg !== '' && BARE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The only way a remote command string is made: every argv element quoted, joined by spaces. */
export function remoteCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('remoteCommand needs a command');
  for (const a of argv) if (typeof a !== 'string' || a.includes('\0')) throw new TypeError('argv elements must be strings without NUL');
  return argv.map(shellQuote).join(' ');
}

/**
 * Runs "$@" and kills it (TERM, KILL 2 s later) when stdin reaches EOF.
 * Fixed text: the command comes in as positional parameters, never inside it.
 * fd 3 keeps the channel's stdin for the watcher; the command gets /dev/null.
 */
export const WATCHDOG_SCRIPT = [
  'exec 3<&0 </dev/null',
  '"$@" 3<&- &',
  'child=$!',
  '( cat >/dev/null; kill -TERM "$child" 2>/dev/null; sleep 2; kill -KILL "$child" 2>/dev/null ) <&3 >/dev/null 2>&1 &',
  'watcher=$!',
  'exec 3<&-',
  'wait "$child"; rc=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$rc"',
].join('\n');

export function watchdogArgv(argv: readonly string[]): string[] {
  return ['sh', '-c', WATCHDOG_SCRIPT, 'xdpb-watchdog', ...argv];
}

/* ---- argv ---- */

function validateTarget(t: SshTarget): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(t.user)) throw new TypeError(`ssh target ${t.name}: bad user ${JSON.stringify(t.user)}`);
  if (!/^(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[?[0-9A-Fa-f:.]+\]?)$/.test(t.host)) throw new TypeError(`ssh target ${t.name}: bad host ${JSON.stringify(t.host)}`);
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) throw new TypeError(`ssh target ${t.name}: bad port ${t.port}`);
  for (const [k, v] of Object.entries(t.options ?? {})) {
    const p = sshOptionProblem(k, v);
    if (p) throw new TypeError(`ssh target ${t.name}: option ${k}: ${p}`);
  }
}

export function controlPathOf(t: SshTarget): string {
  // %C: a hash of local host, remote host, port and user; short enough for a unix socket path.
  return path.join(t.controlDir ?? DEFAULT_CONTROL_DIR, '%C');
}

/** Everything before the destination: the launcher, ssh and its options. */
export function sshBaseArgv(t: SshTarget): string[] {
  validateTarget(t);
  const o = (kv: string) => ['-o', kv];
  const given = (name: string) => Object.keys(t.options ?? {}).some((k) => k.toLowerCase() === name.toLowerCase());
  return [
    ...(t.launcher ?? []),
    'ssh',
    // No config file, ever: ~/.ssh/config or /etc/ssh/ssh_config could run a local program (Match exec, ProxyCommand, ...).
    '-F', 'none',
    ...o('BatchMode=yes'),
    ...o('StrictHostKeyChecking=yes'),
    ...o(`UserKnownHostsFile=${t.knownHostsFile}`),
    ...o('GlobalKnownHostsFile=/dev/null'),
    ...o('IdentitiesOnly=yes'),
    ...o('ControlMaster=auto'),
    ...o(`ControlPath=${controlPathOf(t)}`),
    ...o(`ControlPersist=${CONTROL_PERSIST_S}`),
    ...o('LogLevel=ERROR'),
    ...NEUTRALISING_SSH_OPTIONS.flatMap(o),
    // ProxyJump and ProxyCommand: the first one given wins, so "none" only when no jump host is configured.
    ...(given('ProxyJump') ? [] : o('ProxyCommand=none')),
    // An unreachable host fails in seconds, not after the kernel's SYN retries (~2 min), unless the config says otherwise.
    ...(given('ConnectTimeout') ? [] : o(`ConnectTimeout=${DEFAULT_CONNECT_TIMEOUT_S}`)),
    ...Object.entries(t.options ?? {}).flatMap(([k, v]) => o(`${k}=${v}`)),
    '-p', String(t.port),
    '-i', t.identityFile,
    '-T',
  ];
}

export function destinationOf(t: SshTarget): string {
  return `${t.user}@${t.host.replace(/^\[(.*)\]$/, '$1')}`;
}

/** `ssh <options> user@host -- <quoted argv>`: the argv runs on the target exactly as given. */
export function sshArgv(t: SshTarget, argv: readonly string[]): string[] {
  return [...sshBaseArgv(t), destinationOf(t), '--', remoteCommand(argv)];
}

/** `ssh -O exit`: ends the multiplexing master (and so every session over it). */
export function closeMasterArgv(t: SshTarget): string[] {
  return [...sshBaseArgv(t), '-O', 'exit', destinationOf(t)];
}

export function ensureControlDir(t: SshTarget): void {
  const dir = t.controlDir ?? DEFAULT_CONTROL_DIR;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/* ---- errors ---- */

/** ssh itself failed (exit 255): unreachable, refused, host key, authentication, or the connection dropped. */
export class SshConnectionError extends BenchError {
  readonly target: string;
  readonly stderrTail: string;
  constructor(t: SshTarget, argv: readonly string[], stderr: string) {
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    const hint = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(stderr)
      ? `; check the host's key fingerprint, then add it to ${t.knownHostsFile} (ssh-keyscan -p ${t.port} ${t.host})`
      : /Permission denied/i.test(stderr)
        ? `; is ${t.identityFile} authorized for ${t.user} on ${t.host}?`
        : '';
    super(`ssh to ${t.name} (${destinationOf(t)}:${t.port}) failed running ${argv.join(' ')}: ${tail || 'connection lost'}${hint}`, EXIT.runFailure);
    this.target = t.name;
    this.stderrTail = tail;
  }
}

/* ---- running ---- */

export interface RemoteRunOptions extends RunOptions {
  /** Kill the remote command when the connection ends (default true; off when `input` is given). */
  watchdog?: boolean;
}

/**
 * Runs argv on the target; throws SshConnectionError when ssh itself fails
 * (exit 255: so a remote command's own exit 255 reads as a connection
 * failure), CommandError when the command fails, or on timeout.
 */
export async function runOn(t: SshTarget, argv: readonly string[], options: RemoteRunOptions = {}): Promise<CommandOutput> {
  ensureControlDir(t);
  const watch = options.watchdog ?? options.input === undefined;
  const full = sshArgv(t, watch ? watchdogArgv(argv) : argv);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = performance.now();
  const r = await execa(full[0]!, full.slice(1), {
    reject: false,
    timeout: timeoutMs,
    stripFinalNewline: true,
    // Watchdog: stdin stays open as the liveness channel. Without it and without input: no stdin (like ssh -n).
    ...(options.input !== undefined ? { input: options.input } : { stdin: watch ? ('pipe' as const) : ('ignore' as const) }),
  });
  const durationMs = performance.now() - started;
  const exitCode = typeof r.exitCode === 'number' ? r.exitCode : -1;
  const stderr = String(r.stderr ?? '');
  const label = [`${t.name}:`, ...argv];
  if (r.timedOut) throw new CommandError(label, null, `timed out after ${timeoutMs} ms`, durationMs, r);
  if (exitCode === 255) throw new SshConnectionError(t, argv, stderr);
  if (exitCode !== 0 && !(options.okExitCodes ?? [0]).includes(exitCode)) throw new CommandError(label, r.exitCode ?? null, stderr || r.message || '', durationMs, r);
  return { stdout: String(r.stdout ?? ''), stderr, exitCode, durationMs };
}

/** An Exec for drivers that take one: `probePhysicalInterface(remoteExec(t), ...)`. */
export function remoteExec(t: SshTarget): (argv: readonly string[], options?: RunOptions) => Promise<CommandOutput> {
  return (argv, options) => runOn(t, argv, options);
}

export interface RemoteProcess {
  readonly target: SshTarget;
  readonly argv: readonly string[];
  /** The local ssh client (execa): stdout/stderr stream from the remote command. */
  readonly child: ResultPromise;
  /** Ends the remote command (closes its stdin: the watchdog kills it), bounded by graceMs, then kills the client. */
  stop(graceMs?: number): Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
}

/** Starts argv on the target under the watchdog; it dies when stopped, when we die, or when the link drops. */
export function spawnOn(t: SshTarget, argv: readonly string[]): RemoteProcess {
  ensureControlDir(t);
  const full = sshArgv(t, watchdogArgv(argv));
  const child = execa(full[0]!, full.slice(1), { reject: false, stdin: 'pipe', buffer: true, cleanup: true });
  const settled = child.then((r) => r);
  return {
    target: t,
    argv,
    child,
    async stop(graceMs = 5_000) {
      child.stdin?.end();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
      });
      const first = await Promise.race([settled, late]);
      clearTimeout(timer);
      if (first === 'late') child.kill('SIGKILL');
      const r = await settled;
      return { exitCode: typeof r.exitCode === 'number' ? r.exitCode : null, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
    },
  };
}

/** Ends the target's multiplexing master; quiet when none is running. */
export async function closeMaster(t: SshTarget, timeoutMs = 10_000): Promise<void> {
  const argv = closeMasterArgv(t);
  await execa(argv[0]!, argv.slice(1), { reject: false, timeout: timeoutMs, stdin: 'ignore' });
}

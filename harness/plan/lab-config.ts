/* Lab config (YAML) for `bench run --config lab.yaml`: hosts (local or SSH),
 * the generator and DUT roles with their interfaces, CPU pinning and IRQ
 * affinity wishes, scenarios x modes x sizes, trials and durations,
 * thresholds, baseline and output.
 *
 * `labConfigSchema` is the ONE definition: validation and the `LabConfig`
 * type both come from it. Every problem is reported at once, each with its
 * field path and what is expected (`hosts.dut.port: expected an integer
 * 1..65535, got 70000`). Relative paths are relative to the config file.
 */
import { RUN_DEFAULTS } from './defaults.ts';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { GENERATOR_NAMES } from '../../drivers/generators.ts';
import { sshOptionProblem, type SshTarget } from '../../drivers/ssh.ts';
import { parseThreshold, type Threshold } from '../analysis/threshold.ts';
import { SCENARIOS } from '../../scenarios/builtin.ts';
import { parseScenarioFile, ScenarioFileError } from '../../scenarios/scenario-file.ts';
import { USER_FILE_CAPS, readUserFile } from '../../ground/user-file.ts';
import { UsageError } from '../../ground/errors.ts';
import { MAX_PKT_SIZE_BYTES, MIN_PKT_SIZE_BYTES } from '../../ground/frame.ts';
import { ALL_MODES, type XdpMode } from '../../ground/result-schema.ts';
import { LIMITS } from './run-options.ts';
import {
  custom, formatProblem, integer, INVALID, isPlainObject, joinPath, keyOf, list, literal, map, number, object, oneOf, optional,
  rawAt, record, refine, string, tagged, validate, withDefault, type Infer, type Problem,
} from './schema.ts';

export const LAB_CONFIG_VERSION = 1;
export const DEFAULT_BENCH_DIR = '/var/lib/xdp-bench';
export const DEFAULTS = {
  trials: RUN_DEFAULTS.trials, durationS: RUN_DEFAULTS.durationS, warmupS: RUN_DEFAULTS.warmupS, intervalMs: RUN_DEFAULTS.intervalMs,
  sizesBytes: RUN_DEFAULTS.sizesBytes, generator: RUN_DEFAULTS.generator, alpha: 0.05, sshPort: 22,
} as const;

/* ---- leaves ---- */

const IFNAME = string({ pattern: /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,14}$/, expected: 'an interface name (1-15 of letters, digits, _ . @ -)' });
const MAC = map(string({ pattern: /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, expected: 'a MAC address like 02:00:00:00:00:01' }), (m) => m.toLowerCase());

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export interface Ipv4Cidr {
  address: string;
  prefixLength: number;
}

const IPV4_CIDR = custom<Ipv4Cidr>('an IPv4 address with prefix length, like 198.18.1.2/24', (v) => {
  if (typeof v !== 'string') return INVALID;
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(v);
  if (!m || ipv4ToInt(m[1]!) === null || Number(m[2]) < 1 || Number(m[2]) > 32) return INVALID;
  return { address: m[1]!, prefixLength: Number(m[2]) };
});

const CPU_LIST = list(integer(0, 4095, 'a CPU number 0..4095'), { min: 1, unique: true });

/** A path in the config: "~/" kept for ssh to expand (identity), else made absolute against the config's directory. */
function pathIn(baseDir: string, what: string, keepTilde = false) {
  return map(string({ expected: what, pattern: /^[^\0\n]+$/ }), (p) => {
    if (p === '~' || p.startsWith('~/')) return keepTilde ? p : path.join(homedir(), p.slice(1));
    return path.resolve(baseDir, p);
  });
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const BUILTIN_NAMES = SCENARIOS.map((s) => s.name);

/** A scenario entry: a built-in name, or a scenario file (parsed here: its problems are reported with this entry's path). */
export type LabScenarioRef =
  | { kind: 'builtin'; name: string }
  | { kind: 'file'; name: string; file: string };

function scenarioEntry(baseDir: string) {
  return custom<LabScenarioRef>(`a built-in scenario (${BUILTIN_NAMES.join(', ')}) or a scenario file (.yaml)`, (v, where, ctx) => {
    if (typeof v !== 'string' || !v) return INVALID;
    let ref: LabScenarioRef;
    if (BUILTIN_NAMES.includes(v)) ref = { kind: 'builtin', name: v };
    else if (/\.ya?ml$/i.test(v)) {
      const file = path.resolve(baseDir, v);
      try {
        ref = { kind: 'file', name: parseScenarioFile(file).name, file };
      } catch (err) {
        if (err instanceof ScenarioFileError) {
          for (const p of err.problems) ctx.problems.push({ path: where, message: `${file}: ${p}` });
        } else {
          const e = err as NodeJS.ErrnoException;
          ctx.problems.push({ path: where, message: e.code === 'ENOENT' ? `scenario file ${file} does not exist` : `cannot read scenario file ${file}: ${e.message.split('\n')[0]}` });
        }
        return INVALID;
      }
    } else return { problem: `unknown scenario ${JSON.stringify(v)}: expected one of ${BUILTIN_NAMES.join(', ')}, or a scenario file (.yaml)` };
    // The redirect scenario needs the second pair (DUT port1 -> generator port1); said here, whatever else is wrong.
    if (ref.kind === 'builtin' && ref.name === 'redirect') {
      const missing = ['generator', 'dut'].filter((role) => rawAt(ctx.root, `roles.${role}.interfaces.port1`) === undefined);
      if (missing.length) return { problem: `"redirect" needs a second interface pair: add port1 under ${missing.map((r) => `roles.${r}.interfaces`).join(' and ')}` };
    }
    return ref;
  });
}

const MODES = custom<XdpMode[]>(`all, or a list of ${ALL_MODES.join(', ')}`, (v, where, ctx) => {
  if (v === 'all') return [...ALL_MODES];
  if (!Array.isArray(v)) return INVALID;
  const r = list(oneOf(ALL_MODES), { min: 1, unique: true }).check(v, where, ctx);
  return r;
});

const RATE = custom<string>('0 (full speed), packets per second (1..1e9), or a percentage like "50%"', (v) => {
  const t = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : null;
  if (t === null) return INVALID;
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) return Number(pct[1]) > 0 && Number(pct[1]) <= 100 ? t : INVALID;
  if (!/^\d+(\.\d+)?$/.test(t)) return INVALID;
  const n = Number(t);
  return n === 0 || (n >= 1 && n <= 1e9) ? t : INVALID;
});

const THRESHOLD = custom<Threshold>('a threshold like drop-all/native/xdpPps<-5%', (v) => {
  if (typeof v !== 'string') return INVALID;
  try {
    return parseThreshold(v);
  } catch (err) {
    return { problem: (err as Error).message.replace(/^--fail-on /, '') };
  }
});

const SSH_OPTIONS = refine(
  record(/^[A-Za-z][A-Za-z0-9]*$/, 'an ssh_config option name (letters and digits)',
    custom<string>('a value on one line (text, number, true or false)', (v) =>
      typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'boolean' ? (v ? 'yes' : 'no') : INVALID)),
  (opts, where) => {
    const seen = new Map<string, string>();
    return Object.entries(opts).flatMap(([k, v]) => {
      const first = seen.get(k.toLowerCase());
      seen.set(k.toLowerCase(), first ?? k);
      const p = first ? `${first} is already given (ssh_config names ignore case; ssh would use the first)` : sshOptionProblem(k, v);
      return p ? [{ path: joinPath(where, k), message: p }] : [];
    });
  },
);

/* ---- the schema ---- */

/** The document's shape (cross-field checks are added by labConfigSchema). */
export function labDocSchema(file: string) {
  const baseDir = path.dirname(path.resolve(file));
  const iface = object({
    name: IFNAME,
    mac: optional(MAC),
    ip: IPV4_CIDR,
    /** IRQ affinity wish: CPUs for this interface's queue interrupts. */
    irqCpus: optional(CPU_LIST),
  });
  const role = object({
    host: keyOf('hosts', 'host'),
    interfaces: object({ port0: iface, port1: optional(iface) }),
    /** CPU pinning: generator threads (generator), NAPI/softirq of the DUT (dut). */
    cpus: optional(CPU_LIST),
    /** Interfaces of this role the safety check may let through by name (as --force-interface). */
    forceInterfaces: withDefault(list(IFNAME, { unique: true }), []),
  });
  // Any name a directory can have but control characters; no . or .. segments (the copy and the check must name the same files).
  const benchDir = withDefault(string({ pattern: /^(?!.*\/\.\.?(\/|$))\/[^\0-\x1f\x7f]*$/, expected: 'an absolute directory on that host (no control characters, no . or .. segments)' }), DEFAULT_BENCH_DIR);
  const host = tagged('kind', {
    local: { benchDir },
    ssh: {
      user: string({ pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/, expected: 'a login name (letters, digits, _ . -)' }),
      host: string({ pattern: /^(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[?[0-9A-Fa-f:.]+\]?)$/, expected: 'a host name or address (not starting with -)' }),
      port: withDefault(integer(1, 65535), DEFAULTS.sshPort),
      identity: pathIn(baseDir, 'the private key file (-i)', true),
      knownHosts: withDefault(pathIn(baseDir, 'a known_hosts file holding the host key'), path.join(homedir(), '.ssh', 'known_hosts')),
      options: withDefault(SSH_OPTIONS, {}),
      benchDir,
    },
  });
  return object({
    version: withDefault(literal(LAB_CONFIG_VERSION), LAB_CONFIG_VERSION),
    name: withDefault(string({ pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, expected: 'a label (letters, digits, . _ -)' }), path.basename(file).replace(/\.ya?ml$/i, '')),
    hosts: record(HOST_NAME, 'letters, digits, _ or -, up to 32', host, { min: 1 }),
    roles: object({ generator: role, dut: role }),
    scenarios: list(scenarioEntry(baseDir), { min: 1, unique: true }),
    modes: withDefault(MODES, [...ALL_MODES]),
    sizesBytes: withDefault(list(integer(MIN_PKT_SIZE_BYTES, MAX_PKT_SIZE_BYTES, `a frame size in bytes ${MIN_PKT_SIZE_BYTES}..${MAX_PKT_SIZE_BYTES}`), { min: 1, unique: true }), [...DEFAULTS.sizesBytes]),
    trials: withDefault(integer(LIMITS.trials[0], LIMITS.trials[1]), DEFAULTS.trials),
    durationS: withDefault(number(LIMITS.durationS[0], LIMITS.durationS[1], `seconds ${LIMITS.durationS[0]}..${LIMITS.durationS[1]}`), DEFAULTS.durationS),
    warmupS: withDefault(number(LIMITS.warmupS[0], LIMITS.warmupS[1], `seconds ${LIMITS.warmupS[0]}..${LIMITS.warmupS[1]}`), DEFAULTS.warmupS),
    intervalMs: withDefault(integer(LIMITS.intervalMs[0], LIMITS.intervalMs[1]), DEFAULTS.intervalMs),
    generator: withDefault(oneOf(GENERATOR_NAMES), DEFAULTS.generator),
    rate: withDefault(RATE, '0'),
    thresholds: withDefault(object({
      failOn: withDefault(list(THRESHOLD), []),
      alpha: withDefault(number(0.0001, 0.5, 'a significance level 0.0001..0.5'), DEFAULTS.alpha),
    }), { failOn: [], alpha: DEFAULTS.alpha }),
    baseline: optional(pathIn(baseDir, 'a directory of baseline results')),
    output: withDefault(pathIn(baseDir, 'a directory for the results'), path.join(baseDir, 'results')),
  });
}

/** The one definition: shape + cross-field checks. */
export function labConfigSchema(file: string) {
  return refine(labDocSchema(file), crossChecks);
}

type LabDoc = Infer<ReturnType<typeof labDocSchema>>;
export type LabConfig = LabDoc & { file: string };
export type LabHost = LabConfig['hosts'][string];
export type LabRole = LabConfig['roles']['dut'];
export type LabInterface = LabRole['interfaces']['port0'];
export type RoleName = keyof LabConfig['roles'];
export const ROLE_NAMES: readonly RoleName[] = ['generator', 'dut'];

/** Checks across fields, on a structurally valid document. */
function crossChecks(c: LabDoc): Problem[] {
  const problems: Problem[] = [];
  if (c.durationS * 1000 < c.intervalMs) problems.push({ path: 'intervalMs', message: `${c.intervalMs} ms is longer than durationS ${c.durationS} s: a trial needs at least one sampling interval` });
  const used = new Map<string, string>();
  for (const r of ROLE_NAMES) {
    const role = c.roles[r];
    const names: string[] = [];
    for (const port of ['port0', 'port1'] as const) {
      const i = role.interfaces[port];
      if (!i) continue;
      const where = `roles.${r}.interfaces.${port}.name`;
      const key = `${role.host}/${i.name}`;
      const other = used.get(key);
      if (other) problems.push({ path: where, message: `${i.name} on host ${role.host} is already ${other}: one interface, one job` });
      used.set(key, where.replace(/\.name$/, ''));
      names.push(i.name);
    }
    role.forceInterfaces.forEach((f, k) => {
      if (!names.includes(f)) problems.push({ path: `roles.${r}.forceInterfaces[${k}]`, message: `${f} is not one of this role's interfaces (${names.join(', ')})` });
    });
  }
  const scenarioNames = c.scenarios.map((s) => s.name);
  c.thresholds.failOn.forEach((t, k) => {
    const where = `thresholds.failOn[${k}]`;
    if (t.scenario !== '*' && !scenarioNames.includes(t.scenario)) problems.push({ path: where, message: `scenario ${t.scenario} is not run by this config (scenarios: ${scenarioNames.join(', ')}); it would never be checked` });
    if (t.mode !== '*' && !c.modes.includes(t.mode)) problems.push({ path: where, message: `mode ${t.mode} is not run by this config (modes: ${c.modes.join(', ')})` });
    if (t.pktSizeBytes !== '*' && !c.sizesBytes.includes(t.pktSizeBytes)) problems.push({ path: where, message: `size ${t.pktSizeBytes} is not run by this config (sizesBytes: ${c.sizesBytes.join(', ')})` });
  });
  return problems;
}

/* ---- parsing ---- */

export class LabConfigError extends UsageError {
  readonly file: string;
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.file = file;
    this.problems = problems;
  }
}

/** Reads and validates a lab config; throws LabConfigError with every problem (path: what is expected). */
export function parseLabConfig(file: string, text?: string): LabConfig {
  const abs = path.resolve(file);
  let source: string;
  try {
    source = text ?? readUserFile(abs, USER_FILE_CAPS.labConfig);
  } catch (err) {
    throw new LabConfigError(abs, [`cannot read the file: ${(err as Error).message}`]);
  }
  const docs = parseAllDocuments(source, { prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(docs)) throw new LabConfigError(abs, ['not valid YAML']);
  if (docs.length !== 1) throw new LabConfigError(abs, [`expected one YAML document, found ${docs.length}`]);
  const doc = docs[0]!;
  if (doc.errors.length) throw new LabConfigError(abs, doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`));
  const raw: unknown = doc.toJS();
  if (!isPlainObject(raw)) throw new LabConfigError(abs, ['expected a mapping with hosts, roles, scenarios, ...']);
  const result = validate(labConfigSchema(abs), raw);
  if (!result.ok) throw new LabConfigError(abs, result.problems.map(formatProblem));
  return { ...result.value, file: abs } as LabConfig;
}

/* ---- the plan ---- */

export type PlannedHost =
  | { kind: 'local'; name: string; benchDir: string }
  | { kind: 'ssh'; name: string; benchDir: string; target: SshTarget };

export interface PlannedInterface {
  port: 'port0' | 'port1';
  name: string;
  /** null: read from the device by the probe. */
  mac: string | null;
  ip: string;
  prefixLength: number;
  irqCpus: number[];
}

export interface PlannedRole {
  role: RoleName;
  host: PlannedHost;
  interfaces: PlannedInterface[];
  cpus: number[];
  forceInterfaces: string[];
}

export interface LabCase {
  index: number;
  scenario: string;
  scenarioSource: 'builtin' | string;
  mode: XdpMode;
  pktSizeBytes: number;
  trials: number;
}

export interface LabPlan {
  name: string;
  configFile: string;
  topology: 'physical';
  roles: Record<RoleName, PlannedRole>;
  /** scenario x mode x size, in run order (scenario outermost, as the runner attaches once per scenario and mode). */
  cases: LabCase[];
  trials: number;
  durationMs: number;
  warmupMs: number;
  sampleIntervalMs: number;
  generator: string;
  rate: string;
  thresholds: string[];
  alpha: number;
  baselineDir: string | null;
  outDir: string;
  totals: { cases: number; trials: number; estimatedMs: number };
}

/** The SSH target of a configured host (control sockets under /run/xdp-bench/ssh unless given). */
export function sshTargetOf(name: string, h: Extract<LabHost, { kind: 'ssh' }>, controlDir?: string): SshTarget {
  return {
    name,
    user: h.user,
    host: h.host,
    port: h.port,
    identityFile: h.identity,
    knownHostsFile: h.knownHosts,
    options: h.options,
    ...(controlDir ? { controlDir } : {}),
  };
}

function planHost(name: string, h: LabHost): PlannedHost {
  return h.kind === 'local' ? { kind: 'local', name, benchDir: h.benchDir } : { kind: 'ssh', name, benchDir: h.benchDir, target: sshTargetOf(name, h) };
}

export function expandLabPlan(c: LabConfig): LabPlan {
  const roles = {} as Record<RoleName, PlannedRole>;
  for (const r of ROLE_NAMES) {
    const role = c.roles[r];
    roles[r] = {
      role: r,
      host: planHost(role.host, c.hosts[role.host]!),
      interfaces: (['port0', 'port1'] as const).flatMap((port) => {
        const i = role.interfaces[port];
        return i ? [{ port, name: i.name, mac: i.mac ?? null, ip: i.ip.address, prefixLength: i.ip.prefixLength, irqCpus: i.irqCpus ?? [] }] : [];
      }),
      cpus: role.cpus ?? [],
      forceInterfaces: role.forceInterfaces,
    };
  }
  const cases: LabCase[] = [];
  for (const s of c.scenarios) {
    for (const mode of c.modes) {
      for (const size of c.sizesBytes) {
        cases.push({ index: cases.length + 1, scenario: s.name, scenarioSource: s.kind === 'builtin' ? 'builtin' : s.file, mode, pktSizeBytes: size, trials: c.trials });
      }
    }
  }
  const durationMs = Math.round(c.durationS * 1000);
  const warmupMs = Math.round(c.warmupS * 1000);
  return {
    name: c.name,
    configFile: c.file,
    topology: 'physical',
    roles,
    cases,
    trials: c.trials,
    durationMs,
    warmupMs,
    sampleIntervalMs: c.intervalMs,
    generator: c.generator,
    rate: c.rate,
    thresholds: c.thresholds.failOn.map((t) => t.text),
    alpha: c.thresholds.alpha,
    baselineDir: c.baseline ?? null,
    outDir: c.output,
    totals: { cases: cases.length, trials: cases.length * c.trials, estimatedMs: cases.length * (warmupMs + c.trials * durationMs) },
  };
}

/* ---- --dry-run ---- */

function hostLine(h: PlannedHost): string {
  if (h.kind === 'local') return `${h.name}: local`;
  const t = h.target;
  const opts = Object.entries(t.options ?? {}).map(([k, v]) => `${k}=${v}`);
  return `${h.name}: ssh ${t.user}@${t.host}:${t.port}, key ${t.identityFile}, host keys from ${t.knownHostsFile}${opts.length ? `, ${opts.join(' ')}` : ''}`;
}

/** What `bench run --config lab.yaml --dry-run` prints: nothing is touched. */
export function renderLabPlan(p: LabPlan): string {
  const out: string[] = [];
  out.push(`lab ${p.name} (${p.configFile}): topology physical, dry run: nothing is touched`);
  out.push('');
  for (const r of ROLE_NAMES) {
    const role = p.roles[r];
    out.push(`${r} on ${hostLine(role.host)}`);
    out.push(`  helper and objects in ${role.host.benchDir}`);
    for (const i of role.interfaces) {
      out.push(`  ${i.port}  ${i.name}  ${i.mac ?? 'mac from device'}  ${i.ip}/${i.prefixLength}${i.irqCpus.length ? `  IRQs on CPUs ${i.irqCpus.join(',')}` : ''}`);
    }
    if (role.cpus.length) out.push(`  ${r === 'generator' ? 'generator threads' : 'NAPI'} on CPUs ${role.cpus.join(',')}`);
    if (role.forceInterfaces.length) out.push(`  safety check forced for: ${role.forceInterfaces.join(', ')}`);
  }
  out.push('');
  // The cases, generator and timing: the run's plan (harness/plan/render-plan.ts), printed after this.
  out.push(p.thresholds.length ? `fail on (alpha ${p.alpha}): ${p.thresholds.join('; ')}` : 'no thresholds: the run never fails on a regression');
  out.push(`baseline: ${p.baselineDir ?? 'none (give --baseline DIR or baseline: in the config)'}`);
  out.push(`output: ${p.outDir}`);
  return `${out.join('\n')}\n`;
}

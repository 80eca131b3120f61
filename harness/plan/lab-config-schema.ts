/* The lab config's zod schema: the ONE definition of what a lab.yaml may say;
 * validation and the `LabConfig` type both come from it (zod pieces from
 * ground/validation.ts). Every problem is reported at once, each with its
 * field path and what is expected (`hosts.dut.port: expected an integer
 * 1..65535, got 70000`). Relative paths are relative to the config file. */
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { GENERATOR_NAMES } from '../../drivers/generators.ts';
import { sshOptionProblem } from '../../drivers/ssh.ts';
import { parseThreshold, type Threshold } from '../analysis/threshold.ts';
import { RUN_DEFAULTS } from './defaults.ts';
import { SCENARIOS } from '../../scenarios/builtin.ts';
import { parseScenarioFile, ScenarioFileError } from '../../scenarios/scenario-file.ts';
import { MAX_PKT_SIZE_BYTES, MIN_PKT_SIZE_BYTES } from '../../ground/frame.ts';
import { ALL_MODES, type XdpMode } from '../../ground/result-schema.ts';
import { XDP_MODE_NAMES } from '../../ground/xdp.ts';
import {
  custom, decimal, describeValue, fields, integer, isPlainObject, list, literal, names, oneOf, rateText, reissue, report, tagged, text,
} from '../../ground/validation.ts';
import { LIMITS } from './run-options.ts';

export const LAB_CONFIG_VERSION = 1;
export const DEFAULT_BENCH_DIR = '/var/lib/xdp-bench';
export const DEFAULTS = {
  trials: RUN_DEFAULTS.trials, durationS: RUN_DEFAULTS.durationS, warmupS: RUN_DEFAULTS.warmupS, intervalMs: RUN_DEFAULTS.intervalMs,
  sizesBytes: RUN_DEFAULTS.sizesBytes, generator: RUN_DEFAULTS.generator, alpha: 0.05, sshPort: 22,
} as const;

/* ---- leaves ---- */

const IFNAME = text({ pattern: /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,14}$/, expected: 'an interface name (1-15 of letters, digits, _ . @ -)' });
const MAC = text({ pattern: /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, expected: 'a MAC address like 02:00:00:00:00:01' }).transform((m) => m.toLowerCase());

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
  if (typeof v !== 'string') return undefined;
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(v);
  if (!m || ipv4ToInt(m[1]!) === null || Number(m[2]) < 1 || Number(m[2]) > 32) return undefined;
  return { address: m[1]!, prefixLength: Number(m[2]) };
});

const CPU_LIST = list(integer(0, 4095, 'a CPU number 0..4095'), { min: 1, unique: true });

/** A path in the config: "~/" kept for ssh to expand (identity), else made absolute against the config's directory. */
function pathIn(baseDir: string, what: string, keepTilde = false) {
  return text({ expected: what, pattern: /^[^\0\n]+$/ }).transform((p) => {
    if (p === '~' || p.startsWith('~/')) return keepTilde ? p : path.join(homedir(), p.slice(1));
    return path.resolve(baseDir, p);
  });
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const BUILTIN_NAMES = SCENARIOS.map((s) => s.name);

/** The raw value at a dotted path of the document (for cross-field checks that must not wait for validity). */
function rawAt(root: unknown, dotted: string): unknown {
  let cur: unknown = root;
  for (const part of dotted.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** A name that must be a key of the mapping at `rootField` of the raw document (checked even when that mapping has problems). */
function keyOf(root: unknown, rootField: string, what: string) {
  const table = rawAt(root, rootField);
  const known = isPlainObject(table) ? Object.keys(table) : [];
  return custom<string>(`the name of a ${what} under ${rootField}`, (v) => {
    if (typeof v === 'string' && known.includes(v)) return v;
    return { problem: `${typeof v === 'string' ? `no ${what} named ${JSON.stringify(v)}` : `got ${describeValue(v)}`}: expected one of ${known.length ? known.join(', ') : `(none defined under ${rootField})`}` };
  });
}

/** A scenario entry: a built-in name, or a scenario file (parsed here: its problems are reported with this entry's path). */
export type LabScenarioRef =
  | { kind: 'builtin'; name: string }
  | { kind: 'file'; name: string; file: string };

function scenarioEntry(baseDir: string, root: unknown) {
  return custom<LabScenarioRef>(`a built-in scenario (${BUILTIN_NAMES.join(', ')}) or a scenario file (.yaml)`, (v, ctx) => {
    if (typeof v !== 'string' || !v) return undefined;
    let ref: LabScenarioRef;
    if (BUILTIN_NAMES.includes(v)) ref = { kind: 'builtin', name: v };
    else if (/\.ya?ml$/i.test(v)) {
      const file = path.resolve(baseDir, v);
      try {
        ref = { kind: 'file', name: parseScenarioFile(file).name, file };
      } catch (err) {
        if (err instanceof ScenarioFileError) for (const p of err.problems) report(ctx, `${file}: ${p}`);
        else {
          const e = err as NodeJS.ErrnoException;
          report(ctx, e.code === 'ENOENT' ? `scenario file ${file} does not exist` : `cannot read scenario file ${file}: ${e.message.split('\n')[0]}`);
        }
        return z.NEVER;
      }
    } else return { problem: `unknown scenario ${JSON.stringify(v)}: expected one of ${BUILTIN_NAMES.join(', ')}, or a scenario file (.yaml)` };
    // The redirect scenario needs the second pair (DUT port1 -> generator port1); said here, whatever else is wrong.
    if (ref.kind === 'builtin' && ref.name === 'redirect') {
      const missing = ['generator', 'dut'].filter((role) => rawAt(root, `roles.${role}.interfaces.port1`) === undefined);
      if (missing.length) return { problem: `"redirect" needs a second interface pair: add port1 under ${missing.map((r) => `roles.${r}.interfaces`).join(' and ')}` };
    }
    return ref;
  });
}

const MODE_LIST = list(oneOf(XDP_MODE_NAMES), { min: 1, unique: true });
const MODES = custom<XdpMode[]>(`all, or a list of ${ALL_MODES.join(', ')}`, (v, ctx) => {
  if (v === 'all') return [...ALL_MODES];
  if (!Array.isArray(v)) return undefined;
  const r = MODE_LIST.safeParse(v);
  return r.success ? r.data : (reissue(ctx, r.error), z.NEVER);
});

const RATE = custom<string>('0 (full speed), packets per second (1..1e9), or a percentage like "50%"', rateText);

const THRESHOLD = custom<Threshold>('a threshold like drop-all/native/xdpPps<-5%', (v) => {
  if (typeof v !== 'string') return undefined;
  try {
    return parseThreshold(v);
  } catch (err) {
    return { problem: (err as Error).message.replace(/^--fail-on /, '') };
  }
});

const SSH_OPTIONS = names(/^[A-Za-z][A-Za-z0-9]*$/, 'an ssh_config option name (letters and digits)',
  custom<string>('a value on one line (text, number, true or false)', (v) =>
    typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'boolean' ? (v ? 'yes' : 'no') : undefined),
).superRefine((opts, ctx) => {
  const seen = new Map<string, string>();
  for (const [k, v] of Object.entries(opts)) {
    const first = seen.get(k.toLowerCase());
    seen.set(k.toLowerCase(), first ?? k);
    const p = first ? `${first} is already given (ssh_config names ignore case; ssh would use the first)` : sshOptionProblem(k, v);
    if (p) report(ctx, p, [k]);
  }
});

/* ---- the schema ---- */

/** The document's shape. `root`: the raw document, for names that must be defined elsewhere in it (roles' hosts, redirect's port1). */
export function labDocSchema(file: string, root: unknown) {
  const baseDir = path.dirname(path.resolve(file));
  const iface = fields({
    name: IFNAME,
    mac: MAC.optional(),
    ip: IPV4_CIDR,
    /** IRQ affinity wish: CPUs for this interface's queue interrupts. */
    irqCpus: CPU_LIST.optional(),
  });
  const role = fields({
    host: keyOf(root, 'hosts', 'host'),
    interfaces: fields({ port0: iface, port1: iface.optional() }),
    /** CPU pinning: generator threads (generator), NAPI/softirq of the DUT (dut). */
    cpus: CPU_LIST.optional(),
    /** Interfaces of this role the safety check may let through by name (as --force-interface). */
    forceInterfaces: list(IFNAME, { unique: true }).default([]),
  });
  // Any name a directory can have but control characters; no . or .. segments (the copy and the check must name the same files).
  const benchDir = text({ pattern: /^(?!.*\/\.\.?(\/|$))\/[^\0-\x1f\x7f]*$/, expected: 'an absolute directory on that host (no control characters, no . or .. segments)' }).default(DEFAULT_BENCH_DIR);
  const host = tagged('kind', {
    local: { benchDir },
    ssh: {
      user: text({ pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/, expected: 'a login name (letters, digits, _ . -)' }),
      host: text({ pattern: /^(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[?[0-9A-Fa-f:.]+\]?)$/, expected: 'a host name or address (not starting with -)' }),
      port: integer(1, 65535).default(DEFAULTS.sshPort),
      identity: pathIn(baseDir, 'the private key file (-i)', true),
      knownHosts: pathIn(baseDir, 'a known_hosts file holding the host key').default(path.join(homedir(), '.ssh', 'known_hosts')),
      options: SSH_OPTIONS.default({}),
      benchDir,
    },
  });
  const seconds = (lim: readonly [number, number]) => decimal(lim[0], lim[1], `seconds ${lim[0]}..${lim[1]}`);
  return fields({
    version: literal(LAB_CONFIG_VERSION).default(LAB_CONFIG_VERSION),
    name: text({ pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, expected: 'a label (letters, digits, . _ -)' }).default(path.basename(file).replace(/\.ya?ml$/i, '')),
    hosts: names(HOST_NAME, 'letters, digits, _ or -, up to 32', host, { min: 1 }),
    roles: fields({ generator: role, dut: role }),
    scenarios: list(scenarioEntry(baseDir, root), { min: 1, unique: true }),
    modes: MODES.default([...ALL_MODES]),
    sizesBytes: list(integer(MIN_PKT_SIZE_BYTES, MAX_PKT_SIZE_BYTES, `a frame size in bytes ${MIN_PKT_SIZE_BYTES}..${MAX_PKT_SIZE_BYTES}`), { min: 1, unique: true }).default([...DEFAULTS.sizesBytes]),
    trials: integer(LIMITS.trials[0], LIMITS.trials[1]).default(DEFAULTS.trials),
    durationS: seconds(LIMITS.durationS).default(DEFAULTS.durationS),
    warmupS: seconds(LIMITS.warmupS).default(DEFAULTS.warmupS),
    intervalMs: integer(LIMITS.intervalMs[0], LIMITS.intervalMs[1]).default(DEFAULTS.intervalMs),
    generator: oneOf(GENERATOR_NAMES).default(DEFAULTS.generator),
    rate: RATE.default('0'),
    thresholds: fields({
      failOn: list(THRESHOLD).default([]),
      alpha: decimal(0.0001, 0.5, 'a significance level 0.0001..0.5').default(DEFAULTS.alpha),
    }).default({ failOn: [], alpha: DEFAULTS.alpha }),
    baseline: pathIn(baseDir, 'a directory of baseline results').optional(),
    output: pathIn(baseDir, 'a directory for the results').default(path.join(baseDir, 'results')),
  });
}

type LabDoc = z.output<ReturnType<typeof labDocSchema>>;
export type LabConfig = LabDoc & { file: string };
export type LabHost = LabConfig['hosts'][string];
export type LabRole = LabConfig['roles']['dut'];
export type LabInterface = LabRole['interfaces']['port0'];
export type RoleName = keyof LabConfig['roles'];
export const ROLE_NAMES: readonly RoleName[] = ['generator', 'dut'];

/** The one definition: the document's shape, then (once it is sound) the checks across fields. */
export function labConfigSchema(file: string, root: unknown) {
  return labDocSchema(file, root).superRefine(crossChecks, { when: (payload) => payload.issues.length === 0 });
}

/** Checks across fields, on a structurally valid document. */
function crossChecks(c: LabDoc, ctx: z.RefinementCtx): void {
  if (c.durationS * 1000 < c.intervalMs) report(ctx, `${c.intervalMs} ms is longer than durationS ${c.durationS} s: a trial needs at least one sampling interval`, ['intervalMs']);
  const used = new Map<string, string>();
  for (const r of ROLE_NAMES) {
    const role = c.roles[r];
    const ifnames: string[] = [];
    for (const port of ['port0', 'port1'] as const) {
      const i = role.interfaces[port];
      if (!i) continue;
      const key = `${role.host}/${i.name}`;
      const other = used.get(key);
      if (other) report(ctx, `${i.name} on host ${role.host} is already ${other}: one interface, one job`, ['roles', r, 'interfaces', port, 'name']);
      used.set(key, `roles.${r}.interfaces.${port}`);
      ifnames.push(i.name);
    }
    role.forceInterfaces.forEach((f, k) => {
      if (!ifnames.includes(f)) report(ctx, `${f} is not one of this role's interfaces (${ifnames.join(', ')})`, ['roles', r, 'forceInterfaces', k]);
    });
  }
  const scenarioNames = c.scenarios.map((s) => s.name);
  c.thresholds.failOn.forEach((t, k) => {
    const where = ['thresholds', 'failOn', k];
    if (t.scenario !== '*' && !scenarioNames.includes(t.scenario)) report(ctx, `scenario ${t.scenario} is not run by this config (scenarios: ${scenarioNames.join(', ')}); it would never be checked`, where);
    if (t.mode !== '*' && !c.modes.includes(t.mode)) report(ctx, `mode ${t.mode} is not run by this config (modes: ${c.modes.join(', ')})`, where);
    if (t.pktSizeBytes !== '*' && !c.sizesBytes.includes(t.pktSizeBytes)) report(ctx, `size ${t.pktSizeBytes} is not run by this config (sizesBytes: ${c.sizesBytes.join(', ')})`, where);
  });
}

/* Lab config (YAML) for `bench run --config lab.yaml`: hosts (local or SSH),
 * the generator and DUT roles with their interfaces, CPU pinning and IRQ
 * affinity wishes, scenarios x modes x sizes, trials and durations,
 * thresholds, baseline and output.
 *
 * What a config may say is defined once, as a zod schema, in
 * lab-config-schema.ts (validation and the `LabConfig` type both come from
 * it); here: reading it, the plan it expands to, and its --dry-run text.
 */
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { SshTarget } from '../../drivers/ssh.ts';
import { USER_FILE_CAPS, readUserFile } from '../../ground/user-file.ts';
import { UsageError } from '../../ground/errors.ts';
import type { XdpMode } from '../../ground/result-schema.ts';
import { formatProblem, isPlainObject, validate } from '../../ground/validation.ts';
import { labConfigSchema, ROLE_NAMES, type LabConfig, type LabHost, type RoleName } from './lab-config-schema.ts';

export {
  DEFAULT_BENCH_DIR, DEFAULTS, LAB_CONFIG_VERSION, labConfigSchema, labDocSchema, ROLE_NAMES,
  type Ipv4Cidr, type LabConfig, type LabHost, type LabInterface, type LabRole, type LabScenarioRef, type RoleName,
} from './lab-config-schema.ts';

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
  const result = validate(labConfigSchema(abs, raw), raw);
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

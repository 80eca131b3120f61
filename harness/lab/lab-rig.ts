/* Topology `physical`: a lab's existing NICs on the generator and DUT hosts,
 * reached locally or over SSH. Nothing is created or reconfigured on them.
 *
 * Before anything is taken, anywhere (checkLab, all read-only; `--dry-run`
 * shows it): the safety check refuses interfaces that carry a host's
 * management traffic (default or split-default route, an SSH session),
 * unless forced by name; the helper and objects on every host match this
 * controller's build (`bench lab prepare` puts them there); every interface
 * is probed (link up, carrier, no XDP program of someone else's).
 * Then, each on the cleanup stack: the DUT lock, a cleanup guard per host,
 * bpffs pins, the DUT object and the generator-side sinks.
 *
 * The guard (`xdpb guard`) is the remote half of the cleanup stack: a
 * process on each host that hears a heartbeat from this controller every
 * second; at EOF (the controller closed it or died) or after
 * GUARD_IDLE_TIMEOUT_MS of silence (the link is gone) it detaches every mode
 * from the run's interfaces, removes the run's pins and kills the run's
 * processes there. The controller releases everything itself first; the
 * guard then finds nothing left. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { labFilesOn, localHost, sshHost, type Host } from '../../drivers/host.ts';
import { sha256sumOn } from '../../drivers/sha256sum.ts';
import { physicalProblems, probePhysicalInterface, type PhysicalInterface } from '../../drivers/physical-topology.ts';
import type { Endpoint } from '../../drivers/veth-topology.ts';
import { attachProgram, detachProgram, loadObject, pinOf, type LoadedObject } from '../../drivers/xdpb-helper.ts';
import type { CleanupStack } from '../run/cleanup-stack.ts';
import { acquireDutLock, acquireRemoteDutLock, takeoverNote } from './dut-lock.ts';
import { BenchError, CommandError, EXIT, KernelRefusalError, MissingCapabilityError } from '../../ground/errors.ts';
import { assertSafeToAttach, findProtectedInterfaces, ProtectedInterfaceError, type AttachClearance, type ProtectedInterface } from './interface-safety.ts';
import { ROLE_NAMES, type LabPlan, type PlannedHost, type PlannedInterface, type RoleName } from '../plan/lab-config.ts';
import { BPFFS_ROOT } from '../../ground/paths.ts';
import type { LabRecord } from '../../ground/result-schema.ts';
import type { LinkTopology } from '../run/link-topology.ts';
import { SOURCE } from '../analysis/trial-analysis.ts';

export interface LabRunOptions {
  plan: LabPlan;
  /** --force-interface: interfaces the safety check lets through, on any role (added to the config's forceInterfaces). */
  forceInterfaces: string[];
  /** checkLab's findings, when the caller ran it before creating anything. */
  checked?: LabChecks;
}

export interface LabRig {
  topology: LinkTopology;
  genHost: Host;
  dutHost: Host;
  dutDriver: string;
  dut: LoadedObject;
  sinkStatsPins: Record<string, string>;
  record: LabRecord;
}

export interface RigLog {
  info(line: string): void;
}

/** One Host per configured host name: both roles on one host share it. */
function hostsOf(plan: LabPlan): Record<RoleName, Host> {
  const byName = new Map<string, Host>();
  const hostFor = (h: PlannedHost): Host => {
    let host = byName.get(h.name);
    if (!host) {
      host = h.kind === 'local' ? { ...localHost, name: h.name } : sshHost(h.name, h.target, h.benchDir);
      byName.set(h.name, host);
    }
    return host;
  };
  return { generator: hostFor(plan.roles.generator.host), dut: hostFor(plan.roles.dut.host) };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Why the lab host does not run exactly this build (the same helper and compiled objects); empty when it does. */
async function labFileProblems(host: Host, configFile: string): Promise<string[]> {
  if (host.kind === 'local') return [];
  const files = labFilesOn(host);
  const sums = await sha256sumOn(host.exec, files.map((f) => f.onHost));
  const stale = files.filter((f) => sums.get(f.onHost) !== sha256(f.local)).map((f) => f.onHost);
  if (!stale.length) return [];
  return [`${host.name}: ${stale.join(', ')} ${sums.size ? 'differ from this build or are missing' : 'are missing'}; run: bench lab prepare --config ${configFile}`];
}

/** The safety verdict on one interface a run would attach to. */
export interface InterfaceVerdict extends AttachClearance {
  role: RoleName;
  port: 'port0' | 'port1';
  host: string;
  /** Set when the run would refuse this interface. */
  refusal: ProtectedInterfaceError | null;
}

/** What the read-only checks found on the lab's hosts. */
export interface LabChecks {
  verdicts: InterfaceVerdict[];
  /** The lab is not ready: stale or missing files, interfaces down, taken or unreadable. */
  problems: string[];
  /** Probe of each planned interface, by "role/port". */
  probes: Map<string, PhysicalInterface>;
}

/**
 * Read-only, before anything is created anywhere (`--dry-run` shows it; a
 * run refused here leaves no out dir): the safety verdict on every interface
 * a program would go on (the DUT's, and the generator side's sinks), then
 * this build's files on every host, then a probe of every interface.
 */
export async function checkLab(plan: LabPlan, forceInterfaces: readonly string[]): Promise<LabChecks> {
  const hosts = hostsOf(plan);
  const distinct = [...new Set(Object.values(hosts))];
  const protectedOn = new Map<Host, ProtectedInterface[]>();
  for (const h of distinct) protectedOn.set(h, await findProtectedInterfaces(h.exec));
  const verdicts: InterfaceVerdict[] = [];
  const problems: string[] = [];
  const probes = new Map<string, PhysicalInterface>();
  for (const role of ROLE_NAMES) {
    const host = hosts[role];
    const planned = plan.roles[role];
    for (const i of planned.interfaces) {
      const where = { role, port: i.port, host: host.name };
      try {
        verdicts.push({ ...assertSafeToAttach(i.name, protectedOn.get(host)!, [...planned.forceInterfaces, ...forceInterfaces], host.name), ...where, refusal: null });
      } catch (err) {
        if (!(err instanceof ProtectedInterfaceError)) throw err;
        verdicts.push({ ifname: i.name, forced: false, reasons: err.reasons, ...where, refusal: err });
      }
    }
  }
  for (const h of distinct) problems.push(...(await labFileProblems(h, plan.configFile)));
  for (const role of ROLE_NAMES) {
    const host = hosts[role];
    for (const i of plan.roles[role].interfaces) {
      try {
        const p = await probePhysicalInterface(host.exec, i.name);
        probes.set(`${role}/${i.port}`, p);
        problems.push(...physicalProblems(p).map((m) => `${role} on ${host.name}: ${m}`));
      } catch (err) {
        // A lost connection (or an interrupt) is not a property of the interface.
        if (err instanceof BenchError && !(err instanceof CommandError)) throw err;
        problems.push(`${role} on ${host.name}: cannot read ${i.name}: ${err instanceof CommandError ? err.stderrTail || err.message : (err as Error).message}`);
      }
    }
  }
  return { verdicts, problems, probes };
}

/** The exit a run would take on these checks: a refusal (2) before a lab that is not ready (3). */
export function assertLabReady(c: LabChecks): void {
  const refused = c.verdicts.find((v) => v.refusal);
  if (refused) throw refused.refusal!;
  if (c.problems.length) throw new BenchError(`the lab is not ready:\n${c.problems.map((p) => `  ${p}`).join('\n')}`, EXIT.missingCapability);
}

/** The `--dry-run` lines: the verdict per interface, then what is not ready. */
export function renderLabChecks(c: LabChecks): string {
  const out = ['safety check (read on the hosts; nothing created):'];
  for (const v of c.verdicts) {
    const head = `  ${v.role} ${v.port} ${v.ifname} on ${v.host}: `;
    if (v.refusal) out.push(`${head}REFUSED: it ${v.reasons.join('; it ')}; a run stops here (exit ${EXIT.usage}) unless forced: --force-interface ${v.ifname}`);
    else if (v.forced) out.push(`${head}forced by name: it ${v.reasons.join('; it ')}`);
    else out.push(`${head}ok (carries no default route, split default or SSH session)`);
  }
  out.push(c.problems.length ? `not ready (a run stops with exit ${EXIT.missingCapability}):` : 'hosts ready: this build\'s helper and objects in place, every interface up with carrier and no XDP program');
  out.push(...c.problems.map((p) => `  ${p}`));
  return `${out.join('\n')}\n`;
}

/** `--dry-run`'s exit: what the run would exit with before measuring anything. */
export function labChecksExit(c: LabChecks): number {
  return c.verdicts.some((v) => v.refusal) ? EXIT.usage : c.problems.length ? EXIT.missingCapability : EXIT.ok;
}

const BPFFS_SCRIPT = `[ "$(stat -f -c %T "$1" 2>/dev/null)" = bpf_fs ] || mount -t bpf bpf "$1"`;

/** A guard that has heard no heartbeat for this long cleans up: the controller or the link is gone. */
export const GUARD_IDLE_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 1000;

/** `xdpb guard` (native/cmd_guard.c): detaches, unpins and kills the run's processes when the controller goes away. */
export function guardArgv(host: Host, pinRoot: string, runId: string, ifnames: readonly string[]): string[] {
  return [host.helperPath, 'guard', '--pin-dir', pinRoot, '--idle-timeout-ms', String(GUARD_IDLE_TIMEOUT_MS),
    ...ifnames.flatMap((d) => ['--guard-dev', d]),
    // The sampler names the pin dir; the DUT lock holder names the run id.
    '--kill-matching', pinRoot, '--kill-matching', `"runId":"${runId}"`];
}

function endpointOf(i: PlannedInterface, probe: PhysicalInterface, host: string): Endpoint {
  const mac = i.mac ?? probe.macAddress;
  if (!mac) throw new MissingCapabilityError(`${host}: ${i.name} reports no MAC address; give it in the config (mac:)`);
  return { netns: '', dev: i.name, mac, ip: i.ip };
}

async function hostFacts(host: Host): Promise<{ kernel: string; hostname: string; cpuCount: number }> {
  const text = async (argv: string[]) => (await host.exec(argv, { timeoutMs: 15_000 })).stdout.trim();
  return { kernel: await text(['uname', '-r']), hostname: await text(['uname', '-n']), cpuCount: Number(await text(['nproc'])) };
}

/** Sets up a lab run on `plan`'s hosts; every resource taken is on `stack`. */
export async function setUpLabRig(runId: string, pinRoot: string, o: LabRunOptions, stack: CleanupStack, log: RigLog): Promise<LabRig> {
  const plan = o.plan;
  const hosts = hostsOf(plan);
  const distinct = [...new Set(Object.values(hosts))];
  // Read-only checks first (done by the caller before anything was created, or here).
  const checks = o.checked ?? (await checkLab(plan, o.forceInterfaces));
  assertLabReady(checks);
  const probes = checks.probes;
  const clearances = checks.verdicts;
  log.info(`lab: helper and objects on ${distinct.map((h) => h.name).join(', ')} match this build`);
  log.info(`lab: probed ${clearances.map((c) => `${c.ifname} on ${c.host}`).join(', ')}; safety check passed`);
  for (const c of clearances.filter((c) => c.forced)) log.info(`safety: ${c.ifname} on ${c.host} ${c.reasons.join('; ')}: attaching anyway, forced by name`);

  const dutPort0 = plan.roles.dut.interfaces[0]!;
  const lock = hosts.dut.kind === 'ssh'
    ? await acquireRemoteDutLock(hosts.dut.target!, { dutHost: hosts.dut.name, ifname: dutPort0.name, runId })
    : await acquireDutLock({ dutHost: hosts.dut.name, ifname: dutPort0.name, runId });
  stack.push(`DUT lock ${lock.path}`, async () => lock.release());
  log.info(`lab: DUT locked (${lock.path})`);
  const took = takeoverNote(lock);
  if (took) log.info(took);

  // The lock first: a run refused by it must not start a guard, which would detach the holder's program.
  for (const h of distinct) {
    const ifnames = (['generator', 'dut'] as const).filter((r) => hosts[r] === h).flatMap((r) => plan.roles[r].interfaces.map((i) => i.name));
    const proc = h.spawn(guardArgv(h, pinRoot, runId, ifnames), { stdinIsInput: true });
    // A lost connection closes the pipe: the write then fails quietly, and the guard's idle timeout takes over.
    proc.child.stdin?.on('error', () => undefined);
    const heartbeat = setInterval(() => {
      if (proc.child.stdin && !proc.child.stdin.destroyed) proc.child.stdin.write('.');
    }, HEARTBEAT_MS);
    heartbeat.unref();
    stack.push(`cleanup guard on ${h.name}`, async () => {
      clearInterval(heartbeat);
      await proc.stop(15_000);
    });
    await h.exec(['sh', '-c', BPFFS_SCRIPT, 'xdpb-bpffs', BPFFS_ROOT], { timeoutMs: 15_000 }).catch((err: Error) => {
      throw new MissingCapabilityError(`${h.name}: cannot mount bpffs on ${BPFFS_ROOT}: ${err.message}`);
    });
    await h.exec(['mkdir', '-p', '--', pinRoot]);
    stack.push(`pins ${pinRoot} on ${h.name}`, async () => void (await h.exec(['rm', '-rf', '--', pinRoot])));
  }

  const ep = (role: RoleName, port: 'port0' | 'port1'): Endpoint | null => {
    const i = plan.roles[role].interfaces.find((x) => x.port === port);
    return i ? endpointOf(i, probes.get(`${role}/${port}`)!, hosts[role].name) : null;
  };
  const topology: LinkTopology = { dutNetns: '', gen0: ep('generator', 'port0')!, dut0: ep('dut', 'port0')!, gen1: ep('generator', 'port1'), dut1: ep('dut', 'port1') };

  const dut = await loadObject(hosts.dut.benchObject, `${pinRoot}/dut`, {}, hosts.dut);
  // Sinks count what comes back to the generator side (reflected, redirected frames).
  const sinkStatsPins: Record<string, string> = {};
  const sinks = [[SOURCE.sinkGen0, topology.gen0], [SOURCE.sinkGen1, topology.gen1]] as const;
  for (const [label, end] of sinks) {
    if (!end) continue;
    const sink = await loadObject(hosts.generator.benchObject, `${pinRoot}/${label}`, {}, hosts.generator);
    const prog = pinOf(sink, 'prog', 'xdp_drop');
    let mode: 'native' | 'generic' = 'native';
    try {
      await attachProgram({ netns: '', dev: end.dev, mode }, { pin: prog }, hosts.generator);
    } catch (err) {
      if (!(err instanceof KernelRefusalError)) throw err;
      mode = 'generic'; // a sink only needs to count; the generator's NIC may not do native XDP
      await attachProgram({ netns: '', dev: end.dev, mode }, { pin: prog }, hosts.generator);
    }
    stack.push(`sink on ${end.dev} (${hosts.generator.name})`, () => detachProgram({ netns: '', dev: end.dev, mode }, hosts.generator));
    sinkStatsPins[label] = pinOf(sink, 'map', 'xdpb_stats');
  }

  const facts = new Map<Host, Awaited<ReturnType<typeof hostFacts>>>();
  for (const h of distinct) facts.set(h, await hostFacts(h));
  const record: LabRecord = {
    name: plan.name,
    configFile: plan.configFile,
    hosts: distinct.map((h) => ({
      name: h.name,
      kind: h.kind,
      roles: (['generator', 'dut'] as const).filter((r) => hosts[r] === h),
      ...(h.target ? { destination: `${h.target.user}@${h.target.host}:${h.target.port}` } : {}),
      ...facts.get(h)!,
    })),
    interfaces: (['generator', 'dut'] as const).flatMap((role) => plan.roles[role].interfaces.map((i) => {
      const p = probes.get(`${role}/${i.port}`)!;
      const c = clearances.find((x) => x.role === role && x.ifname === i.name)!;
      return {
        role, host: hosts[role].name, port: i.port, ifname: i.name, macAddress: p.macAddress, driver: p.driver.value?.driver ?? null,
        driverVersion: p.driver.value?.version ?? null, firmwareVersion: p.driver.value?.firmwareVersion ?? null, busInfo: p.driver.value?.busInfo ?? null,
        linkSpeedMbps: p.linkSpeedMbps.value, numRxQueues: p.numRxQueues, numTxQueues: p.numTxQueues,
        xdpFeatures: p.xdpFeatures.value, mtuBytes: p.mtuBytes, irqCpus: i.irqCpus, safetyForced: c.forced, safetyReasons: c.reasons,
      };
    })),
    lock: lock.path,
    clockAlignment: [],
  };
  const dutDriver = probes.get('dut/port0')!.driver.value?.driver ?? probes.get('dut/port0')!.linkKind ?? 'unknown';
  return { topology, genHost: hosts.generator, dutHost: hosts.dut, dutDriver, dut, sinkStatsPins, record };
}

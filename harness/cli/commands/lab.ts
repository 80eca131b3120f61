/* A hardware lab from its config: `bench run --config lab.yaml` (optionally
 * gated on a baseline), and `bench lab prepare`, which puts this build's
 * helper and BPF objects on the lab hosts. */
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chooseGenerator } from '../../../drivers/generators.ts';
import { LAB_FILES, labFilesOn, sshHost, type Host } from '../../../drivers/host.ts';
import { sha256sumOn } from '../../../drivers/sha256sum.ts';
import { closeMaster, SshConnectionError } from '../../../drivers/ssh.ts';
import { liveGenerator } from '../../../drivers/live-generator.ts';
import type { TrafficDriver } from '../../../drivers/traffic-driver.ts';
import { findScenario, type Scenario } from '../../../scenarios/builtin.ts';
import { parseScenarioFile } from '../../../scenarios/scenario-file.ts';
import { BenchError, EXIT, InterruptedError, MissingCapabilityError, UsageError } from '../../../ground/errors.ts';
import { expandLabPlan, parseLabConfig, renderLabPlan, type LabPlan } from '../../plan/lab-config.ts';
import { assertLabReady, checkLab, labChecksExit, renderLabChecks, type LabChecks } from '../../lab/lab-rig.ts';
import { loadResults, RESULTS_FILE_NAME } from '../../results/results-io.ts';
import { checkOutDir, outDirForRun } from '../../run/out-dir.ts';
import { DutLockedError } from '../../lab/dut-lock.ts';
import type { RunResults } from '../../../ground/result-schema.ts';
import { parseRate } from '../../../ground/values.ts';
import { newRunId, runBench } from '../../run/runner.ts';
import { planRun, type RunPlan } from '../../plan/plan.ts';
import { RUN_DEFAULTS } from '../../plan/defaults.ts';
import { renderPlan } from '../../plan/render-plan.ts';
import { resourcePrefix } from '../../run/run-registry.ts';
import type { CpuPlacement } from '../../../drivers/napi-placement.ts';
import type { RateSpec } from '../../../ground/values.ts';
import type { LabRunOptions } from '../../lab/lab-rig.ts';
import { userScenarios } from '../scenario-args.ts';
import { runCompare } from './compare.ts';
import { printRunOutcome } from './run-output.ts';

export interface LabRunFlags {
  config: string;
  dryRun?: boolean;
  baseline?: string;
  forceInterface?: string[];
  out?: string;
  json?: boolean;
}

export interface LabCommandContext {
  log: (line: string) => void;
  /** Aborts the run on the first SIGINT/SIGTERM. */
  abortOnSignals: () => AbortController;
  argv: string[];
}

async function labScenarios(plan: LabPlan, dutIsLocal: boolean): Promise<Scenario[]> {
  const seen = new Set<string>();
  const out: Scenario[] = [];
  for (const c of plan.cases) {
    if (seen.has(c.scenario)) continue;
    seen.add(c.scenario);
    if (c.scenarioSource === 'builtin') {
      out.push(findScenario(c.scenario)!);
      continue;
    }
    const [s] = await userScenarios([parseScenarioFile(c.scenarioSource)], {});
    if (s!.object && !dutIsLocal) throw new UsageError(`${c.scenarioSource}: a program of your own runs on a local DUT host only for now (it is not copied to lab hosts); use a built-in program there`);
    out.push(s!);
  }
  return out;
}

/** The generator: `live` runs on any lab host; the others only on a local generator host. */
async function labGenerator(plan: LabPlan): Promise<{ driver: TrafficDriver; why: string }> {
  const gen = plan.roles.generator.host;
  if (gen.kind === 'ssh') {
    if (plan.generator !== 'auto' && plan.generator !== 'live') {
      throw new UsageError(`generator: "${plan.generator}" does not run on lab hosts over SSH in this version; use live (or auto)`);
    }
    return { driver: liveGenerator, why: `the in-kernel live-frame generator on ${gen.name} (the one generator that runs on lab hosts over SSH)` };
  }
  try {
    return await chooseGenerator(plan.generator);
  } catch (err) {
    throw new MissingCapabilityError((err as Error).message);
  }
}

/**
 * The lab's run through the same planner as a local run: the config's own
 * case list, in its order. Generator and DUT are separate hosts (or the lab's
 * own NIC setup): nothing to decouple.
 */
export function planLabRun(
  plan: LabPlan, scenarios: Scenario[], generator: { driver: TrafficDriver; why: string }, placement: CpuPlacement,
  rate: RateSpec, outDir: string, argv: string[], lab: LabRunOptions,
): RunPlan {
  const options = {
    scenarios, modes: [...new Set(plan.cases.map((c) => c.mode))], trials: plan.trials, durationMs: plan.durationMs, warmupMs: plan.warmupMs,
    sampleIntervalMs: plan.sampleIntervalMs, generatorName: plan.generator, pktSizesBytes: [...new Set(plan.cases.map((c) => c.pktSizeBytes))],
    rate, flows: RUN_DEFAULTS.flows, work: RUN_DEFAULTS.work, decouple: false, threads: null, progRunOnly: false, latency: null, outDir, tolerance: RUN_DEFAULTS.tolerance,
  };
  return planRun(options, {
    runId: newRunId(), argv, rig: { kind: 'lab', lab }, generator, placement: { placement, why: 'lab: generator and DUT are separate hosts' }, rateText: plan.rate,
    cases: plan.cases.map((c) => ({ scenario: c.scenario, mode: c.mode, pktSizeBytes: c.pktSizeBytes })),
  });
}

function runDirName(now = new Date()): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[:]/g, '-');
}

/** Ends the multiplexed SSH connections to the lab's hosts: nothing of ours lingers (ControlPersist). */
async function closeConnections(plan: LabPlan): Promise<void> {
  for (const role of ['generator', 'dut'] as const) {
    const h = plan.roles[role].host;
    if (h.kind === 'ssh') await closeMaster(h.target);
  }
}

export async function cmdRunLab(flags: LabRunFlags, cx: LabCommandContext): Promise<number> {
  const plan = expandLabPlan(parseLabConfig(flags.config)); // every problem at once, exit 2
  // --out, or a new run directory under the config's output: checked like any --out, before anything.
  const wantedOutDir = path.resolve(flags.out ?? path.join(plan.outDir, runDirName()));
  const outErrors: string[] = [];
  checkOutDir(wantedOutDir, { flag: flags.out !== undefined ? '--out' : `output (${plan.outDir}) of the lab config, run directory`, ownFiles: [] }, outErrors);
  if (outErrors.length) throw new UsageError(outErrors.join('\n'));
  // Like a local run: a given --out that holds a run is refused at once; the default moves on to a free name.
  const outDir = outDirForRun(wantedOutDir, flags.out !== undefined);
  const forced = flags.forceInterface ?? [];
  try {
    if (flags.dryRun) {
      process.stdout.write(`${renderLabPlan(plan)}\n`);
      process.stdout.write(`${renderPlan(await planLabDryRun(plan, flags, outDir, cx.argv), resourcePrefix)}\n`);
      // Read-only probes of the hosts: the verdict a run would reach before taking anything.
      const checks = await checkLab(plan, forced).catch((err: unknown) => {
        if (err instanceof SshConnectionError) throw new BenchError(`dry run: no safety verdict without every host: ${err.message}`, err.exitCode, { cause: err });
        throw err;
      });
      process.stdout.write(renderLabChecks(checks));
      return labChecksExit(checks);
    }
    // Before the run exists: a refusal or a lab that is not ready creates nothing (no out dir, no results file).
    const checks = await checkLab(plan, forced);
    assertLabReady(checks);
    const { signal } = cx.abortOnSignals();
    if (signal.aborted) throw new InterruptedError(String(signal.reason)); // stopped during the checks: nothing taken
    return await runLab(plan, flags, outDir, cx, checks);
  } finally {
    await closeConnections(plan);
  }
}

/** The plan a run would execute, without contacting the hosts: an SSH generator's default CPUs are read when the run starts. */
async function planLabDryRun(plan: LabPlan, flags: LabRunFlags, outDir: string, argv: string[]): Promise<RunPlan> {
  const scenarios = await labScenarios(plan, plan.roles.dut.host.kind === 'local');
  const generator = await labGenerator(plan);
  const genHost = plan.roles.generator.host;
  const generatorCpus = plan.roles.generator.cpus.length ? plan.roles.generator.cpus : genHost.kind === 'local' ? generator.driver.defaultCpus(os.cpus().length) : [];
  const rateErrors: string[] = [];
  const rate = parseRate(plan.rate, rateErrors);
  if (rateErrors.length) throw new UsageError(rateErrors.join('\n'));
  const p = planLabRun(plan, scenarios, generator, { generatorCpus, dutNapiCpu: null }, rate, outDir, argv, { plan, forceInterfaces: flags.forceInterface ?? [] });
  if (!generatorCpus.length) p.placementReason = `the generator's default CPUs on ${genHost.name}, read when the run starts`;
  return p;
}

/** `outDir`: chosen and checked by cmdRunLab (given --out, or a free name under the config's output). */
async function runLab(plan: LabPlan, flags: LabRunFlags, outDir: string, cx: LabCommandContext, checked: LabChecks): Promise<number> {
  const baseline = flags.baseline ? path.resolve(flags.baseline) : plan.baselineDir;
  const scenarios = await labScenarios(plan, plan.roles.dut.host.kind === 'local');
  const generator = await labGenerator(plan);
  const genHost = plan.roles.generator.host;
  const genCpuCount = genHost.kind === 'ssh'
    ? Number((await sshHost(genHost.name, genHost.target, genHost.benchDir).exec(['nproc'], { timeoutMs: 30_000 })).stdout.trim())
    : os.cpus().length;
  const generatorCpus = plan.roles.generator.cpus.length ? plan.roles.generator.cpus : generator.driver.defaultCpus(genCpuCount);
  const rateErrors: string[] = [];
  const rate = parseRate(plan.rate, rateErrors);
  if (rateErrors.length) throw new UsageError(rateErrors.join('\n'));
  const runPlan = planLabRun(plan, scenarios, generator, { generatorCpus, dutNapiCpu: null }, rate, outDir, cx.argv, { plan, forceInterfaces: flags.forceInterface ?? [], checked });
  cx.log(`lab ${plan.name}: ${runPlan.cases.length} cases; generator ${generator.driver.name} on ${genHost.name} (CPUs ${generatorCpus.join(',')}), DUT ${plan.roles.dut.interfaces[0]!.name} on ${plan.roles.dut.host.name}; results in ${outDir}`);
  const controller = cx.abortOnSignals();
  let results: RunResults | undefined;
  let interrupted: InterruptedError | undefined;
  const outDirExisted = existsSync(outDir);
  try {
    results = await runBench(runPlan, { info: cx.log }, controller.signal);
  } catch (err) {
    if (!(err instanceof InterruptedError)) {
      // Refused by the DUT lock (exit 3): a refusal creates nothing, so the --out stays free for the retry.
      if (err instanceof DutLockedError) releaseRefusedOutDir(outDir, outDirExisted);
      throw err;
    }
    interrupted = err;
  }
  results ??= loadResults(outDir).results;
  await printRunOutcome(outDir, results, Boolean(flags.json), cx.log);
  if (interrupted) return interrupted.exitCode;
  // A signal while the reports were written: the run is complete, but the caller asked to stop (as a local run).
  if (controller.signal.aborted) return new InterruptedError(String(controller.signal.reason)).exitCode;
  const runExit = results.cases.some((c) => c.state === 'failed') ? EXIT.runFailure : EXIT.ok;
  if (!baseline) return runExit;
  cx.log(`comparing with the baseline ${baseline}${plan.thresholds.length ? ` (fail on: ${plan.thresholds.join('; ')})` : ' (no thresholds in the config: informative only)'}`);
  const compareExit = runCompare([baseline, outDir], { failOn: plan.thresholds, metrics: 'xdpPps', alpha: String(plan.alpha), format: flags.json ? 'json' : 'terminal', out: outDir });
  // A regression (or a baseline that cannot be compared) is what a nightly gate acts on.
  return compareExit !== EXIT.ok ? compareExit : runExit;
}

/** The results.json a refused run claimed, and its directory when the run made it (and nothing else is in it). */
function releaseRefusedOutDir(outDir: string, existed: boolean): void {
  rmSync(path.join(outDir, RESULTS_FILE_NAME), { force: true });
  if (!existed) {
    try {
      rmdirSync(outDir);
    } catch {
      /* not empty: something else is there; leave it */
    }
  }
}

/* ---- bench lab prepare ---- */

/** Fixed text: writes stdin to $1 atomically, executable (the objects too: harmless, and one script). */
const PUT_SCRIPT = 'mkdir -p "$(dirname "$1")" && cat > "$1.xdpb-tmp" && chmod 0755 "$1.xdpb-tmp" && mv -f "$1.xdpb-tmp" "$1"';

async function prepareHost(host: Host, log: (line: string) => void): Promise<void> {
  const files = labFilesOn(host);
  for (const { local, onHost } of files) {
    const bytes = readFileSync(local);
    await host.exec(['sh', '-c', PUT_SCRIPT, 'xdpb-put', onHost], { input: bytes, timeoutMs: 120_000 });
    const sum = (await sha256sumOn(host.exec, [onHost])).get(onHost);
    const want = createHash('sha256').update(bytes).digest('hex');
    if (sum !== want) throw new BenchError(`${host.name}: ${onHost} has sha256 ${sum ?? '(unreadable)'} after the copy, expected ${want}`, EXIT.runFailure);
  }
  // The helper runs there (libbpf and libelf present) and reads the object.
  const r = await host.exec([host.helperPath, 'inspect', '--obj', host.benchObject], { okExitCodes: [0, 1, 127], timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new MissingCapabilityError(`${host.name}: the helper does not run there (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}; install libbpf1 and libelf1 (Debian/Ubuntu) on that host`);
  }
  log(`${host.name}: ${files.map((f) => f.onHost).join(', ')} in place (sha256 checked), helper runs`);
}

export async function cmdLabPrepare(configFile: string, log: (line: string) => void): Promise<number> {
  const plan = expandLabPlan(parseLabConfig(configFile));
  const missing = LAB_FILES.filter((f) => !existsSync(f));
  if (missing.length) throw new MissingCapabilityError(`not built here: ${missing.join(', ')}; run make -C native (or ./setup.sh)`);
  const done = new Set<string>();
  try {
    for (const role of ['generator', 'dut'] as const) {
      const h = plan.roles[role].host;
      if (done.has(h.name)) continue;
      done.add(h.name);
      if (h.kind === 'local') {
        log(`${h.name}: local, uses this checkout's native/build`);
        continue;
      }
      await prepareHost(sshHost(h.name, h.target, h.benchDir), log);
    }
  } finally {
    await closeConnections(plan);
  }
  return EXIT.ok;
}

export function registerLabCommand(program: Command, setExit: (code: number) => void, log: (line: string) => void): void {
  const lab = program.command('lab').description('hardware-lab chores');
  lab
    .command('prepare')
    .description('put this build\'s helper (native/build/xdpb) and BPF objects into each lab host\'s benchDir, checked by sha256')
    .requiredOption('--config <lab.yaml>', 'the lab config')
    .action(async (opts: { config: string }) => setExit(await cmdLabPrepare(opts.config, log)));
}

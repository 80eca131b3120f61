/* bench: the xdp bench command line. Exit codes: see EXIT in errors.ts and the README. */
import { Command, CommanderError, Option } from 'commander';
import path from 'node:path';
import os from 'node:os';
import { SCENARIOS } from '../../scenarios/builtin.ts';
import { chooseGenerator, GENERATORS, GENERATOR_NAMES } from '../../drivers/generators.ts';
import { EXIT, InterruptedError, MissingCapabilityError, STOP_SIGNALS, UsageError, type StopSignal } from '../../ground/errors.ts';
import { assertRequired, runChecks, type Check } from '../run/preflight.ts';
import { findLeftovers, removeLeftovers, resourcePrefix } from '../run/run-registry.ts';
import { newRunId, runBench } from '../run/runner.ts';
import { planRun, type RigSpec, type RunPlan } from '../plan/plan.ts';
import { renderPlan } from '../plan/render-plan.ts';
import { RUN_DEFAULTS } from '../plan/defaults.ts';
import { DEFAULT_WAIT_S, parseWaitFlag, withRunLock } from '../run/run-lock.ts';
import { assertOutDirFree, outDirForRun } from '../run/out-dir.ts';
import { planPlacement } from '../../drivers/napi-placement.ts';
import { TRAFGEN_MAX_FLOWS } from '../../drivers/trafgen.ts';
import { validateRunOptions, type RawRunOptions, type ValidRunOptions } from '../plan/run-options.ts';
import { runInVmTopology } from '../vm/vm-topology.ts';
import { vmGuestSettings } from '../vm/vm-guest.ts';
import { applyFileRunSettings, isScenarioFileArg, parseScenarioFiles, userScenarios, type ProgramOptions } from './scenario-args.ts';
import { ALL_MODES, type RunResults } from '../../ground/result-schema.ts';
import { harnessVersion } from '../run/environment.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { listScenarioFiles, parseScenarioFile } from '../../scenarios/scenario-file.ts';
import { loadResults } from '../results/results-io.ts';
import { registerCompareCommand } from './commands/compare.ts';
import { registerHistoryCommand } from './commands/history.ts';
import { registerReportCommand } from './commands/report.ts';
import { cmdRunLab, registerLabCommand } from './commands/lab.ts';
import { printRunOutcome } from './commands/run-output.ts';
import { describeError } from './report-error.ts';

const started = performance.now();
function log(line: string): void {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
}

let stopController: AbortController | undefined;

/**
 * The first SIGINT/SIGTERM/SIGHUP aborts the run (which then releases
 * everything); later ones only say so. Installed once, as early as possible.
 */
function abortOnSignals(): AbortController {
  if (stopController) return stopController;
  const controller = new AbortController();
  stopController = controller;
  // After SIGHUP the terminal is gone: writes to it fail (EIO, EPIPE). That must not kill the cleanup.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const onSignal = (sig: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      log(`${sig}: stopping; releasing netns, attachments and processes (results so far are kept)`);
      controller.abort(sig);
    } else {
      log(`${sig} again: still cleaning up, please wait`);
    }
  };
  for (const sig of Object.keys(STOP_SIGNALS) as StopSignal[]) process.on(sig, onSignal);
  return controller;
}

/** A signal before anything was taken: stop here with its exit code (the checks before a run do not watch the signal). */
function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) throw new InterruptedError(String(signal.reason));
}

/** The exit code of a run stopped by a signal (129 SIGHUP, 130 SIGINT/SIGTERM); null when none came. */
function stoppedExitCode(signal: AbortSignal): number | null {
  return signal.aborted ? new InterruptedError(String(signal.reason)).exitCode : null;
}

type RunFlags = RawRunOptions & ProgramOptions & { json?: boolean; topology: string; config?: string; dryRun?: boolean; baseline?: string; forceInterface?: string[]; wait?: string | boolean };

/** The command line as the user typed it, `bench` first (for results and the run lock's holder record). */
function benchArgv(): string[] {
  return process.argv.slice(1).map((a, i) => (i === 0 ? 'bench' : a));
}

/** Upper bound for a whole VM run: TCG is several times slower than the host, and the guest boots first. */
function vmTimeoutMs(plan: RunPlan): number {
  return Math.min(3_600_000, 180_000 + 4 * ((plan.expectedDurationMs ?? 60_000) + plan.pktSizesBytes.length * 3000));
}

async function cmdRunInVm(plan: RunPlan, flags: RunFlags, waitS: number): Promise<number> {
  const controller = abortOnSignals();
  // The guest's own options only: --wait is this host's (the guest's run lock is its own).
  const userArgs = process.argv.slice(process.argv.indexOf('run') + 1).filter((a, i, all) => !(a === '--wait' || a.startsWith('--wait=') || (all[i - 1] === '--wait' && /^\d/.test(a))));
  let outcome;
  try {
    const lockOpts = { runId: plan.runId, argv: plan.argv, waitS, signal: controller.signal, log };
    outcome = await withRunLock(lockOpts, () => {
      plan.outDir = outDirForRun(plan.outDir, flags.out !== undefined);
      return runInVmTopology({ userArgs, outDir: plan.outDir, timeoutMs: vmTimeoutMs(plan), signal: controller.signal, log });
    });
  } catch (err) {
    if (err instanceof InterruptedError) return err.exitCode;
    throw err;
  }
  log(`results are emulated (guest kernel ${outcome.results.environment.guestKernel})`);
  // As a local run: a full disk is said in one line and recorded; a signal while the reports were written keeps its code.
  await printRunOutcome(plan.outDir, outcome.results, Boolean(flags.json), log);
  return stoppedExitCode(controller.signal) ?? outcome.guestExitCode;
}

/** The rig a local run measures on: veth here, or the guest's NIC pair inside the VM (set by harness/vm for its guest only). */
function localRig(flags: RunFlags): RigSpec {
  const guest = vmGuestSettings();
  if (flags.topology === 'vm') {
    if (guest) throw new UsageError('--topology vm inside the VM guest: the guest runs on its own NIC pair');
    return { kind: 'vm' };
  }
  if (flags.topology !== 'veth') throw new UsageError(`--topology "${flags.topology}": expected veth (default) or vm`);
  if (guest?.dutLink === 'virtio') {
    return { kind: 'vm-pair', pair: { genDev: 'eth0', dutDev: 'eth1', driver: 'virtio_net' }, offloadCheck: guest.offloadDev === 'netdevsim' ? 'netdevsim' : null };
  }
  return { kind: 'veth' };
}

/** Generator and placement of a run on this machine: probed (read-only), and why. */
async function planLocalRun(opts: ValidRunOptions, rig: RigSpec, rateText: string): Promise<RunPlan> {
  const base = { runId: newRunId(), argv: benchArgv(), rig, rateText };
  if (rig.kind === 'vm') {
    // The guest plans its generator and CPUs on its own kernel; here only what it will run.
    return planRun(opts, { ...base, generator: null, placement: { placement: { generatorCpus: [], dutNapiCpu: null }, why: 'decided in the guest' } });
  }
  let choice;
  try {
    choice = await chooseGenerator(opts.generatorName);
  } catch (err) {
    throw new MissingCapabilityError((err as Error).message);
  }
  if (choice.driver.name === 'trafgen' && opts.flows > TRAFGEN_MAX_FLOWS) {
    throw new UsageError(`--flows ${opts.flows}: trafgen supports at most ${TRAFGEN_MAX_FLOWS} flows; use --generator live`);
  }
  if (opts.threads !== null && opts.threads > 1 && choice.driver.name === 'trafgen') {
    throw new UsageError(`--threads ${opts.threads}: the trafgen generator runs one thread here; use --generator live or pktgen for more`);
  }
  const cpuCount = os.cpus().length;
  const { placement, why } = planPlacement({ cpuCount, decouple: opts.decouple, threads: opts.threads, defaultCpus: choice.driver.defaultCpus(cpuCount) });
  return planRun(opts, { ...base, generator: choice, placement: { placement, why: why ?? '' } });
}

/** --dry-run: the plan, and whether this machine could run it; nothing is created, no lock taken. */
async function printDryRun(plan: RunPlan, checks: Check[] | null): Promise<number> {
  process.stdout.write(renderPlan(plan, resourcePrefix));
  const missing = (checks ?? []).filter((c) => c.required && !c.ok);
  if (checks) process.stdout.write(missing.length ? `would not start: ${missing.map((c) => `${c.name}: ${c.detail}; fix: ${c.fix}`).join('; ')}\n` : 'checks: ready to run (bench doctor for details)\n');
  return missing.length ? EXIT.missingCapability : EXIT.ok;
}

async function cmdRun(args: string[], flags: RunFlags, cmd: Command): Promise<number> {
  // Before anything is created: a signal from here on ends the run cleanly with its exit code.
  const controller = abortOnSignals();
  if (flags.config) {
    if (flags.wait !== undefined) throw new UsageError('--wait goes with local runs; a lab run (--config) is refused at once by a busy DUT\'s lock');
    if (args.length) throw new UsageError('--config takes its scenarios from the lab config: give no scenario arguments with it');
    return cmdRunLab(
      { config: flags.config, dryRun: flags.dryRun, baseline: flags.baseline, forceInterface: flags.forceInterface, json: flags.json, out: flags.out },
      { log, abortOnSignals, argv: benchArgv() },
    );
  }
  if (flags.dryRun && flags.wait !== undefined) throw new UsageError('--wait goes with a run; --dry-run takes no lock and waits for nothing');
  const waitS = parseWaitFlag(flags.wait);
  if (flags.baseline || flags.forceInterface?.length) throw new UsageError('--baseline and --force-interface go with --config LAB.yaml (for one run, compare it: bench compare BASELINE RUN)');
  // Everything is checked before anything is created: options, scenario files, the user's object.
  const rig = localRig(flags);
  const files = parseScenarioFiles(args);
  const raw = applyFileRunSettings(flags, files, (flag) => cmd.getOptionValueSource(flag) === 'cli');
  const builtinNames = args.filter((a) => !isScenarioFileArg(a));
  const opts = validateRunOptions(builtinNames, raw, files.length + (flags.program ? 1 : 0));
  if ((flags.prog || flags.section || flags.expect || flags.dstPort) && !flags.program) {
    throw new UsageError('--prog, --section, --expect and --dst-port go with --program FILE.o');
  }
  if (flags.out !== undefined && !flags.dryRun) assertOutDirFree(opts.outDir); // at once, before waiting for anything
  if (rig.kind === 'vm') {
    if (flags.program || files.length) throw new UsageError('--topology vm runs built-in scenarios only (the guest sees this repository, not other paths)');
    const plan = await planLocalRun(opts, rig, raw.rate);
    return flags.dryRun ? printDryRun(plan, null) : cmdRunInVm(plan, flags, waitS);
  }
  const checks = await runChecks();
  if (!flags.dryRun) assertRequired(checks);
  throwIfStopped(controller.signal);
  opts.scenarios.push(...(await userScenarios(files, flags)));
  throwIfStopped(controller.signal);
  const plan = await planLocalRun(opts, rig, raw.rate);
  if (flags.dryRun) return printDryRun(plan, checks);
  log(`generator: ${plan.generator!.name} (${plan.generatorReason})`);
  log(plan.placement.dutNapiCpu === null
    ? `placement: coupled (generator on CPUs ${plan.placement.generatorCpus.join(',')}; the DUT runs on the sender's CPU${plan.placementReason ? `; not decoupled: ${plan.placementReason}` : ''})`
    : `placement: decoupled (generator on CPU ${plan.placement.generatorCpus.join(',')}, DUT NAPI kthread pinned to CPU ${plan.placement.dutNapiCpu})`);
  // Held until the measuring is done; reports are rendered after.
  const outcome = await withRunLock({ runId: plan.runId, argv: plan.argv, waitS, signal: controller.signal, log }, async (): Promise<{ results: RunResults } | { exitCode: number }> => {
    plan.outDir = outDirForRun(plan.outDir, flags.out !== undefined);
    try {
      return { results: await runBench(plan, { info: log }, controller.signal) };
    } catch (err) {
      if (!(err instanceof InterruptedError)) throw err;
      // Interrupted: the results written so far (after every case) are the record.
      const results = recordedResults(plan.outDir);
      return results ? { results } : { exitCode: err.exitCode };
    }
  });
  if (!('results' in outcome)) return outcome.exitCode;
  const { results } = outcome;
  await printRunOutcome(plan.outDir, results, Boolean(flags.json), log);
  // A signal while the reports were written: the run is complete, but the caller asked to stop.
  return stoppedExitCode(controller.signal) ?? (results.cases.some((c) => c.state === 'failed') ? EXIT.runFailure : EXIT.ok);
}

/** What an interrupted run left in results.json; undefined (and said so) when it stopped before writing any. */
function recordedResults(outDir: string): RunResults | undefined {
  try {
    return loadResults(outDir).results;
  } catch (err) {
    log(`no results recorded (${(err as Error).message})`);
    return undefined;
  }
}

async function cmdList(): Promise<number> {
  const lines = ['Scenarios:'];
  for (const s of SCENARIOS) lines.push(`  ${s.name.padEnd(12)} ${s.doc}`);
  // scenarios/lab/ holds lab configs (bench run --config), not scenario files.
  const files = listScenarioFiles(path.join(REPO_ROOT, 'scenarios')).filter((f) => !f.includes(`${path.sep}lab${path.sep}`));
  if (files.length) {
    lines.push('', `Scenario files (bench run FILE.yaml), under ${path.join(REPO_ROOT, 'scenarios')}:`);
    for (const f of files) {
      try {
        const sf = parseScenarioFile(f);
        lines.push(`  ${path.relative(REPO_ROOT, f)}: ${sf.name}${sf.description ? ` - ${sf.description}` : ''}`);
      } catch (err) {
        lines.push(`  ${path.relative(REPO_ROOT, f)}: invalid: ${(err as Error).message.split('\n').slice(1).join('; ').trim()}`);
      }
    }
  }
  lines.push('', 'Modes:', '  native       in the driver, before an skb exists (xdpdrv)', '  generic      after the skb is built, any driver (xdpgeneric)', '  offload      on the NIC itself (xdpoffload); few NICs can', '  all          native,generic,offload');
  lines.push('', 'Generators:');
  for (const g of GENERATORS) {
    const a = await g.probe();
    lines.push(`  ${g.name.padEnd(12)} ${a.available ? 'available' : `not available: ${a.reason} (${a.fix})`}`);
    lines.push(`  ${''.padEnd(12)} ${g.description}`);
  }
  lines.push(`  ${'auto'.padEnd(12)} the fastest available of the above`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

async function cmdDoctor(): Promise<number> {
  const checks = await runChecks();
  for (const c of checks) {
    process.stdout.write(`${c.ok ? 'ok     ' : c.required ? 'MISSING' : 'absent '} ${c.name.padEnd(14)} ${c.detail}${c.ok ? '' : `  -> ${c.fix}`}\n`);
  }
  const missing = checks.some((c) => c.required && !c.ok);
  process.stdout.write(missing ? 'Some required things are missing (see above).\n' : 'Everything a veth run needs is here.\n');
  return missing ? EXIT.missingCapability : EXIT.ok;
}

async function cmdCleanup(opts: { dryRun?: boolean }): Promise<number> {
  const l = await findLeftovers();
  // Records too: a run SIGKILLed before it created anything leaves only its record.
  const all = [...l.netns.map((n) => `netns ${n}`), ...l.bpffsDirs, ...l.tmpDirs, ...l.vmJobDirs, ...l.records];
  if (all.length === 0) {
    process.stdout.write('nothing left by earlier runs\n');
    return EXIT.ok;
  }
  if (opts.dryRun) {
    process.stdout.write(`would remove:\n${all.map((x) => `  ${x}`).join('\n')}\n`);
    return EXIT.ok;
  }
  let failed = 0;
  const removed = await removeLeftovers(l, (what, err) => {
    failed++;
    process.stderr.write(`bench: could not remove ${what}: ${err instanceof Error ? err.message : String(err)}\n`);
  });
  if (removed.length) process.stdout.write(`removed:\n${removed.map((x) => `  ${x}`).join('\n')}\n`);
  return failed ? EXIT.runFailure : EXIT.ok;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('bench')
    .description('xdp bench: benchmark XDP programs in native, generic and offload mode')
    .version(harnessVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride() // before the subcommands, so they inherit it: usage errors exit 2
    .addHelpText('after', `
Exit codes:
  0    success
  1    a case failed (see its reason), or the run stopped: the generator failed while
       calibrating, or a file could not be written (disk full): one line says which
  2    bad command line: nothing was created
  3    something the run needs is missing (root, a tool, a kernel feature: see bench doctor), or is in use by another run (named)
  4    compare: a --fail-on threshold was crossed by a significant change (a regression)
  5    compare/report/history: results missing, unreadable, invalid or of a newer schema, or nothing to compare
  129  the terminal hung up (SIGHUP, a dropped SSH session): everything released, partial results kept
  130  interrupted (SIGINT/SIGTERM): everything released, partial results kept`);

  program
    .command('run')
    .description('run scenarios on the veth topology and write results.json, report.md and chart.png')
    .argument('[scenario...]', `built-in scenarios (${SCENARIOS.map((s) => s.name).join(', ')}) and/or scenario files (.yaml)`)
    .option('--program <file.o>', 'benchmark your own compiled XDP object (checked, then attached in each mode)')
    .option('--prog <name>', 'with --program: the XDP program (function) to attach')
    .option('--section <name>', 'with --program: the ELF section of the XDP program to attach')
    .option('--expect <action>', 'with --program: drop, pass, tx, redirect, aborted, or mixed (no check)')
    .option('--dst-port <port>', 'with --program: UDP destination port of the test traffic (default 9)')
    .option('--modes <list>', `comma-separated ${ALL_MODES.join(', ')}, or all`, RUN_DEFAULTS.modes)
    .option('--trials <n>', 'measured trials per case', String(RUN_DEFAULTS.trials))
    .option('--duration <s>', 'seconds per trial', String(RUN_DEFAULTS.durationS))
    .option('--warmup <s>', 'seconds of traffic before the trials, not counted', String(RUN_DEFAULTS.warmupS))
    .option('--interval <ms>', 'counter sampling interval', String(RUN_DEFAULTS.intervalMs))
    .addOption(new Option('--generator <name>', 'traffic generator').choices([...GENERATOR_NAMES]).default(RUN_DEFAULTS.generator))
    .option('--sizes <list>', 'packet sizes on the wire incl. 4-byte FCS (64..1518), comma-separated: a sweep', RUN_DEFAULTS.sizesBytes.join(','))
    .option('--rate <rate>', 'offered rate: 0 = as fast as possible, N = packets/s, N% = of the calibrated maximum', RUN_DEFAULTS.rate)
    .option('--flows <n>', 'distinct flows (UDP source ports) in the traffic', String(RUN_DEFAULTS.flows))
    .option('--work <name>', 'what the DUT program does per frame: no-touch, read-data, parse-ip, swap-macs', RUN_DEFAULTS.work)
    .option('--latency', 'after the throughput cases: RTT percentiles through an XDP_TX reflector, per mode, idle and under load')
    .option('--latency-loads <list>', 'with --latency: background load in percent of the reflector\'s measured maximum', RUN_DEFAULTS.latencyLoadsPercent.join(','))
    .option('--probes <n>', 'with --latency: probes per mode and load', String(RUN_DEFAULTS.probes))
    .option('--probe-rate <pps>', 'with --latency: probes per second', String(RUN_DEFAULTS.probeRatePps))
    .option('--prog-run', 'only the program cost: BPF_PROG_TEST_RUN of each scenario\'s program (no topology, no traffic)')
    .option('--no-decouple', 'keep generator and DUT on the same CPUs (veth default: DUT NAPI threaded and pinned to its own CPU)')
    .option('--threads <n>', 'generator threads, one per CPU from CPU 0 (default: every CPU but the DUT\'s); decoupled while a CPU is left for the DUT. xdp-bench\'s setup: --no-decouple --threads N')
    .option('--tolerance <fraction>', 'relative tolerance for cross-checking counter sources', String(RUN_DEFAULTS.tolerance))
    .option('--out <dir>', 'output directory (default: results/<timestamp>)')
    .option('--json', 'print results.json to stdout instead of the table')
    .option('--wait [seconds]', `if another local run holds this machine (exit 3 otherwise), wait for it: up to SECONDS, or ${DEFAULT_WAIT_S} s for a bare --wait (write --wait=SECONDS before scenario names)`)
    .option('--config <lab.yaml>', 'run a hardware lab: hosts (local or SSH), roles, existing interfaces, scenarios, modes (see scenarios/lab/example-lab.yaml); first: bench lab prepare --config')
    .option('--dry-run', 'print the plan (rig, generator and placement with why, every case, expected time) and whether this machine can run it; create nothing. With --config: the safety verdict too (read-only probes of the hosts)')
    .option('--baseline <dir>', `with --config: compare with this run (overrides the config's baseline); exit ${EXIT.regression} when a failOn threshold is crossed, ${EXIT.notComparable} when the baseline cannot be compared`)
    .option('--force-interface <ifname>', 'with --config: let the safety check pass this interface (name or altname) although it carries management traffic: a default or split-default route, an SSH session (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--topology <name>', 'veth (netns + veth pairs here) or vm (the same run inside a qemu guest with Debian\'s kernel: pktgen, netdevsim; emulated, not performance)', 'veth')
    .action(async (scenarios: string[], opts: RunFlags, cmd: Command) => setExit(await cmdRun(scenarios, opts, cmd)));

  registerCompareCommand(program, setExit);
  registerHistoryCommand(program, setExit);
  registerReportCommand(program, setExit);
  registerLabCommand(program, setExit, log);
  program.command('list').description('list scenarios, modes and generators (available or not, and why)').action(async () => setExit(await cmdList()));
  program.command('doctor').description('check kernel, privileges, bpffs, JIT and tools; name the apt package for anything missing').action(async () => setExit(await cmdDoctor()));
  program
    .command('cleanup')
    .description('remove netns, bpffs pins and temp files left by runs that died (never touches a live run)')
    .option('--dry-run', 'only list what would be removed')
    .action(async (opts: { dryRun?: boolean }) => setExit(await cmdCleanup(opts)));
  return program;
}

async function main(): Promise<void> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      code = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else {
      code = reportError(err);
    }
  }
  process.exit(code);
}

/**
 * One line per error on stderr, never a stack trace (XDPB_DEBUG=1 adds it): a
 * BenchError with its documented exit code, anything else as an internal error.
 */
function reportError(err: unknown): number {
  const { text, exitCode } = describeError(err, process.env.XDPB_DEBUG === '1');
  process.stderr.write(text);
  return exitCode;
}

// Errors outside the command's own promise chain (a child's event handler, a timer) get the same treatment.
process.on('uncaughtException', (err) => process.exit(reportError(err)));
process.on('unhandledRejection', (err) => process.exit(reportError(err)));

await main();

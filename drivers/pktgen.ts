/* Generator `pktgen`: the kernel's packet generator (net/core/pktgen.c),
 * driven through /proc/net/pktgen the way the kernel's samples/pktgen
 * scripts do it: `reset` on pgctrl, `rem_device_all` + `add_device DEV@CPU`
 * on each kpktgend_CPU thread, the device's parameters on /proc/net/pktgen/DEV@CPU,
 * then `start` on pgctrl, which blocks until every device has sent its count
 * (or the writer gets a signal, which stops all threads).
 *
 * /proc/net/pktgen is per network namespace (each netns has its own pgctrl
 * and kpktgend_N threads, and pgctrl acts on the *writer's* netns), so every
 * write is made by a worker (drivers/pktgen-worker.ts) started inside the
 * namespace with `xdpb exec --netns NS`. Progress is read from
 * /proc/<worker pid>/net/pktgen/DEV@CPU, which shows the worker's namespace.
 *
 * Needs CONFIG_NET_PKTGEN (=m: `modprobe pktgen` on first use). The kernel on
 * the development machines has none: there probe() says so, and the driver runs
 * in the VM lab (drivers/vm/), whose Debian 6.1 kernel has the module.
 *
 * This module probes, starts and watches the worker; the writes come from
 * ./pktgen-config.ts, the reading of /proc/net/pktgen from ./pktgen-proc.ts,
 * the worker's stdin/stdout from ./pktgen-protocol.ts (all re-exported). */
import { execa, type ResultPromise } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../ground/exec.ts';
import { REPO_ROOT, XDPB_HELPER } from '../ground/paths.ts';
import { pktgenCommands, pktgenDeviceName, pktgenParamsFor, type PktgenDriverOptions, type PktgenXmitMode } from './pktgen-config.ts';
import { PKTGEN_PROC_DIR, reportFromDevices, sumProgress, type PktgenProgress } from './pktgen-proc.ts';
import { parseWorkerEvents, workerErrorMessage, type PktgenWorkerPlan } from './pktgen-protocol.ts';
import { execInNetnsArgv, queryAttached } from './xdpb-helper.ts';
import { GeneratorFailure, type Availability, type GeneratorReport, type RunningTraffic, type TrafficDriver, type TrafficSpec } from './traffic-driver.ts';
// The configuration, the /proc readers and the worker protocol, for the driver's users.
export * from './pktgen-config.ts';
export * from './pktgen-proc.ts';
export * from './pktgen-protocol.ts';

export const NO_PKTGEN_REASON = 'this kernel has no pktgen module (CONFIG_NET_PKTGEN unset)';
/**
 * Measured in the VM (Linux 6.1.0-56-amd64): netif_receive hands the stack an
 * skb pktgen keeps a reference to (skb->users += burst); generic XDP then calls
 * pskb_expand_head() on it, which BUG()s on a shared skb: kernel panic.
 */
/**
 * Seen in the VM too: start_xmit into a veth whose peer has a generic XDP
 * program ends in the same BUG (the peer receives pktgen's shared skb).
 */
export const GENERIC_XDP_PEER_REASON =
  'pktgen into a veth whose peer runs a generic XDP program crashes the kernel (pktgen keeps a reference to its skbs; generic XDP expands the shared skb: BUG in pskb_expand_head, seen on Linux 6.1); not run';
export const NETIF_RECEIVE_GENERIC_XDP_REASON =
  'xmit_mode netif_receive into a device with a generic XDP program crashes the kernel (pktgen injects a shared skb; generic XDP expands it: BUG in pskb_expand_head, seen on Linux 6.1)';
const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pktgen-worker.ts');

/** argv of the worker inside the netns (same node, same loader, the repository's own code). */
export function pktgenWorkerArgv(netns: string): string[] {
  const tsx = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  return execInNetnsArgv(netns, [process.execPath, '--import', `file://${tsx}`, WORKER]);
}

export interface RunningPktgen extends RunningTraffic {
  /** Packets sent so far by all threads (pkts-sofar), read without disturbing the run. */
  progress(): Promise<PktgenProgress>;
}

async function modprobePktgen(): Promise<void> {
  if (existsSync(PKTGEN_PROC_DIR)) return;
  await run(['modprobe', 'pktgen'], { timeoutMs: 30_000 });
  if (!existsSync(PKTGEN_PROC_DIR)) throw new GeneratorFailure('pktgen', `modprobe pktgen succeeded but ${PKTGEN_PROC_DIR} did not appear`);
}

export async function probePktgen(): Promise<Availability> {
  if (!existsSync(XDPB_HELPER)) return { available: false, reason: 'native helper not built', fix: 'run make -C native (or ./setup.sh)' };
  if (existsSync(PKTGEN_PROC_DIR)) return { available: true, detail: 'pktgen is loaded' };
  const dry = await execa('modprobe', ['-n', 'pktgen'], { reject: false, timeout: 10_000 });
  if (dry.exitCode === 0) return { available: true, detail: 'pktgen module present (loaded at first use)' };
  return { available: false, reason: NO_PKTGEN_REASON, fix: 'use a kernel with CONFIG_NET_PKTGEN=m (the VM lab, drivers/vm, boots one), or --generator live|trafgen' };
}

export interface PktgenDriver extends TrafficDriver {
  start(spec: TrafficSpec): Promise<RunningPktgen>;
}

export function createPktgenDriver(options: PktgenDriverOptions = {}): PktgenDriver {
  const mode = options.xmitMode ?? 'start_xmit';
  return {
    name: mode === 'start_xmit' ? 'pktgen' : `pktgen-${mode.replace('_', '-')}`,
    description: `kernel pktgen via /proc/net/pktgen (xmit_mode ${mode}), one kpktgend thread per CPU`,
    defaultCpus: (cpuCount) => Array.from({ length: cpuCount }, (_, i) => i),
    refusesMode: (xdpMode, dutDriver) => (xdpMode === 'generic' && dutDriver === 'veth' ? GENERIC_XDP_PEER_REASON : null),
    probe: probePktgen,
    async start(spec: TrafficSpec): Promise<RunningPktgen> {
      const params = pktgenParamsFor(spec, options);
      const plan: PktgenWorkerPlan = { writes: pktgenCommands(params), devices: params.cpus.map((c) => pktgenDeviceName(params.dev, c)), start: true };
      try {
        await modprobePktgen();
      } catch (err) {
        throw new GeneratorFailure('pktgen', `modprobe pktgen: ${(err as Error).message}`);
      }
      if (mode === 'netif_receive') {
        const attached = await queryAttached(spec.netns, spec.dev);
        if (attached.generic) throw new GeneratorFailure('pktgen', `refused: ${NETIF_RECEIVE_GENERIC_XDP_REASON}; ${spec.dev} has generic program id ${attached.generic}`);
      }
      return startWorker(spec.netns, plan, spec.durationMs, mode);
    },
  };
}

export const pktgenGenerator = createPktgenDriver();

/** The worker process died by a signal before pktgen was configured (nothing was started). */
class WorkerCrashed extends GeneratorFailure {}

/**
 * Starts the worker; resolves once pktgen is configured and the run is
 * starting. A worker that crashes before configuring anything (seen once:
 * node SIGSEGV under TCG emulation) is started once more; the worker resets
 * pktgen first, so a second start is safe. Refusals are never retried.
 */
export async function startWorker(netns: string, plan: PktgenWorkerPlan, durationMs: number, mode: PktgenXmitMode = 'start_xmit'): Promise<RunningPktgen> {
  try {
    return await startWorkerOnce(netns, plan, durationMs, mode);
  } catch (err) {
    if (!(err instanceof WorkerCrashed)) throw err;
    return startWorkerOnce(netns, plan, durationMs, mode);
  }
}

async function startWorkerOnce(netns: string, plan: PktgenWorkerPlan, durationMs: number, mode: PktgenXmitMode): Promise<RunningPktgen> {
  const [file, ...args] = pktgenWorkerArgv(netns);
  const started = performance.now();
  const child: ResultPromise = execa(file!, args, { reject: false, input: JSON.stringify(plan), timeout: durationMs + 60_000, killSignal: 'SIGKILL', buffer: true });
  let stdoutSeen = '';
  const configured = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      stdoutSeen += chunk.toString();
      const events = parseWorkerEvents(stdoutSeen);
      const err = events.find((e) => e.event === 'error');
      if (err && err.event === 'error') reject(new GeneratorFailure('pktgen', workerErrorMessage(err)));
      else if (events.some((e) => e.event === 'configured')) resolve();
    };
    child.stdout!.on('data', onData);
    child.then((r) => {
      const message = `the pktgen worker ended before pktgen was configured (${r.signal ?? `exit ${r.exitCode}`}): ${String(r.stderr).slice(-400)}`;
      reject(r.signal && r.signal !== 'SIGKILL' ? new WorkerCrashed('pktgen', message) : new GeneratorFailure('pktgen', message));
    }, reject);
  });
  let stopRequested = false;
  const finished = child.then((r): GeneratorReport => {
    const events = parseWorkerEvents(String(r.stdout));
    const err = events.find((e) => e.event === 'error');
    if (err && err.event === 'error') throw new GeneratorFailure('pktgen', workerErrorMessage(err));
    const done = events.find((e) => e.event === 'done');
    if (!done || done.event !== 'done') {
      if (stopRequested) return { framesSent: null, durationMs: performance.now() - started };
      throw new GeneratorFailure('pktgen', `the pktgen worker ended without a report (${r.signal ?? `exit ${r.exitCode}`}): ${String(r.stderr).slice(-400)}`);
    }
    return reportFromDevices(done.devices, done.runMs, mode);
  });
  finished.catch(() => undefined);
  try {
    await configured;
  } catch (err) {
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    throw err;
  }
  const pid = child.pid!;
  const stopTimer = setTimeout(() => void stop(), durationMs);
  async function stop(): Promise<GeneratorReport> {
    stopRequested = true;
    clearTimeout(stopTimer);
    // SIGINT, as Ctrl-C on the samples: the worker's blocking `start` write returns and pktgen stops every thread.
    if (child.exitCode === null) child.kill('SIGINT');
    // The worker then waits (up to 3 s) for the threads' results: a slow (emulated) machine needs the margin.
    const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    try {
      return await finished;
    } finally {
      clearTimeout(hard);
    }
  }
  finished.finally(() => clearTimeout(stopTimer)).catch(() => undefined);
  return {
    finished,
    stop,
    async progress(): Promise<PktgenProgress> {
      const texts = plan.devices.map((d) => {
        try {
          return readFileSync(`/proc/${pid}/net/pktgen/${d}`, 'utf8');
        } catch {
          return '';
        }
      });
      return sumProgress(texts);
    },
  };
}

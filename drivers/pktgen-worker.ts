/* The pktgen worker: run inside the generator's network namespace by
 * drivers/pktgen.ts (`xdpb exec --netns NS -- node --import tsx pktgen-worker.ts`),
 * because /proc/net/pktgen and its pgctrl act on the writer's namespace.
 *
 * stdin: one PktgenWorkerPlan (JSON). stdout: one JSON event per line:
 *   {"event":"configured",...}   every write accepted (its Result line says OK)
 *   {"event":"done",...}         the run ended (count reached, or SIGINT/SIGTERM)
 *   {"event":"error",...}        a write was refused: errno, or pktgen's Result text
 * `start` on pgctrl blocks until the run ends; a signal makes pktgen stop every
 * thread of this namespace and the write return, and the worker then reports. */
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { PKTGEN_PROC_DIR, parsePktgenDevice, pktgenResultText, pktgenWriteAccepted } from './pktgen-proc.ts';
import type { PktgenWorkerEvent, PktgenWorkerPlan } from './pktgen-protocol.ts';

function emit(e: PktgenWorkerEvent): void {
  process.stdout.write(`${JSON.stringify(e)}\n`);
}

function procPath(file: string): string {
  if (!/^[A-Za-z0-9_.:@-]{1,40}$/.test(file) || file === '.' || file === '..') throw new RangeError(`not a pktgen proc file: ${file}`);
  return `${PKTGEN_PROC_DIR}/${file}`;
}

function readProc(file: string): string {
  return readFileSync(procPath(file), 'utf8');
}

/** One write(2) of "COMMAND\n" (pgctrl strips the last byte), no O_CREAT/O_TRUNC. */
function writeProc(file: string, command: string): void {
  const fd = openSync(procPath(file), constants.O_WRONLY);
  try {
    const data = Buffer.from(`${command}\n`);
    const n = writeSync(fd, data);
    if (n !== data.length) throw Object.assign(new Error(`short write (${n} of ${data.length} bytes)`), { code: 'EIO' });
  } finally {
    closeSync(fd);
  }
}

/** Kernel-internal errno pktgen returns for clone_skb/burst the device or mode cannot do (node calls it UNKNOWN). */
const ENOTSUPP = 524;

function describeWriteError(e: NodeJS.ErrnoException, file: string, errno: number | undefined): string {
  if (e.code === 'ENOENT') return `${procPath(file)} does not exist (pktgen not loaded, or the device was not added)`;
  if (errno === ENOTSUPP) return 'pktgen: not supported for this device or xmit mode (burst > 1 or clone_skb > 0 need a device with IFF_TX_SKB_SHARING, which veth has not; netif_receive takes no clone_skb; queue_xmit no burst)';
  if (e.code === 'EINVAL') return 'pktgen: invalid argument (a malformed value, or a parameter pktgen does not know)';
  return e.message;
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => (interrupted = true));

async function main(): Promise<number> {
  const plan = JSON.parse(readFileSync(0, 'utf8')) as PktgenWorkerPlan;
  const t0 = performance.now();
  for (const w of plan.writes) {
    try {
      writeProc(w.file, w.command);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const errno = typeof e.errno === 'number' ? Math.abs(e.errno) : undefined;
      // Some refusals also set the Result line ("No such parameter", "ERROR: can not add device");
      // others leave it as it was (a stale "OK: ..." that would mislead): only the former is quoted.
      let result: string | undefined;
      try {
        const text = w.file === 'pgctrl' ? null : pktgenResultText(readProc(w.file));
        if (text && !text.startsWith('OK:')) result = text;
      } catch {
        /* the file may not exist */
      }
      emit({ event: 'error', stage: 'write', file: w.file, command: w.command, errno, code: errno === ENOTSUPP ? 'ENOTSUPP' : e.code, error: describeWriteError(e, w.file, errno), result });
      return 1;
    }
    // pktgen reports most refusals in the file's Result line, not as a write error.
    if (w.file !== 'pgctrl') {
      const text = readProc(w.file);
      if (!pktgenWriteAccepted(text)) {
        emit({ event: 'error', stage: 'write', file: w.file, command: w.command, error: 'pktgen refused it', result: pktgenResultText(text) ?? '(no Result line)' });
        return 1;
      }
    }
  }
  emit({ event: 'configured', writes: plan.writes.length, ms: Math.round(performance.now() - t0) });
  if (!plan.start) return 0;
  // Let a stop that arrived during the configuration be seen before starting.
  await new Promise((resolve) => setImmediate(resolve));
  if (interrupted) {
    emit({ event: 'done', interrupted: true, runMs: 0, devices: {} });
    return 0;
  }
  const runStarted = performance.now();
  try {
    writeProc('pgctrl', 'start'); // blocks for the whole run
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    emit({ event: 'error', stage: 'start', file: 'pgctrl', command: 'start', code: e.code, error: e.message });
    return 1;
  }
  const runMs = performance.now() - runStarted;
  // `start` returns once no device is running, but each kpktgend thread writes its
  // device's result just after (pktgen_stop_device: running = 0, then show_results),
  // and after a signal the threads stop on their own time: wait (bounded) for the results.
  let devices: Record<string, string> = {};
  const deadline = performance.now() + 3000;
  for (let i = 0; i < 100; i++) {
    devices = {};
    for (const d of plan.devices) {
      try {
        devices[d] = readProc(d);
      } catch (err) {
        devices[d] = '';
        process.stderr.write(`pktgen-worker: cannot read ${d}: ${(err as Error).message}\n`);
      }
    }
    if (Object.values(devices).every((t) => parsePktgenDevice(t)?.result) || performance.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // A signal that stopped the run is handled by node after the blocking write returned.
  setImmediate(() => {
    emit({ event: 'done', interrupted, runMs: Math.round(runMs), devices });
    process.exitCode = 0;
  });
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    emit({ event: 'error', stage: 'worker', error: (err as Error).message });
    process.exitCode = 1;
  },
);

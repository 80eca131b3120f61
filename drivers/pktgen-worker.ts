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
import { PKTGEN_PROC_DIR, pktgenResultText, pktgenWriteAccepted, type PktgenWorkerEvent, type PktgenWorkerPlan } from './pktgen.ts';

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
      let result: string | undefined;
      try {
        result = w.file === 'pgctrl' ? undefined : (pktgenResultText(readProc(w.file)) ?? undefined);
      } catch {
        /* the file may not exist (device not added) */
      }
      emit({ event: 'error', stage: 'write', file: w.file, command: w.command, errno: typeof e.errno === 'number' ? -e.errno : undefined, code: e.code, error: e.code === 'ENOENT' ? `${procPath(w.file)} does not exist (pktgen not loaded, or the device was not added)` : e.message, result });
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
  const devices: Record<string, string> = {};
  for (const d of plan.devices) {
    try {
      devices[d] = readProc(d);
    } catch (err) {
      devices[d] = '';
      process.stderr.write(`pktgen-worker: cannot read ${d}: ${(err as Error).message}\n`);
    }
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

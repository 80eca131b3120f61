/* One traffic window: start the generator, let it settle, sample the
 * counters over durationMs, stop it. An interrupt stops the generator at once. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RawSample, Sampler } from '../../drivers/counter-sampler.ts';
import { InterruptedError } from '../../ground/errors.ts';
import type { Ports, Rig } from './rig.ts';

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new InterruptedError(String(signal.reason ?? 'signal'));
}

export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throwIfAborted(signal);
  }
}

export interface Window {
  start: RawSample;
  end: RawSample;
  framesSent: number | null;
  genDurationMs: number | null;
}

export interface WindowSpec {
  ports: Ports;
  pktSizeBytes: number;
  ratePps: number;
  settleMs: number;
  durationMs: number;
}

/** Runs the generator, and samples a window of durationMs after settleMs. */
export async function trafficWindow(rig: Rig, sampler: Sampler, w: WindowSpec, signal: AbortSignal): Promise<Window> {
  const traffic = await rig.startTraffic({ ports: w.ports, pktSizeBytes: w.pktSizeBytes, ratePps: w.ratePps, durationMs: w.settleMs + w.durationMs + 2000 });
  const stopOnAbort = () => void traffic.stop().catch(() => undefined);
  signal.addEventListener('abort', stopOnAbort, { once: true });
  try {
    await pause(w.settleMs, signal);
    const start = await sampler.sampleNow();
    await pause(w.durationMs, signal);
    const end = await sampler.sampleNow();
    const report = await traffic.stop();
    return { start, end, framesSent: report.framesSent, genDurationMs: report.durationMs };
  } catch (err) {
    await traffic.stop().catch(() => undefined);
    throw err;
  } finally {
    signal.removeEventListener('abort', stopOnAbort);
  }
}

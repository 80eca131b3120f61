/* The protocol between the pktgen driver and its worker
 * (drivers/pktgen-worker.ts): the plan on the worker's stdin, the JSON events
 * on its stdout, and how an error event reads. */
import type { PktgenWrite } from './pktgen-config.ts';
import { PKTGEN_PROC_DIR } from './pktgen-proc.ts';

export interface PktgenWorkerPlan {
  writes: PktgenWrite[];
  /** pktgen device files to read back at the end (DEV@CPU). */
  devices: string[];
  /** Write `start` to pgctrl after the configuration (false: configure only). */
  start: boolean;
}

export type PktgenWorkerEvent =
  | { event: 'configured'; writes: number; ms: number }
  | { event: 'done'; interrupted: boolean; runMs: number; devices: Record<string, string> }
  | { event: 'error'; stage: string; file?: string; command?: string; errno?: number; code?: string; error: string; result?: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDuration = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const optional = (v: unknown, type: 'string' | 'number') => v === undefined || typeof v === type;

/** Whether a parsed line is one of the worker's events, in full (anything else is not ours). */
function isWorkerEvent(e: unknown): e is PktgenWorkerEvent {
  if (!isObj(e)) return false;
  switch (e.event) {
    case 'configured': return Number.isSafeInteger(e.writes) && isDuration(e.ms);
    case 'done': return typeof e.interrupted === 'boolean' && isDuration(e.runMs) && isObj(e.devices) && Object.values(e.devices).every((t) => typeof t === 'string');
    case 'error': return typeof e.stage === 'string' && typeof e.error === 'string' && optional(e.file, 'string') && optional(e.command, 'string') &&
      optional(e.errno, 'number') && optional(e.code, 'string') && optional(e.result, 'string');
    default: return false;
  }
}

export function parseWorkerEvents(stdout: string): PktgenWorkerEvent[] {
  const events: PktgenWorkerEvent[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    let e: unknown;
    try {
      e = JSON.parse(t);
    } catch {
      continue; // not ours
    }
    if (isWorkerEvent(e)) events.push(e);
  }
  return events;
}

export function workerErrorMessage(e: Extract<PktgenWorkerEvent, { event: 'error' }>): string {
  const where = e.file ? `writing "${e.command}" to ${PKTGEN_PROC_DIR}/${e.file}` : e.stage;
  return `${where}: ${e.error}${e.code ? ` (${e.code})` : ''}${e.result ? `; pktgen says: ${e.result}` : ''}`;
}

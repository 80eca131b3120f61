/* Reading /proc/net/pktgen (pure): a device file's parameters, progress and
 * result (pktgen_if_show), a thread file's devices, whether a write was
 * accepted, and the generator report a run's device files add up to. */
import type { PktgenXmitMode } from './pktgen-config.ts';
import type { GeneratorReport } from './traffic-driver.ts';

export const PKTGEN_PROC_DIR = '/proc/net/pktgen';

export interface PktgenResult {
  /** Elapsed run time and its split: c = sending, d = idle (delay). */
  elapsedUs: number;
  busyUs: number;
  idleUs: number;
  packets: number;
  pktSizeBytes: number;
  frags: number;
  pps: number;
  mbPerSec: number;
  bps: number;
  errors: number;
}

export interface PktgenDeviceState {
  /** Params: count. */
  count: number;
  /** Current: pkts-sofar / errors: progress while running. */
  packetsSoFar: number;
  errors: number;
  startedUs: number;
  stoppedUs: number;
  idleUs: number;
  xmitMode: PktgenXmitMode;
  flags: string[];
  /** The "Result:" text (first line): "OK: ..." after a run or a write, "Idle", or pktgen's error. */
  resultText: string;
  /** Parsed when the result is a finished run's "OK: N(cB+dI) usec, ..." line. */
  result: PktgenResult | null;
}

/** The text after "Result: " (may span lines: a run's result continues on the next line). */
export function pktgenResultText(fileText: string): string | null {
  const m = /(?:^|\n)Result: ([\s\S]*)$/.exec(fileText);
  return m ? m[1]!.trimEnd() : null;
}

/** Parses a finished run's result: "OK: 2004213(c2004140+d72) usec, 1000000 (60byte,0frags)\n  498948pps 239Mb/sec (239495040bps) errors: 0". */
export function parsePktgenResult(text: string): PktgenResult | null {
  const m = /OK:\s+(\d+)\(c(\d+)\+d(\d+)\)\s+usec,\s+(\d+)\s+\((\d+)byte,(-?\d+)frags\)\s+(\d+)pps\s+(\d+)Mb\/sec\s+\((\d+)bps\)\s+errors:\s+(\d+)/.exec(text);
  if (!m) return null;
  const n = (i: number) => Number(m[i]);
  const r = { elapsedUs: n(1), busyUs: n(2), idleUs: n(3), packets: n(4), pktSizeBytes: n(5), frags: n(6), pps: n(7), mbPerSec: n(8), bps: n(9), errors: n(10) };
  // The kernel prints 64-bit counters; more digits than a double holds exactly is not a result we can use.
  return Object.values(r).every(Number.isSafeInteger) ? r : null;
}

/** Parses /proc/net/pktgen/DEV (pktgen_if_show); null when the text is not a device file. */
export function parsePktgenDevice(fileText: string): PktgenDeviceState | null {
  const count = /Params: count (\d+)/.exec(fileText);
  const cur = /pkts-sofar: (\d+)\s+errors: (\d+)/.exec(fileText);
  if (!count || !cur) return null;
  const times = /started: (\d+)us\s+stopped: (\d+)us idle: (\d+)us/.exec(fileText);
  const mode = /xmit_mode: (\w+)/.exec(fileText);
  const flags = /Flags: ([^\n]*)/.exec(fileText);
  const resultText = pktgenResultText(fileText) ?? '';
  const numbers = [count[1], cur[1], cur[2], ...(times ? [times[1], times[2], times[3]] : [])].map(Number);
  if (!numbers.every(Number.isSafeInteger)) return null;
  return {
    count: Number(count[1]),
    packetsSoFar: Number(cur[1]),
    errors: Number(cur[2]),
    startedUs: times ? Number(times[1]) : 0,
    stoppedUs: times ? Number(times[2]) : 0,
    idleUs: times ? Number(times[3]) : 0,
    xmitMode: (mode?.[1] as PktgenXmitMode | undefined) ?? 'start_xmit',
    flags: flags ? flags[1]!.trim().split(/\s+/).filter(Boolean) : [],
    resultText: resultText.split('\n')[0] ?? '',
    result: parsePktgenResult(resultText),
  };
}

/** Whether a write's Result line says it was accepted (pktgen reports most refusals there, not as a write error). */
export function pktgenWriteAccepted(fileText: string): boolean {
  return /^OK:/.test(pktgenResultText(fileText) ?? '');
}

/** Parses a thread file (/proc/net/pktgen/kpktgend_N): its running and stopped devices. */
export function parsePktgenThread(fileText: string): { running: string[]; stopped: string[]; resultText: string } | null {
  const running = /Running: ([^\n]*)/.exec(fileText);
  const stopped = /Stopped: ([^\n]*)/.exec(fileText);
  if (!running || !stopped) return null;
  return {
    running: running[1]!.trim().split(/\s+/).filter(Boolean),
    stopped: stopped[1]!.trim().split(/\s+/).filter(Boolean),
    resultText: (pktgenResultText(fileText) ?? '').split('\n')[0] ?? '',
  };
}

export interface PktgenProgress {
  packets: number;
  errors: number;
}

/** Sums the device files' pkts-sofar; a missing file counts as nothing sent. */
export function sumProgress(texts: readonly string[]): PktgenProgress {
  let packets = 0;
  let errors = 0;
  for (const t of texts) {
    const s = parsePktgenDevice(t);
    if (s) {
      packets += s.packetsSoFar;
      errors += s.errors;
    }
  }
  return { packets, errors };
}

/** The generator report from the device files read after the run (pure): pktgen's own counts. */
export function reportFromDevices(devices: Record<string, string>, runMs: number, mode: PktgenXmitMode): GeneratorReport {
  let framesSent = 0;
  let errors = 0;
  const messages: string[] = [];
  for (const [dev, text] of Object.entries(devices)) {
    const s = parsePktgenDevice(text);
    if (!s) {
      messages.push(`${dev}: unreadable device file`);
      continue;
    }
    framesSent += s.result?.packets ?? s.packetsSoFar;
    errors += s.result?.errors ?? s.errors;
    if (!s.result) messages.push(`${dev}: no result yet (${s.resultText}): pkts-sofar counted`);
  }
  if (errors) messages.push(mode === 'netif_receive' ? `${errors} frames dropped by the stack (pktgen's errors: NET_RX_DROP)` : `${errors} failed transmits (pktgen's errors)`);
  return { framesSent, durationMs: runMs, message: messages.length ? messages.join('; ') : undefined };
}

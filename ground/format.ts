/* Number and text formatting for reports. Pure functions; every rate carries its unit. */

import { constants as osConstants } from 'node:os';
import type { Statistics } from './result-schema.ts';

/** Placeholder for a value that does not exist (skipped case, missing counter). */
export const NOT_AVAILABLE = '-';

export interface PpsUnit {
  unit: 'Gpps' | 'Mpps' | 'kpps' | 'pps';
  divisor: number;
  digits: number;
}

const UNITS: readonly PpsUnit[] = [
  { unit: 'Gpps', divisor: 1e9, digits: 2 },
  { unit: 'Mpps', divisor: 1e6, digits: 2 },
  { unit: 'kpps', divisor: 1e3, digits: 1 },
  { unit: 'pps', divisor: 1, digits: 0 },
];

/**
 * The unit a rate of this magnitude is shown in. Chosen so the rounded figure
 * stays below 1000 (999 960 pps is "1.00 Mpps", not "1000.0 kpps").
 */
export function ppsUnitFor(pps: number): PpsUnit {
  const abs = Math.abs(pps);
  for (let i = 0; i < UNITS.length - 1; i++) {
    const u = UNITS[i]!;
    const below = UNITS[i + 1]!;
    // Use this unit if the next smaller one would print 1000 or more after rounding.
    if (Number((abs / below.divisor).toFixed(below.digits)) >= 1000) return u;
  }
  return UNITS[UNITS.length - 1]!;
}

function isNumber(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** "6.42 Mpps", "812.3 kpps", "950 pps"; "-" for null/NaN. */
export function formatPps(pps: number | null | undefined): string {
  if (!isNumber(pps)) return NOT_AVAILABLE;
  const u = ppsUnitFor(pps);
  return `${fixed(pps / u.divisor, u.digits)} ${u.unit}`;
}

/** Rate in Mpps as a plain number (for charts with an axis labelled Mpps). */
export function toMpps(pps: number): number {
  return pps / 1e6;
}

/** Two rates sharing one unit, chosen by the larger: "6.38-6.46 Mpps". */
export function formatPpsRange(low: number | null | undefined, high: number | null | undefined): string {
  if (!isNumber(low) || !isNumber(high)) return NOT_AVAILABLE;
  const u = ppsUnitFor(Math.max(Math.abs(low), Math.abs(high)));
  return `${fixed(low / u.divisor, u.digits)}-${fixed(high / u.divisor, u.digits)} ${u.unit}`;
}

/** A change in rate with its sign: "+1.23 Mpps", "-490.0 kpps", "0 pps". */
export function formatSignedPps(deltaPps: number | null | undefined): string {
  if (!isNumber(deltaPps)) return NOT_AVAILABLE;
  const text = formatPps(deltaPps);
  return deltaPps > 0 && !/^0(\.0+)? /.test(text) ? `+${text}` : text;
}

/** A relative change with its sign: 0.0412 -> "+4.1 %", -0.2 -> "-20.0 %". */
export function formatSignedPercent(fraction: number | null | undefined, digits = 1): string {
  if (!isNumber(fraction)) return NOT_AVAILABLE;
  const text = formatPercent(fraction, digits);
  return fraction > 0 && !/^0(\.0+)? /.test(text) ? `+${text}` : text;
}

/** A duration in nanoseconds in a readable unit: "850 ns", "12.3 µs", "1.20 ms"; "-" for null. */
export function formatNs(ns: number | null | undefined): string {
  if (!isNumber(ns)) return NOT_AVAILABLE;
  const abs = Math.abs(ns);
  if (Number(abs.toFixed(0)) < 1000) return `${fixed(ns, 0)} ns`;
  if (Number((abs / 1e3).toFixed(1)) < 1000) return `${fixed(ns / 1e3, 1)} µs`;
  return `${fixed(ns / 1e6, 2)} ms`;
}

/** A p-value: "0.034", "0.0008", "<0.0001"; "-" when there is none. */
export function formatPValue(p: number | null | undefined): string {
  if (!isNumber(p)) return NOT_AVAILABLE;
  if (p < 0.0001) return '<0.0001';
  if (p < 0.001) return p.toFixed(4);
  return p.toFixed(3);
}

/** A fraction as a percentage: 0.021 -> "2.1 %". */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (!isNumber(fraction)) return NOT_AVAILABLE;
  return `${fixed(fraction * 100, digits)} %`;
}

/** The 95 % confidence interval of the mean: "6.38-6.46 Mpps". */
export function formatCi(stats: Statistics | null | undefined): string {
  if (!stats) return NOT_AVAILABLE;
  return formatPpsRange(stats.ci95Low, stats.ci95High);
}

/** Smallest and largest trial: "6.30-6.51 Mpps". */
export function formatMinMax(stats: Statistics | null | undefined): string {
  if (!stats) return NOT_AVAILABLE;
  return formatPpsRange(stats.min, stats.max);
}

/** Coefficient of variation as a percentage: "2.1 %". */
export function formatCv(stats: Statistics | null | undefined): string {
  if (!stats) return NOT_AVAILABLE;
  return formatPercent(stats.cv);
}

/** "median 6.42 Mpps (n=3, CV 0.4 %, 95 % CI 6.38-6.46 Mpps)". */
export function formatStatsLine(stats: Statistics): string {
  return `median ${formatPps(stats.median)} (n=${stats.n}, CV ${formatPercent(stats.cv)}, ` +
    `95 % CI ${formatCi(stats)}, min-max ${formatMinMax(stats)})`;
}

/** Shell-style command line: arguments with spaces or quotes are single-quoted. */
export function formatCommandLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function formatBytes(bytes: number): string {
  return `${bytes} B`;
}

export function formatSeconds(s: number): string {
  return `${trimNumber(s)} s`;
}

export function formatMs(ms: number): string {
  return `${trimNumber(ms)} ms`;
}

/** "22 (EINVAL)" where Node knows the name, else "22". */
export function formatErrno(errno: number): string {
  const name = errnoName(errno);
  return name ? `${errno} (${name})` : String(errno);
}

/** Names preferred where Linux gives one value two names (the kernel's own spelling). */
const PREFERRED_ERRNO_NAMES: readonly string[] = ['EOPNOTSUPP', 'EAGAIN', 'EDEADLK'];

export function errnoName(errno: number): string | null {
  const n = Math.abs(errno);
  for (const name of PREFERRED_ERRNO_NAMES) {
    if ((osConstants.errno as Record<string, number>)[name] === n) return name;
  }
  for (const [name, value] of Object.entries(osConstants.errno)) {
    if (value === n) return name;
  }
  return null;
}

/**
 * Per-CPU rates, CPUs that saw no traffic left out:
 * "cpu0 3.21 Mpps, cpu3 3.20 Mpps". "none" when every CPU is idle.
 */
export function formatPerCpuPps(perCpuPps: readonly number[]): string {
  const parts: string[] = [];
  perCpuPps.forEach((pps, cpu) => {
    if (pps > 0) parts.push(`cpu${cpu} ${formatPps(pps)}`);
  });
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** Wall-clock length between two ISO times: "3 min 12 s"; null if either is missing/invalid. */
export function formatElapsed(startIso: string, endIso: string | null): string | null {
  if (endIso === null) return null;
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!Number.isFinite(ms) || ms < 0) return null;
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return `${h} h ${m} min ${s} s`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

/** Prose broken into lines of at most `width` characters (longer words stay whole). */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out;
}

function fixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  // Avoid "-0.00".
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

function trimNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toFixed(3)));
}

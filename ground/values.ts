/* Numbers and rates as people write them on a command line or in a file. */

/** --rate: full speed, a fixed pps, or a fraction of the generator's calibrated ceiling. */
export type RateSpec = { kind: 'max' } | { kind: 'pps'; pps: number } | { kind: 'fraction'; fraction: number };

/**
 * A number as people write it on a command line: decimal digits, an optional
 * sign and fraction. Number() alone also takes "0x3", "1e2", "Infinity" and " ".
 */
export const DECIMAL_NUMBER = /^[+-]?(\d+(\.\d+)?|\.\d+)$/;

export function parseDecimal(text: string): number {
  return DECIMAL_NUMBER.test(text) ? Number(text) : Number.NaN;
}

/** "0" = full speed, "2500000" = pps, "50%" = half the generator's calibrated ceiling. */
export function parseRate(text: string, errors: string[]): RateSpec {
  const t = text.trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) {
    const p = Number(pct[1]);
    if (p > 0 && p <= 100) return { kind: 'fraction', fraction: p / 100 };
  } else if (/^\d+(\.\d+)?$/.test(t)) {
    const pps = Number(t);
    if (pps === 0) return { kind: 'max' };
    if (pps >= 1 && pps <= 1e9) return { kind: 'pps', pps };
  }
  errors.push(`--rate "${text}": expected 0 (full speed), packets per second (1..1e9), or a percentage of the calibrated maximum (e.g. 50%)`);
  return { kind: 'max' };
}

/*
 * Significance of a difference between two sets of trial values: Student's t
 * distribution (through the regularized incomplete beta function) and Welch's
 * unequal-variance t-test. Pure functions, no tables: every p-value is computed.
 */

/* Lanczos approximation of ln(Gamma(x)), g = 7, 9 coefficients (about 15 significant digits). */
const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln(Gamma(x)) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  if (x < 0.5) {
    // Reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x).
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS_COEFFICIENTS[0]!;
  for (let i = 1; i < LANCZOS_COEFFICIENTS.length; i++) sum += LANCZOS_COEFFICIENTS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const CF_MAX_ITERATIONS = 500;
const CF_EPSILON = 1e-15;
const CF_TINY = 1e-300;

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < CF_TINY) d = CF_TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= CF_MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < CF_EPSILON) return h;
  }
  throw new Error(`incomplete beta: continued fraction did not converge for x=${x}, a=${a}, b=${b}`);
}

/** The regularized incomplete beta function I_x(a, b), 0 <= x <= 1, a, b > 0. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`incomplete beta needs a, b > 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta needs 0 <= x <= 1, got ${x}`);
  if (x === 0) return 0;
  if (x === 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(logFront);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T <= t) for Student's t distribution with `df` degrees of freedom (df > 0, not necessarily an integer). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`Student's t needs df > 0, got ${df}`);
  if (Number.isNaN(t)) return Number.NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5); // P(T > |t|)
  return t > 0 ? 1 - tail : tail;
}

/** Two-sided p-value P(|T| >= |t|). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`Student's t needs df > 0, got ${df}`);
  if (Number.isNaN(t)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

export interface WelchTest {
  test: 'welch-t';
  nA: number;
  nB: number;
  meanA: number;
  meanB: number;
  /** meanB - meanA. */
  difference: number;
  /** Standard error of the difference. */
  standardError: number;
  t: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value of "the means are equal". */
  pTwoSided: number;
}

export interface Untestable {
  test: 'untestable';
  reason: string;
}

export const WELCH_MIN_VALUES = 2;

/**
 * Welch's two-sided t-test of equal means, B against A. Needs at least two
 * values per side. When both sides have no spread at all, the standard error
 * is 0: equal means give p = 1, different means p = 0 (df = nA + nB - 2).
 */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchTest | Untestable {
  if (a.length < WELCH_MIN_VALUES || b.length < WELCH_MIN_VALUES) {
    return {
      test: 'untestable',
      reason: `Welch's t-test needs at least ${WELCH_MIN_VALUES} trials on each side (have ${a.length} and ${b.length})`,
    };
  }
  if (![...a, ...b].every(Number.isFinite)) return { test: 'untestable', reason: 'a trial value is not a finite number' };
  const meanA = mean(a);
  const meanB = mean(b);
  return welchFromMoments(
    { n: a.length, mean: meanA, variance: sampleVariance(a, meanA) },
    { n: b.length, mean: meanB, variance: sampleVariance(b, meanB) },
  );
}

/** Welch's test from each side's count, mean and sample variance (n - 1); both n >= 2. */
export function welchFromMoments(
  a: { n: number; mean: number; variance: number },
  b: { n: number; mean: number; variance: number },
): WelchTest {
  const nA = a.n;
  const nB = b.n;
  const meanA = a.mean;
  const meanB = b.mean;
  const seA = Math.max(0, a.variance) / nA;
  const seB = Math.max(0, b.variance) / nB;
  const standardError = Math.sqrt(seA + seB);
  const difference = meanB - meanA;
  if (standardError === 0) {
    const df = nA + nB - 2;
    if (difference === 0) return { test: 'welch-t', nA, nB, meanA, meanB, difference, standardError, t: 0, df, pTwoSided: 1 };
    return { test: 'welch-t', nA, nB, meanA, meanB, difference, standardError, t: difference > 0 ? Infinity : -Infinity, df, pTwoSided: 0 };
  }
  const t = difference / standardError;
  const df = (seA + seB) ** 2 / ((seA * seA) / (nA - 1) + (seB * seB) / (nB - 1));
  return { test: 'welch-t', nA, nB, meanA, meanB, difference, standardError, t, df, pTwoSided: studentTTwoSidedP(t, df) };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, v) => s + v, 0) / xs.length;
}

function sampleVariance(xs: readonly number[], m: number): number {
  return xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1);
}

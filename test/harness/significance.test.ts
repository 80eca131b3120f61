import test from 'ava';
import {
  logGamma,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTTwoSidedP,
  welchTTest,
} from '../../harness/analysis/significance.ts';
import { tCritical95 } from '../../harness/analysis/statistics.ts';

function close(t: { true: (v: boolean, m?: string) => void }, actual: number, expected: number, relTol: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  t.true(err <= relTol, `${what}: got ${actual}, expected ${expected} (relative error ${err})`);
}

test('logGamma: factorials and half-integers', (t) => {
  t.true(Math.abs(logGamma(1)) < 1e-13);
  close(t, logGamma(6), Math.log(120), 1e-13, 'Gamma(6) = 5!');
  close(t, logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13, 'Gamma(1/2) = sqrt(pi)');
  close(t, logGamma(0.3), 1.0957979948180756, 1e-12, 'scipy gammaln(0.3)');
  close(t, logGamma(10.5), 13.940625219403763, 1e-13, 'scipy gammaln(10.5)');
  t.throws(() => logGamma(0), { instanceOf: RangeError });
});

test('incomplete beta: closed forms and reference values', (t) => {
  // I_x(a, 1) = x^a; I_x(1, b) = 1 - (1 - x)^b; I_x(1/2, 1/2) = (2 / pi) asin(sqrt x).
  close(t, regularizedIncompleteBeta(0.3, 4, 1), 0.3 ** 4, 1e-12, 'I_x(4,1)');
  close(t, regularizedIncompleteBeta(0.3, 1, 3), 1 - 0.7 ** 3, 1e-12, 'I_x(1,3)');
  for (const x of [0.01, 0.3, 0.5, 0.9, 0.999]) {
    close(t, regularizedIncompleteBeta(x, 0.5, 0.5), (2 / Math.PI) * Math.asin(Math.sqrt(x)), 1e-11, `I_${x}(1/2,1/2)`);
  }
  close(t, regularizedIncompleteBeta(0.5, 2, 3), 0.6875, 1e-12, 'I_0.5(2,3) = 11/16');
  close(t, regularizedIncompleteBeta(0.4, 10, 20), 0.7853183897628262, 1e-10, 'scipy betainc(10,20,0.4)');
  t.is(regularizedIncompleteBeta(0, 2, 3), 0);
  t.is(regularizedIncompleteBeta(1, 2, 3), 1);
  t.throws(() => regularizedIncompleteBeta(1.5, 2, 3), { instanceOf: RangeError });
});

test("Student's t CDF: Cauchy (df 1), df 2 closed form, reference values", (t) => {
  for (const x of [-30, -2, -0.5, 0, 0.7, 3, 50]) {
    close(t, studentTCdf(x, 1), 0.5 + Math.atan(x) / Math.PI, 1e-11, `df 1, t ${x}`);
    close(t, studentTCdf(x, 2), 0.5 + x / (2 * Math.sqrt(2 + x * x)), 1e-11, `df 2, t ${x}`);
  }
  close(t, studentTCdf(1.5, 7.3), 0.912218453598457, 1e-11, 'scipy t.cdf(1.5, 7.3)');
  close(t, studentTTwoSidedP(3.0, 4.5), 0.03438086788875962, 1e-10, 'scipy 2 t.sf(3, 4.5)');
  t.is(studentTTwoSidedP(0, 5), 1);
  t.is(studentTTwoSidedP(Infinity, 5), 0);
});

test('two-sided p at the tabulated 95 % critical values is 0.05 (to the table\'s 3 decimals)', (t) => {
  for (const df of [1, 2, 3, 5, 10, 20, 30]) {
    const p = studentTTwoSidedP(tCritical95(df), df);
    t.true(Math.abs(p - 0.05) < 0.0005, `df ${df}: p ${p}`);
  }
});

test("Welch's t-test matches scipy.stats.ttest_ind(equal_var=False)", (t) => {
  const a = [12.05e6, 11.91e6, 12.02e6];
  const b = [11.40e6, 11.52e6, 11.47e6];
  const r = welchTTest(a, b);
  if (r.test !== 'welch-t') return t.fail(r.reason);
  close(t, r.t, -9.640791095194235, 1e-10, 't');
  close(t, r.df, 3.8483224967490255, 1e-10, 'df');
  close(t, r.pTwoSided, 0.0007802433863102045, 1e-8, 'p');
  t.true(r.difference < 0);

  const r2 = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10, 12]);
  if (r2.test !== 'welch-t') return t.fail(r2.reason);
  close(t, r2.t, 2.3763541031440183, 1e-10, 't2');
  close(t, r2.df, 6.972255729794934, 1e-10, 'df2');
  close(t, r2.pTwoSided, 0.04928433820673053, 1e-8, 'p2');
});

test("Welch's t-test: too few values, and no spread at all", (t) => {
  const one = welchTTest([5], [5, 6]);
  t.is(one.test, 'untestable');
  if (one.test === 'untestable') t.regex(one.reason, /at least 2 trials/);
  const same = welchTTest([3, 3], [3, 3, 3]);
  t.true(same.test === 'welch-t' && same.pTwoSided === 1);
  const shifted = welchTTest([3, 3], [4, 4]);
  t.true(shifted.test === 'welch-t' && shifted.pTwoSided === 0 && shifted.t === Infinity);
});

import test from 'ava';
import { median, relativeDifference, summarize, tCritical95 } from '../../harness/analysis/statistics.ts';

/** |actual - expected| <= eps (absolute). */
function near(actual: number, expected: number, eps = 1e-6): boolean {
  return Math.abs(actual - expected) <= eps;
}

test('summarize: odd n=3 by hand (mean, median, n-1 stddev, cv, Student t CI)', (t) => {
  // values 2, 4, 9: mean 5; deviations -3, -1, 4; squares 9 + 1 + 16 = 26; variance 26 / (3 - 1) = 13.
  // stddev = sqrt(13) = 3.6055513; cv = 3.6055513 / 5 = 0.7211103.
  // CI half width = t(df=2) * s / sqrt(n) = 4.303 * 3.6055513 / 1.7320508 = 4.303 * 2.0816660 = 8.9574088.
  const s = summarize([9, 2, 4]);
  t.is(s.n, 3);
  t.is(s.mean, 5);
  t.is(s.median, 4);
  t.true(near(s.stddev, 3.6055513), `stddev ${s.stddev}`);
  t.true(near(s.cv, 0.7211103), `cv ${s.cv}`);
  t.true(near(s.ci95Low, 5 - 8.9574088), `ci95Low ${s.ci95Low}`);
  t.true(near(s.ci95High, 5 + 8.9574088), `ci95High ${s.ci95High}`);
  t.is(s.min, 2);
  t.is(s.max, 9);
});

test('summarize: even n=4 median is the mean of the middle two; t for df=3', (t) => {
  // values 10, 1, 3, 2: sorted 1 2 3 10, median (2 + 3) / 2 = 2.5; mean 16 / 4 = 4.
  // deviations -3 -2 -1 6: squares 9 + 4 + 1 + 36 = 50; variance 50 / 3; stddev 4.0824829.
  // half width = 3.182 * 4.0824829 / 2 = 6.4952303.
  const s = summarize([10, 1, 3, 2]);
  t.is(s.n, 4);
  t.is(s.median, 2.5);
  t.is(s.mean, 4);
  t.true(near(s.stddev, 4.0824829));
  t.true(near(s.cv, 4.0824829 / 4));
  t.true(near(s.ci95Low, 4 - 6.4952303));
  t.true(near(s.ci95High, 4 + 6.4952303));
  t.is(s.min, 1);
  t.is(s.max, 10);
});

test('summarize: sample (n-1), not population (n), variance', (t) => {
  // 1, 3: mean 2, squares 1 + 1 = 2; sample variance 2 / 1 = 2 -> stddev sqrt(2); population would give 1.
  const s = summarize([1, 3]);
  t.true(near(s.stddev, Math.SQRT2, 1e-12));
  // df = 1: t = 12.706; half = 12.706 * sqrt(2) / sqrt(2) = 12.706.
  t.true(near(s.ci95Low, 2 - 12.706, 1e-9));
  t.true(near(s.ci95High, 2 + 12.706, 1e-9));
});

test('summarize: one value has no spread and a zero-width CI', (t) => {
  t.deepEqual(summarize([7]), { n: 1, median: 7, mean: 7, stddev: 0, cv: 0, ci95Low: 7, ci95High: 7, min: 7, max: 7 });
});

test('summarize: identical values give stddev 0 and CI = the value', (t) => {
  const s = summarize([5, 5, 5, 5]);
  t.is(s.stddev, 0);
  t.is(s.cv, 0);
  t.is(s.ci95Low, 5);
  t.is(s.ci95High, 5);
});

test('summarize: mean 0 gives cv 0 rather than NaN/Infinity', (t) => {
  const s = summarize([-1, 1]);
  t.is(s.mean, 0);
  t.is(s.cv, 0);
  t.true(near(s.stddev, Math.SQRT2, 1e-12));
});

test('summarize: does not reorder its input', (t) => {
  const values = [3, 1, 2];
  summarize(values);
  t.deepEqual(values, [3, 1, 2]);
});

test('summarize: empty input throws RangeError', (t) => {
  t.throws(() => summarize([]), { instanceOf: RangeError, message: /at least one value/ });
});

test('median: odd, even, single, empty', (t) => {
  t.is(median([5, 1, 3]), 3);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(median([42]), 42);
  t.true(Number.isNaN(median([])));
  // numeric, not lexicographic, sort
  t.is(median([10, 9, 100]), 10);
});

test('tCritical95: table values, the normal beyond 30, NaN below 1', (t) => {
  t.is(tCritical95(1), 12.706);
  t.is(tCritical95(2), 4.303);
  t.is(tCritical95(3), 3.182);
  t.is(tCritical95(4), 2.776);
  t.is(tCritical95(9), 2.262);
  t.is(tCritical95(10), 2.228);
  t.is(tCritical95(30), 2.042);
  t.is(tCritical95(31), 1.96);
  t.is(tCritical95(1000), 1.96);
  t.true(Number.isNaN(tCritical95(0)));
  t.true(Number.isNaN(tCritical95(-3)));
});

test('tCritical95 decreases with degrees of freedom', (t) => {
  for (let df = 1; df < 31; df++) t.true(tCritical95(df) > tCritical95(df + 1), `df ${df}`);
});

test('relativeDifference: relative to the larger magnitude, symmetric, 0 for 0/0', (t) => {
  t.is(relativeDifference(100, 90), 0.1);
  t.is(relativeDifference(90, 100), 0.1);
  t.is(relativeDifference(0, 0), 0);
  t.is(relativeDifference(5, 5), 0);
  t.is(relativeDifference(0, 7), 1);
  t.is(relativeDifference(-10, 10), 2);
  t.is(relativeDifference(1_000_000, 750_000), 0.25);
});

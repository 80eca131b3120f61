import test from 'ava';
import { detectSteps } from '../../harness/analysis/step-detection.ts';

const OPTS = { alpha: 0.05, minSegmentRuns: 2, minChangeFraction: 0.05 };

/* Nightly-looking series: about 10 Mpps with ~0.5 % run-to-run wobble (fixed numbers, no randomness). */
const WOBBLE = [0.004, -0.003, 0.005, -0.002, -0.004, 0.003, 0.001, -0.005, 0.002, -0.001, 0.004, -0.003];
const flat = (level: number, n: number, offset = 0) => Array.from({ length: n }, (_, i) => level * (1 + WOBBLE[(i + offset) % WOBBLE.length]!));

test('a clear drop is found at the right run, with its size and p-value', (t) => {
  const values = [...flat(10e6, 6), ...flat(8e6, 5, 6)];
  const steps = detectSteps(values, OPTS);
  t.is(steps.length, 1);
  const s = steps[0]!;
  t.is(s.index, 6);
  t.true(Math.abs(s.changeFraction! - -0.2) < 0.01, String(s.changeFraction));
  t.true(s.p < s.pLimit);
  t.is(s.pLimit, 0.05 / 36, 'Bonferroni over the 36 (split, end) pairs with at least 2 runs on each side, of 11');
  t.deepEqual([s.before, s.after], [[0, 6], [6, 11]]);
});

test('noise alone is no step', (t) => {
  t.deepEqual(detectSteps(flat(10e6, 12), OPTS), []);
});

test('a dip that recovers (down, then back up) gives two steps', (t) => {
  const values = [...flat(10e6, 5), ...flat(7e6, 5, 5), ...flat(10e6, 5, 10)];
  const steps = detectSteps(values, OPTS);
  t.deepEqual(steps.map((s) => s.index), [5, 10]);
  t.true(steps[0]!.changeFraction! < -0.25 && steps[1]!.changeFraction! > 0.35, JSON.stringify(steps.map((s) => s.changeFraction)));
});

test('a short dip at the end of a long flat series is still found', (t) => {
  const values = [...flat(10e6, 30), ...flat(9e6, 3, 30)];
  t.deepEqual(detectSteps(values, OPTS).map((s) => s.index), [30]);
});

test('a significant but small change is not reported below --min-change', (t) => {
  const values = [...flat(10e6, 6).map(() => 10e6), ...flat(10e6, 6).map(() => 10.2e6)];
  t.deepEqual(detectSteps(values, { ...OPTS, minChangeFraction: 0.05 }), [], '2 % < 5 %');
  t.is(detectSteps(values, { ...OPTS, minChangeFraction: 0.01 }).length, 1, '2 % >= 1 %');
});

test('too few runs for a segment on each side: no step, no error', (t) => {
  t.deepEqual(detectSteps([10, 10, 1], OPTS), []);
  t.deepEqual(detectSteps([], OPTS), []);
  t.is(detectSteps([10, 10.1, 1, 1.1], OPTS).length, 1, 'four runs: one split, 2 + 2');
  t.throws(() => detectSteps([1, 2, 3, 4], { ...OPTS, minSegmentRuns: 1 }), { instanceOf: RangeError });
});

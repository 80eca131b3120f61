import test from 'ava';
import {
  errnoName,
  formatCi,
  formatCommandLine,
  formatElapsed,
  formatErrno,
  formatPerCpuPps,
  formatPercent,
  formatPps,
  formatPpsRange,
  ppsUnitFor,
} from '../../ground/format.ts';
import { statsOf } from './fixture.ts';

test('formatPps picks a unit and keeps it explicit', (t) => {
  t.is(formatPps(6_420_000), '6.42 Mpps');
  t.is(formatPps(812_300), '812.3 kpps');
  t.is(formatPps(950), '950 pps');
  t.is(formatPps(0), '0 pps');
  t.is(formatPps(12_400_000_000), '12.40 Gpps');
});

test('formatPps switches unit where rounding would reach 1000', (t) => {
  t.is(formatPps(999_960), '1.00 Mpps');
  t.is(formatPps(999_940), '999.9 kpps');
  t.is(formatPps(999.6), '1.0 kpps');
  t.is(ppsUnitFor(1_000_000).unit, 'Mpps');
});

test('formatPps shows missing values as a dash, not as zero', (t) => {
  t.is(formatPps(null), '-');
  t.is(formatPps(undefined), '-');
  t.is(formatPps(Number.NaN), '-');
});

test('formatPercent takes a fraction', (t) => {
  t.is(formatPercent(0.021), '2.1 %');
  t.is(formatPercent(0.05), '5.0 %');
  t.is(formatPercent(0.12345, 2), '12.35 %');
  t.is(formatPercent(null), '-');
});

test('formatCi and ranges share one unit chosen by the larger bound', (t) => {
  const s = statsOf([6_380_000, 6_420_000, 6_460_000]);
  t.regex(formatCi(s), /^\d\.\d\d-\d\.\d\d Mpps$/);
  t.is(formatPpsRange(950_000, 1_020_000), '0.95-1.02 Mpps');
  t.is(formatCi(null), '-');
});

test('formatCi reports the interval bounds from the statistics', (t) => {
  const s = { ...statsOf([1, 2, 3]), ci95Low: 6_320_000, ci95High: 6_510_000 };
  t.is(formatCi(s), '6.32-6.51 Mpps');
});

test('formatErrno names known errnos', (t) => {
  t.is(formatErrno(22), '22 (EINVAL)');
  t.is(errnoName(-95), 'EOPNOTSUPP');
  t.is(formatErrno(99999), '99999');
});

test('formatPerCpuPps lists busy CPUs only', (t) => {
  t.is(formatPerCpuPps([0, 0, 3_210_000, 3_202_345]), 'cpu2 3.21 Mpps, cpu3 3.20 Mpps');
  t.is(formatPerCpuPps([0, 0]), 'none');
});

test('formatCommandLine quotes arguments that need it', (t) => {
  t.is(formatCommandLine(['./bench', 'run', '--note', "it's a test", '']), `./bench run --note 'it'\\''s a test' ''`);
});

test('formatElapsed', (t) => {
  t.is(formatElapsed('2025-11-24T23:30:12.000Z', '2025-11-24T23:32:05.000Z'), '1 min 53 s');
  t.is(formatElapsed('2025-11-24T23:30:12.000Z', null), null);
});

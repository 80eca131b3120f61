import test from 'ava';
import { formatNs, formatPValue, formatSignedPercent, formatSignedPps, wrapText } from '../../ground/format.ts';

test('signed rate changes keep the unit rules of formatPps', (t) => {
  t.is(formatSignedPps(1_234_000), '+1.23 Mpps');
  t.is(formatSignedPps(-490_000), '-490.0 kpps');
  t.is(formatSignedPps(0), '0 pps');
  t.is(formatSignedPps(0.2), '0 pps', 'no "+0"');
  t.is(formatSignedPps(null), '-');
});

test('signed percentages', (t) => {
  t.is(formatSignedPercent(0.0412), '+4.1 %');
  t.is(formatSignedPercent(-0.2), '-20.0 %');
  t.is(formatSignedPercent(0.00001), '0.0 %');
  t.is(formatSignedPercent(Number.NaN), '-');
});

test('p-values', (t) => {
  t.is(formatPValue(0.0342), '0.034');
  t.is(formatPValue(0.00078), '0.0008');
  t.is(formatPValue(0.00000001), '<0.0001');
  t.is(formatPValue(1), '1.000');
  t.is(formatPValue(null), '-');
});

test('wrapText', (t) => {
  t.deepEqual(wrapText('aa bb  cc dd', 5), ['aa bb', 'cc dd']);
  t.deepEqual(wrapText('averyveryverylongword x', 5), ['averyveryverylongword', 'x']);
  t.deepEqual(wrapText('', 5), []);
});

test('latency durations', (t) => {
  t.is(formatNs(850), '850 ns');
  t.is(formatNs(999.6), '1.0 µs', 'rounding never prints 1000 ns');
  t.is(formatNs(3856), '3.9 µs');
  t.is(formatNs(21_277), '21.3 µs');
  t.is(formatNs(1_204_000), '1.20 ms');
  t.is(formatNs(null), '-');
});

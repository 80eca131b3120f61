import test from 'ava';
import { buildSummaryTable, explainFlag, flagsOrReason } from '../../reports/summary-table.ts';
import { OFFLOAD_REASON, makeResults } from './fixture.ts';

test('one row per case, in case order, with shared display cells', (t) => {
  const table = buildSummaryTable(makeResults());
  t.deepEqual(table.rows.map((r) => r.mode), ['native', 'generic', 'offload']);
  const [native, generic, offload] = table.rows;
  t.is(native!.cells.xdpMedian, '6.41 Mpps');
  t.is(native!.cells.genTxMedian, '7.95 Mpps');
  t.is(native!.cells.lostMedian, '1.51 Mpps');
  t.is(native!.cells.cv, '0.6 %');
  t.is(native!.cells.minMax, '6.38-6.46 Mpps');
  t.is(generic!.cells.flagsOrReason, 'generator-bound, coupled');
  t.is(generic!.cells.lostMedian, '700 pps');
  t.is(offload!.state, 'skipped');
  t.is(offload!.xdpPps, null);
  t.is(offload!.cells.xdpMedian, '-');
  t.is(offload!.reason, OFFLOAD_REASON);
  t.true(offload!.cells.flagsOrReason.startsWith(`skipped: ${OFFLOAD_REASON}`));
});

test('flags present are collected in a fixed order with explanations', (t) => {
  const r = makeResults();
  const c = r.cases[1]!;
  if (c.state === 'ok') c.flags = ['coupled', 'generator-bound', 'coupled'];
  const table = buildSummaryTable(r);
  t.deepEqual(table.flagsPresent, ['generator-bound', 'coupled']);
  t.deepEqual(table.flagExplanations.map((f) => f.flag), ['generator-bound', 'coupled']);
  t.is(table.rows[1]!.cells.flagsOrReason, 'generator-bound, coupled');
  t.is(table.notes.length, 2);
  t.true(table.notes.every((n) => n.label === 'xdp-drop/generic'));
});

test('constant columns are detected', (t) => {
  const table = buildSummaryTable(makeResults());
  t.true(table.constantColumns.includes('size'));
  t.true(table.constantColumns.includes('generator'));
  t.false(table.constantColumns.includes('mode'));
});

test('skip text adds errno and kernel message only when the reason lacks them', (t) => {
  const base = { scenario: 's', mode: 'offload' as const, pktSizeBytes: 64, generator: 'g', state: 'skipped' as const };
  t.is(flagsOrReason({ ...base, reason: 'no offload', errno: 95 }), 'skipped: no offload (errno 95 (EOPNOTSUPP))');
  t.is(flagsOrReason({ ...base, reason: 'refused (errno 22)', errno: 22 }), 'skipped: refused (errno 22)');
  t.is(flagsOrReason({ ...base, reason: 'refused', kernelMessage: 'line one\nline two' }), 'skipped: refused (kernel: line one line two)');
  t.is(
    flagsOrReason({ scenario: 's', mode: 'native', pktSizeBytes: 64, generator: 'g', state: 'failed', stage: 'attach', reason: 'EBUSY' }),
    'failed (attach): EBUSY',
  );
});

test('explainFlag quotes the agreement tolerance when given parameters', (t) => {
  t.regex(explainFlag('sources-disagree', makeResults().parameters), /5\.0 %/);
  t.is(explainFlag('generator-bound'), 'DUT processed about all that was offered: the figure is a lower bound, not capacity');
});

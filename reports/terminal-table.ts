/* Plain-text summary for the end of a run: aligned columns, no colour codes. */

import type { RunResults } from '../ground/result-schema.ts';
import { formatBytes, formatSeconds } from '../ground/format.ts';
import { actionMix, buildSummaryTable } from './summary-table.ts';
import type { ColumnId, SummaryColumn, SummaryTable } from './summary-table.ts';

/** Columns hoisted into the heading line when every row has the same value. */
const HOISTABLE: readonly ColumnId[] = ['size', 'generator'];
/** The state column is left out: the last column says "skipped: ..." / "failed ...". */
const OMITTED: readonly ColumnId[] = ['state'];

const GAP = '  ';

export function renderTerminalTable(results: RunResults, table: SummaryTable = buildSummaryTable(results)): string {
  const p = results.parameters;
  const lines: string[] = [];

  const hoisted = HOISTABLE.filter((id) => table.rows.length > 0 && table.constantColumns.includes(id));
  const heading = [
    `Run ${results.runId} (${results.state})`,
    `${p.trials} trial${p.trials === 1 ? '' : 's'} x ${formatSeconds(p.durationS)}`,
  ];
  if (hoisted.includes('size')) heading.push(`packet size ${formatBytes(table.rows[0]!.pktSizeBytes)}`);
  if (hoisted.includes('generator')) heading.push(`generator ${table.rows[0]!.generator}`);
  lines.push(heading.join(', '));
  if (results.state !== 'complete') {
    lines.push(`Note: the run is ${results.state}; cases may be missing.`);
  }
  if (results.lab) {
    const at = (role: 'generator' | 'dut') => results.lab!.interfaces.filter((i) => i.role === role && i.port === 'port0').map((i) => `${i.ifname} (${i.driver ?? '?'}) on ${i.host}`)[0] ?? '?';
    lines.push(`Lab ${results.lab.name}: generator ${at('generator')} -> DUT ${at('dut')}`);
  }
  if (results.environment.emulated) {
    lines.push(`EMULATED: measured in a qemu guest (TCG, kernel ${results.environment.guestKernel ?? results.environment.kernel}): functional results; the rates are not performance.`);
  }

  for (const w of results.environment.warnings ?? []) lines.push(`WARNING: ${w}`);

  if (table.rows.length === 0) {
    lines.push('No cases recorded.');
    return lines.join('\n') + '\n';
  }

  const columns = table.columns.filter((c) => !OMITTED.includes(c.id) && !hoisted.includes(c.id));
  // The action mix (which actions the program returned) goes just before the last, free-text column.
  const mixAt = columns.length - 1;
  const withMix = <T,>(cells: T[], mix: T): T[] => [...cells.slice(0, mixAt), mix, ...cells.slice(mixAt)];
  lines.push(...renderAlignedTable(
    withMix(columns.map((c: SummaryColumn) => c.shortHeader), 'actions'),
    withMix(columns.map((c) => c.align), 'left'),
    table.rows.map((r) => withMix(columns.map((c) => r.cells[c.id]), actionMix(r.source))),
  ));
  lines.push('');
  lines.push('Rates are medians over trials (gen TX: generator link TX; lost pre-XDP: offered but dropped before');
  lines.push('the XDP program). CV and 95% CI (of the mean) are over trials; min-max is the slowest..fastest trial.');

  if (table.flagExplanations.length > 0) {
    lines.push('');
    lines.push('Flags:');
    const w = Math.max(...table.flagExplanations.map((f) => f.flag.length));
    for (const f of table.flagExplanations) lines.push(`  ${pad(f.flag, w, 'left')}  ${f.text}`);
  }
  if (table.notes.length > 0) {
    lines.push('');
    lines.push('Notes:');
    for (const n of table.notes) lines.push(`  ${n.label}: ${n.note}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Aligned plain-text columns: header, a dashed rule, the rows. The last column
 * is not padded, so long free text (skip reasons) does not widen the table.
 */
export function renderAlignedTable(
  headers: readonly string[],
  aligns: readonly ('left' | 'right')[],
  rows: readonly (readonly string[])[],
): string[] {
  const grid: (readonly string[])[] = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...grid.map((cells) => textWidth(cells[i] ?? ''))));
  const last = headers.length - 1;
  const renderLine = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => {
        if (i === last) return aligns[i] === 'right' ? pad(cell, widths[i]!, 'right') : cell;
        return pad(cell, widths[i]!, aligns[i] ?? 'left');
      })
      .join(GAP)
      .trimEnd();
  return [
    renderLine(headers),
    renderLine(headers.map((h, i) => '-'.repeat(i === last ? Math.min(widths[i]!, Math.max(h.length, 14)) : widths[i]!))),
    ...rows.map(renderLine),
  ];
}

function textWidth(s: string): number {
  return [...s].length;
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - textWidth(s)));
  return align === 'left' ? s + fill : fill + s;
}

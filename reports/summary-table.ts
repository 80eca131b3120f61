/*
 * The summary table model: built once from RunResults, rendered by the terminal
 * table and the Markdown report. Holds both the raw numbers and the display text,
 * so every renderer shows the same figures with the same units.
 */

import type {
  AttachedCase,
  InterruptedCase,
  CaseFlag,
  CaseResult,
  RunParameters,
  RunResults,
  Statistics,
  TrialResult,
  XdpMode,
} from '../ground/result-schema.ts';
import { XDP_ACTIONS } from '../ground/result-schema.ts';
import {
  NOT_AVAILABLE,
  formatBytes,
  formatCi,
  formatCv,
  formatErrno,
  formatMinMax,
  formatPercent,
  formatPps,
} from '../ground/format.ts';

/** Fixed order in which flags are listed and explained. */
export const FLAG_ORDER: readonly CaseFlag[] = [
  'generator-bound',
  'coupled',
  'sources-disagree',
  'unexpected-action',
  'high-variance',
];

/** One-line explanation of each flag. `parameters` lets it quote the run's own limits. */
export function explainFlag(flag: CaseFlag, parameters?: RunParameters): string {
  switch (flag) {
    case 'generator-bound':
      return 'DUT processed about all that was offered: the figure is a lower bound, not capacity';
    case 'coupled':
      return "generator and DUT shared CPUs (veth runs the receiver's XDP on the sender's CPU): " +
        'not a DUT capacity figure';
    case 'sources-disagree':
      return 'counters from different sources (XDP program, DUT link RX, driver, generator) differ by more than ' +
        (parameters ? `the agreement tolerance (${formatPercent(parameters.agreementTolerance)})` : 'the agreement tolerance') +
        ': treat the figure with care';
    case 'unexpected-action':
      return "the XDP program did not take the scenario's expected action: the figure does not measure the intended path";
    case 'high-variance':
      return 'coefficient of variation across trials above the limit: the median is not stable, ' +
        'rerun with more trials or on a quieter machine';
  }
}

export type ColumnId =
  | 'scenario'
  | 'mode'
  | 'size'
  | 'generator'
  | 'state'
  | 'xdpMedian'
  | 'cv'
  | 'ci95'
  | 'minMax'
  | 'genTxMedian'
  | 'lostMedian'
  | 'flagsOrReason';

export interface SummaryColumn {
  id: ColumnId;
  header: string;
  /** Shorter header for narrow (terminal) output. */
  shortHeader: string;
  align: 'left' | 'right';
}

export const SUMMARY_COLUMNS: readonly SummaryColumn[] = [
  { id: 'scenario', header: 'scenario', shortHeader: 'scenario', align: 'left' },
  { id: 'mode', header: 'mode', shortHeader: 'mode', align: 'left' },
  { id: 'size', header: 'size', shortHeader: 'size', align: 'right' },
  { id: 'generator', header: 'generator', shortHeader: 'generator', align: 'left' },
  { id: 'state', header: 'state', shortHeader: 'state', align: 'left' },
  { id: 'xdpMedian', header: 'XDP median', shortHeader: 'XDP median', align: 'right' },
  { id: 'cv', header: 'CV', shortHeader: 'CV', align: 'right' },
  { id: 'ci95', header: '95% CI (mean)', shortHeader: '95% CI', align: 'right' },
  { id: 'minMax', header: 'min-max', shortHeader: 'min-max', align: 'right' },
  { id: 'genTxMedian', header: 'gen TX median', shortHeader: 'gen TX', align: 'right' },
  { id: 'lostMedian', header: 'lost before XDP', shortHeader: 'lost pre-XDP', align: 'right' },
  { id: 'flagsOrReason', header: 'flags / reason', shortHeader: 'flags / reason', align: 'left' },
];

export interface SummaryRow {
  /** "scenario/mode" (plus the size when the run has several): names the case in notes. */
  label: string;
  scenario: string;
  mode: XdpMode;
  pktSizeBytes: number;
  generator: string;
  state: CaseResult['state'];
  /** Statistics of the XDP program's rate; null unless state is 'ok'. */
  xdpPps: Statistics | null;
  genTxPpsMedian: number | null;
  lostBeforeXdpPpsMedian: number | null;
  flags: CaseFlag[];
  notes: string[];
  /** For skipped/failed rows: the reason as recorded, verbatim. */
  reason: string | null;
  /** Display text per column. */
  cells: Record<ColumnId, string>;
  /** The case itself, for renderers that need more detail. */
  source: CaseResult;
}

export interface SummaryTable {
  columns: readonly SummaryColumn[];
  rows: SummaryRow[];
  /** Flags that occur in at least one row, in FLAG_ORDER. */
  flagsPresent: CaseFlag[];
  /** Explanations for flagsPresent, same order. */
  flagExplanations: { flag: CaseFlag; text: string }[];
  /** Every case note, labelled with its case. */
  notes: { label: string; note: string }[];
  /** Columns whose text is identical in every row (renderers may hoist them above the table). */
  constantColumns: ColumnId[];
}

/** Text of the last column for a case: flags for ok cases, "skipped: <reason>" / "failed (<stage>): <reason>" otherwise. */
export function flagsOrReason(c: CaseResult): string {
  switch (c.state) {
    case 'ok':
      return c.flags.length > 0 ? sortFlags(c.flags).join(', ') : NOT_AVAILABLE;
    case 'skipped': {
      let s = `skipped: ${oneLine(c.reason)}`;
      const extra: string[] = [];
      if (c.kernelMessage && !c.reason.includes(c.kernelMessage)) extra.push(`kernel: ${truncate(oneLine(c.kernelMessage), 160)}`);
      if (c.errno !== undefined && !new RegExp(`errno ${c.errno}\\b`).test(c.reason)) extra.push(`errno ${formatErrno(c.errno)}`);
      if (extra.length > 0) s += ` (${extra.join('; ')})`;
      return s;
    }
    case 'failed':
      return `failed (${oneLine(c.stage)}): ${oneLine(c.reason)}`;
    case 'attached':
      return `${attachedLabel(c)}: prog id ${c.progId}, tag ${c.progTag}`;
    case 'interrupted':
      return `${oneLine(c.reason)}: ${partialFigureText(c)}`;
  }
}

/** The finished trials of an interrupted case, said so: never in the figure columns, which hold full cases only. */
export function partialFigureText(c: InterruptedCase): string {
  return `median of the finished trials ${formatPps(c.stats.xdpPps.median)} (partial, not the case's figure)`;
}

/**
 * What the program returned, as shares of all its frames (mean over trials):
 * "drop 100 %", "pass 61.2 %, drop 38.8 %"; invalid return values and
 * aborted frames are named. "-" for cases without figures.
 */
export function actionMix(c: CaseResult): string {
  if (c.state !== 'ok' || c.trials.length === 0) return NOT_AVAILABLE;
  const trials = c.trials;
  const total = trials.reduce((s, t) => s + t.xdpPps, 0);
  if (total <= 0) return 'none';
  const share = (f: (t: TrialResult) => number) => trials.reduce((s, t) => s + f(t), 0) / total;
  const parts: [string, number][] = XDP_ACTIONS.map((a) => [a, share((t) => t.actionPps[a])]);
  parts.push(['invalid', share((t) => t.exceptions?.invalidActionPps ?? 0)]);
  return parts.filter(([, f]) => f >= 0.0005).sort((x, y) => y[1] - x[1])
    .map(([a, f]) => `${a} ${f >= 0.9995 ? '100' : (f * 100).toFixed(1)} %`).join(', ') || 'none';
}

/** "attached (netdevsim, no datapath)": offloaded and attached on a device that runs no packets; no figure. */
export function attachedLabel(c: AttachedCase): string {
  return `attached (${c.driver}, no datapath)`;
}

export function caseLabel(c: CaseResult, withSize = false): string {
  return withSize ? `${c.scenario}/${c.mode}/${c.pktSizeBytes}B` : `${c.scenario}/${c.mode}`;
}

export function buildSummaryTable(results: RunResults): SummaryTable {
  const sizes = new Set(results.cases.map((c) => c.pktSizeBytes));
  const withSize = sizes.size > 1;

  const rows: SummaryRow[] = results.cases.map((c) => {
    const ok = c.state === 'ok' ? c : null;
    const xdp = ok ? ok.stats.xdpPps : null;
    const row: SummaryRow = {
      label: caseLabel(c, withSize),
      scenario: c.scenario,
      mode: c.mode,
      pktSizeBytes: c.pktSizeBytes,
      generator: c.generator,
      state: c.state,
      xdpPps: xdp,
      genTxPpsMedian: ok ? ok.stats.genTxPps.median : null,
      lostBeforeXdpPpsMedian: ok ? ok.stats.lostBeforeXdpPps.median : null,
      flags: ok ? sortFlags(ok.flags) : [],
      notes: ok ? [...ok.notes] : c.state === 'attached' ? [...c.notes] : [],
      reason: c.state === 'ok' ? null : c.reason,
      cells: {
        scenario: c.scenario,
        mode: c.mode,
        size: formatBytes(c.pktSizeBytes),
        generator: c.generator,
        state: c.state,
        xdpMedian: formatPps(xdp?.median),
        cv: formatCv(xdp),
        ci95: formatCi(xdp),
        minMax: formatMinMax(xdp),
        genTxMedian: formatPps(ok?.stats.genTxPps.median),
        lostMedian: formatPps(ok?.stats.lostBeforeXdpPps.median),
        flagsOrReason: flagsOrReason(c),
      },
      source: c,
    };
    return row;
  });

  const present = new Set<CaseFlag>(rows.flatMap((r) => r.flags));
  const flagsPresent = FLAG_ORDER.filter((f) => present.has(f));

  const constantColumns = rows.length === 0
    ? []
    : SUMMARY_COLUMNS.map((col) => col.id).filter((id) => rows.every((r) => r.cells[id] === rows[0]!.cells[id]));

  return {
    columns: SUMMARY_COLUMNS,
    rows,
    flagsPresent,
    flagExplanations: flagsPresent.map((flag) => ({ flag, text: explainFlag(flag, results.parameters) })),
    notes: rows.flatMap((r) => r.notes.map((note) => ({ label: r.label, note }))),
    constantColumns,
  };
}

function sortFlags(flags: readonly CaseFlag[]): CaseFlag[] {
  const unique = [...new Set(flags)];
  return unique.sort((a, b) => FLAG_ORDER.indexOf(a) - FLAG_ORDER.indexOf(b));
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\r?\n\s*/g, ' ').trim();
}

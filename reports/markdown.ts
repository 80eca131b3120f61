/* The Markdown report of one run. */

import type {
  AttachedCase,
  CaseResult,
  FailedCase,
  InterruptedCase,
  OkCase,
  RunResults,
  SkippedCase,
  TrialResult,
} from '../ground/result-schema.ts';
import {
  NOT_AVAILABLE,
  formatBytes,
  formatCommandLine,
  formatElapsed,
  formatErrno,
  formatPerCpuPps,
  formatPps,
  formatSeconds,
  formatStatsLine,
} from '../ground/format.ts';
import { attachedLabel, buildSummaryTable, caseLabel } from './summary-table.ts';
import { environmentFields, parameterFields } from '../ground/run-info.ts';
import type { SummaryTable } from './summary-table.ts';

export interface MarkdownOptions {
  /** Path of the chart PNG relative to the Markdown file; adds an image link when given. */
  chartFile?: string;
}

export function renderMarkdown(
  results: RunResults,
  opts: MarkdownOptions = {},
  table: SummaryTable = buildSummaryTable(results),
): string {
  const out: string[] = [];
  const p = results.parameters;
  const env = results.environment;

  out.push(`# XDP bench report: ${escapeInline(results.runId)}`, '');
  const elapsed = formatElapsed(results.startedAt, results.finishedAt);
  out.push(`- Run id: \`${results.runId}\``);
  out.push(`- State: ${results.state}`);
  out.push(`- Started: ${results.startedAt}`);
  out.push(`- Finished: ${results.finishedAt ?? 'not finished'}${elapsed ? ` (${elapsed})` : ''}`);
  out.push(`- Results schema version: ${results.schemaVersion}`);
  out.push('');
  if (results.state !== 'complete') {
    out.push(`> **Warning:** the run is ${results.state}; some cases may be missing or incomplete.`, '');
  }

  out.push('## Environment', '');
  // The command line gets its own fenced block below.
  out.push(keyValueTable(environmentFields(results).filter(([name]) => name !== 'Command line')));
  out.push('', 'Command line:', '', fence(formatCommandLine(env.commandLine)), '');

  out.push('## Parameters', '');
  out.push(keyValueTable(parameterFields(results)));
  out.push('');

  out.push('## Summary', '');
  if (table.rows.length === 0) {
    out.push('No cases recorded.', '');
  } else {
    out.push(
      'XDP median, CV, 95 % CI and min-max are over the trials of each case; ' +
        'the CI is that of the mean (Student\'s t). Rates are frames per second.',
      '',
    );
    out.push(markdownTable(
      table.columns.map((c) => c.header),
      table.columns.map((c) => c.align),
      table.rows.map((r) => table.columns.map((c) => r.cells[c.id])),
    ));
    out.push('');
  }

  if (table.flagExplanations.length > 0) {
    out.push('### Flags', '');
    for (const f of table.flagExplanations) out.push(`- **${f.flag}**: ${escapeInline(f.text)}`);
    out.push('');
  }
  if (table.notes.length > 0) {
    out.push('### Notes', '');
    for (const n of table.notes) out.push(`- ${escapeInline(n.label)}: ${escapeInline(n.note)}`);
    out.push('');
  }

  if (opts.chartFile !== undefined) {
    out.push('## Chart', '');
    out.push(`![Median XDP throughput per mode, ${formatBytes(p.pktSizeBytes)} packets](${linkTarget(opts.chartFile)})`);
    out.push('');
  }

  if (results.cases.length > 0) {
    out.push('## Cases', '');
    const withSize = new Set(results.cases.map((c) => c.pktSizeBytes)).size > 1;
    for (const c of results.cases) out.push(...renderCase(c, caseLabel(c, withSize)));
  }

  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

function renderCase(c: CaseResult, label: string): string[] {
  const out = [`### ${escapeInline(label)}: ${c.state}`, ''];
  out.push(`Packet size ${formatBytes(c.pktSizeBytes)}, generator ${escapeInline(c.generator)}.`, '');
  switch (c.state) {
    case 'ok':
      out.push(...renderOkCase(c));
      break;
    case 'skipped':
      out.push(...renderSkippedCase(c));
      break;
    case 'failed':
      out.push(...renderFailedCase(c));
      break;
    case 'attached':
      out.push(...renderAttachedCase(c));
      break;
    case 'interrupted':
      out.push(...renderInterruptedCase(c));
      break;
  }
  return out;
}

/** The finished trials, kept as measured; their statistics are labelled partial (fewer trials than planned). */
function renderInterruptedCase(c: InterruptedCase): string[] {
  return [
    `- ${escapeInline(c.reason)}: ${c.trials.length} of ${c.trialsPlanned} trials finished. Not a full case: not compared, not a capacity figure.`,
    `- XDP program over the finished trials (partial): ${formatStatsLine(c.stats.xdpPps)}`,
    `- Generator TX (partial): ${formatStatsLine(c.stats.genTxPps)}`,
    '',
    ...renderTrials(c.trials),
    '',
  ];
}

function renderAttachedCase(c: AttachedCase): string[] {
  const out = [
    `- ${escapeInline(attachedLabel(c))}: ${escapeInline(c.reason)}`,
    `- Device: ${escapeInline(c.device)} (${escapeInline(c.driver)}), program id ${c.progId}, tag \`${c.progTag}\``,
  ];
  for (const n of c.notes) out.push(`- Note: ${escapeInline(n)}`);
  out.push('');
  return out;
}

function renderOkCase(c: OkCase): string[] {
  const out: string[] = [];
  out.push(`- XDP program: ${formatStatsLine(c.stats.xdpPps)}`);
  out.push(`- Generator TX: ${formatStatsLine(c.stats.genTxPps)}`);
  out.push(`- DUT RX: ${formatStatsLine(c.stats.dutRxPps)}`);
  out.push(`- Lost before XDP: ${formatStatsLine(c.stats.lostBeforeXdpPps)}`);
  out.push(`- Flags: ${c.flags.length > 0 ? c.flags.join(', ') : 'none'}`);
  for (const n of c.notes) out.push(`- Note: ${escapeInline(n)}`);
  out.push('');
  if (c.trials.length === 0) {
    out.push('No trials recorded.', '');
    return out;
  }
  out.push(...renderTrials(c.trials), '');
  return out;
}

function renderTrials(trials: readonly TrialResult[]): string[] {
  const hasDriver = trials.some((t) => t.driverXdpPps !== null);
  const hasProof = trials.some((t) => t.proofPps !== null);
  const hasGenOwn = trials.some((t) => t.genOwnPps !== null);
  const headers = ['trial', 'duration', 'XDP pps', 'gen TX pps'];
  const align: ('left' | 'right')[] = ['right', 'right', 'right', 'right'];
  if (hasGenOwn) { headers.push('gen own pps'); align.push('right'); }
  headers.push('DUT RX pps');
  align.push('right');
  if (hasDriver) { headers.push('driver XDP pps'); align.push('right'); }
  if (hasProof) { headers.push('proof pps'); align.push('right'); }
  headers.push('lost before XDP', 'actions', 'per-CPU XDP pps', 'samples');
  align.push('right', 'left', 'left', 'right');

  const rows = trials.map((t) => {
    const cells = [String(t.index), formatSeconds(t.durationMs / 1000), formatPps(t.xdpPps), formatPps(t.genTxPps)];
    if (hasGenOwn) cells.push(formatPps(t.genOwnPps));
    cells.push(formatPps(t.dutRxPps));
    if (hasDriver) cells.push(formatPps(t.driverXdpPps));
    if (hasProof) cells.push(formatPps(t.proofPps));
    cells.push(formatPps(t.lostBeforeXdpPps), formatActions(t.actionPps, t.exceptions), formatPerCpuPps(t.perCpuPps), String(t.samples.length));
    return cells;
  });
  return [markdownTable(headers, align, rows)];
}

/** Per action; with the exception tracepoints, invalid actions and failed TX/redirects too. */
function formatActions(actionPps: TrialResult['actionPps'], exceptions?: TrialResult['exceptions']): string {
  const parts = Object.entries(actionPps)
    .filter(([, pps]) => pps > 0)
    .map(([action, pps]) => `${action} ${formatPps(pps)}`);
  if (exceptions) {
    for (const [what, pps] of [['invalid action', exceptions.invalidActionPps], ['TX failed', exceptions.txErrorPps], ['redirect failed', exceptions.redirectErrorPps]] as const) {
      if (pps > 0) parts.push(`${what} ${formatPps(pps)}`);
    }
  }
  return parts.length > 0 ? parts.join(', ') : NOT_AVAILABLE;
}

function renderSkippedCase(c: SkippedCase): string[] {
  const lines = [`reason: ${c.reason}`];
  if (c.kernelMessage !== undefined) lines.push(`kernel message: ${c.kernelMessage}`);
  if (c.errno !== undefined) lines.push(`errno: ${formatErrno(c.errno)}`);
  return ['Skipped. The kernel\'s words:', '', fence(lines.join('\n')), ''];
}

function renderFailedCase(c: FailedCase): string[] {
  return [`Failed at stage \`${c.stage.replace(/`/g, "'")}\`:`, '', fence(`reason: ${c.reason}`), ''];
}

/* ---- Markdown helpers ---- */

export function markdownTable(headers: readonly string[], align: readonly ('left' | 'right')[], rows: readonly (readonly string[])[]): string {
  const row = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  const sep = `|${align.map((a) => (a === 'right' ? '---:' : ':---')).map((s) => ` ${s} `).join('|')}|`;
  return [row(headers), sep, ...rows.map(row)].join('\n');
}

function keyValueTable(pairs: readonly (readonly [string, string])[]): string {
  return markdownTable(['Field', 'Value'], ['left', 'left'], pairs.map(([k, v]) => [k, v]));
}

/** Text in a table cell: pipes escaped, line breaks flattened. */
function escapeCell(s: string): string {
  return escapeInline(s).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** Inline text: neutralise characters that would start HTML or emphasis at odd places. */
export function escapeInline(s: string): string {
  return s.replace(/[<>]/g, (ch) => (ch === '<' ? '&lt;' : '&gt;')).replace(/([\\`*[\]])/g, '\\$1');
}

/** A fenced code block that cannot be closed early by backticks inside the text. */
export function fence(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}text\n${text}\n${ticks}`;
}

function linkTarget(path: string): string {
  return /[\s()<>]/.test(path) ? `<${path.replace(/[<>]/g, encodeURIComponent)}>` : path;
}

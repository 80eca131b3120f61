/* bench report DIR...: the report of one run, or of several runs (hosts, kernels, NICs) merged into one comparison. */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { EXIT } from '../../../ground/errors.ts';
import { writeReports } from '../../results/report-files.ts';
import { RESULTS_FILE_NAME } from '../../results/results-io.ts';
import { buildComparison, runLetter } from '../../analysis/compare.ts';
import { renderComparisonTerminal } from '../../../reports/compare.ts';
import { renderMergedHtml, renderMergedJson, renderMergedMarkdown, renderSummaryJson, type LabelledRun } from '../../../reports/merged-report.ts';
import { buildSummaryTable } from '../../../reports/summary-table.ts';
import { renderTerminalTable } from '../../../reports/terminal-table.ts';
import { OUTPUT_FORMATS, checkOutputOption, note, parseNumber, readRun, throwIfErrors, writeOutputs, type OutputFormat } from './shared.ts';

export interface ReportCommandOptions {
  out?: string;
  alpha: string;
  format: OutputFormat;
}

export const REPORT_FILES = { html: 'report.html', markdown: 'report.md', json: 'report.json' } as const;

export async function runReport(sources: string[], opts: ReportCommandOptions): Promise<number> {
  const errors: string[] = [];
  const alpha = parseNumber(opts.alpha, '--alpha', errors, { min: 0, max: 1, exclusive: true });
  if (sources.length > 1 && !opts.out) errors.push('--out: required when merging several runs (where should the merged report go?)');
  // One run without --out: its report goes next to its results.json; that place is checked the same way.
  const singleOutDir = sources.length === 1 ? opts.out ?? (existsSync(path.join(sources[0]!, RESULTS_FILE_NAME)) ? sources[0]! : path.dirname(sources[0]!)) : undefined;
  checkOutputOption(opts.out ?? singleOutDir, [...Object.values(REPORT_FILES), 'chart.png'], errors, opts.out === undefined ? 'the run\'s directory (where the report goes without --out)' : '--out');
  throwIfErrors(errors);

  const inputs = sources.map(readRun);
  const unusable = inputs.filter((r) => !r.results);
  for (const u of unusable) note(`${u.source}: not used: ${u.problem}`);

  let files: Record<string, string>;
  let terminal: string;
  let outDir: string;
  const written: string[] = [];
  if (sources.length === 1) {
    const run = inputs[0]!;
    if (!run.results) return EXIT.notComparable;
    outDir = singleOutDir!;
    const table = buildSummaryTable(run.results);
    // report.md, report.html and the PNG charts exactly as `bench run` writes them; JSON from the same table.
    mkdirSync(outDir, { recursive: true });
    written.push(...(await writeReports(outDir, run.results)).filter((f) => path.basename(f) !== RESULTS_FILE_NAME));
    files = { [REPORT_FILES.json]: renderSummaryJson(run.results, table) };
    terminal = renderTerminalTable(run.results, table);
  } else {
    outDir = opts.out!; // checked above
    const comparison = buildComparison(inputs, { metrics: ['xdpPps'], alpha, thresholds: [] });
    const runs: LabelledRun[] = inputs.flatMap((r, i) => (r.results ? [{ label: runLetter(i), source: r.source, results: r.results }] : []));
    if (runs.length === 0) return EXIT.notComparable;
    files = {
      [REPORT_FILES.html]: renderMergedHtml(runs, comparison),
      [REPORT_FILES.markdown]: renderMergedMarkdown(runs, comparison),
      [REPORT_FILES.json]: renderMergedJson(runs, comparison),
    };
    terminal = renderComparisonTerminal(comparison);
  }
  written.push(...writeOutputs(outDir, files));
  const byFormat: Record<OutputFormat, () => string> = {
    terminal: () => terminal,
    markdown: () => readFileSync(path.join(outDir, REPORT_FILES.markdown), 'utf8'),
    html: () => files[REPORT_FILES.html]!,
    json: () => files[REPORT_FILES.json]!,
  };
  process.stdout.write(byFormat[opts.format]());
  note(`wrote ${written.join(', ')}`);
  return unusable.length > 0 ? EXIT.notComparable : EXIT.ok;
}

export function registerReportCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('report')
    .description('write a self-contained HTML report (plus Markdown and JSON) of one run, or merge several runs into one comparison')
    .argument('<dir...>', 'run directories (or results.json files); several = one merged comparison report, the first is the baseline')
    .option('--out <dir>', `where ${Object.values(REPORT_FILES).join(', ')} go (default for one run: its directory; one run also gets the PNG charts bench run writes)`)
    .option('--alpha <p>', "significance level for the comparison of several runs (Welch's t)", '0.05')
    .addOption(new Option('--format <format>', 'what to print on stdout').choices([...OUTPUT_FORMATS]).default('terminal'))
    .addHelpText('after', `
Exit codes:
  ${EXIT.ok}  report written
  ${EXIT.notComparable}  a run is missing, unreadable, invalid or of a newer schema (the others are still reported)
  ${EXIT.usage}  bad command line`)
    .action(async (dirs: string[], opts: ReportCommandOptions) => setExit(await runReport(dirs, opts)));
}

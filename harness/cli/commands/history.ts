/* bench history DIR...: many runs (one per night) as a trend per case and metric, with step-change detection. */
import { Option, type Command } from 'commander';
import { EXIT } from '../../../ground/errors.ts';
import { buildHistory, type HistoryInput } from '../../analysis/history.ts';
import { METRIC_IDS } from '../../analysis/metrics.ts';
import { historyChartSpecs, renderHistoryHtml, renderHistoryJson, renderHistoryMarkdown, renderHistoryTerminal } from '../../../reports/history.ts';
import { renderLineChartSvg } from '../../../reports/svg-chart.ts';
import { OUTPUT_FORMATS, checkOutputOption, findRuns, note, parseMetrics, parseNumber, readRun, throwIfErrors, writeOutputs, type OutputFormat } from './shared.ts';

export interface HistoryCommandOptions {
  metrics: string;
  alpha: string;
  minChange: string;
  minSegment: string;
  format: OutputFormat;
  out?: string;
}

export const HISTORY_FILES = { html: 'history.html', markdown: 'history.md', json: 'history.json' } as const;

/** Fewer usable runs than this is no trend. */
export const MIN_HISTORY_RUNS = 2;

export function runHistory(paths: string[], opts: HistoryCommandOptions): number {
  const errors: string[] = [];
  const metrics = parseMetrics(opts.metrics, errors);
  const alpha = parseNumber(opts.alpha, '--alpha', errors, { min: 0, max: 1, exclusive: true });
  const minChangeFraction = parseNumber(opts.minChange, '--min-change', errors, { min: 0, max: 10 });
  const minSegmentRuns = parseNumber(opts.minSegment, '--min-segment', errors, { min: 2, max: 1000, integer: true });
  checkOutputOption(opts.out, [...Object.values(HISTORY_FILES)], errors);
  throwIfErrors(errors);

  const found = findRuns(paths);
  const skipped = [...found.problems];
  const inputs: HistoryInput[] = [];
  for (const source of found.sources) {
    const run = readRun(source);
    if (run.results) inputs.push({ source, results: run.results });
    else skipped.push({ source, reason: run.problem ?? 'no results' });
  }
  const history = buildHistory(inputs, skipped, metrics, { alpha, minChangeFraction, minSegmentRuns });
  const svgs = historyChartSpecs(history).map((spec) => renderLineChartSvg(spec));
  const chartFiles = history.metrics.map((m) => `history-${m}.svg`);
  const render: Record<OutputFormat, () => string> = {
    terminal: () => renderHistoryTerminal(history),
    markdown: () => renderHistoryMarkdown(history, opts.out ? chartFiles : []),
    html: () => renderHistoryHtml(history),
    json: () => renderHistoryJson(history),
  };
  process.stdout.write(render[opts.format]());
  if (opts.out) {
    const files = writeOutputs(opts.out, {
      [HISTORY_FILES.html]: render.html(),
      [HISTORY_FILES.markdown]: render.markdown(),
      [HISTORY_FILES.json]: render.json(),
      ...Object.fromEntries(chartFiles.map((f, i) => [f, svgs[i]!])),
    });
    note(`wrote ${files.join(', ')}`);
  }
  if (inputs.length < MIN_HISTORY_RUNS) {
    note(`only ${inputs.length} usable run${inputs.length === 1 ? '' : 's'}: a trend needs at least ${MIN_HISTORY_RUNS}`);
    return EXIT.notComparable;
  }
  return EXIT.ok;
}

export function registerHistoryCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('history')
    .description('trend of many runs (e.g. one per night) per case and metric, with a chart and step-change detection')
    .argument('<dir...>', 'run directories, or directories whose subdirectories are runs (e.g. results/)')
    .option('--metrics <list>', `metrics, comma-separated: ${METRIC_IDS.join(', ')}, or all`, 'all')
    .option('--alpha <p>', "significance level of the step test (Welch's t, Bonferroni-corrected over the pairs of segments tested)", '0.05')
    .option('--min-change <fraction>', 'smallest relative change of the mean reported as a step (0.05 = 5 %)', '0.05')
    .option('--min-segment <runs>', 'fewest runs on each side of a step (at least 2)', '2')
    .addOption(new Option('--format <format>', 'what to print on stdout').choices([...OUTPUT_FORMATS]).default('terminal'))
    .option('--out <dir>', `also write ${Object.values(HISTORY_FILES).join(', ')} and one history-METRIC.svg chart per metric`)
    .addHelpText('after', `
Runs are ordered by start time; unreadable or invalid runs are listed and left out. Exit codes:
  ${EXIT.ok}  trend drawn (whether or not a step was found)
  ${EXIT.notComparable}  fewer than ${MIN_HISTORY_RUNS} usable runs
  ${EXIT.usage}  bad command line`)
    .action((dirs: string[], opts: HistoryCommandOptions) => setExit(runHistory(dirs, opts)));
}

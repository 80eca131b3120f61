/* bench compare A B [C ...]: the baseline A against each candidate, with significance and --fail-on thresholds. */
import { Option, type Command } from 'commander';
import { EXIT } from '../../../ground/errors.ts';
import { TEST_DESCRIPTION, buildComparison, type Comparison } from '../../analysis/compare.ts';
import { METRIC_IDS } from '../../analysis/metrics.ts';
import { THRESHOLD_SYNTAX, parseThreshold, type Threshold } from '../../analysis/threshold.ts';
import { renderComparisonHtml, renderComparisonJson, renderComparisonMarkdown, renderComparisonTerminal } from '../../../reports/compare.ts';
import { OUTPUT_FORMATS, checkOutputOption, collect, note, parseMetrics, parseNumber, readRun, throwIfErrors, writeOutputs, type OutputFormat } from './shared.ts';

export interface CompareCommandOptions {
  failOn: string[];
  metrics: string;
  alpha: string;
  format: OutputFormat;
  out?: string;
}

export const COMPARE_FILES = { html: 'compare.html', markdown: 'compare.md', json: 'compare.json' } as const;

export const VERDICT_EXIT: Readonly<Record<Comparison['verdict'], number>> = {
  pass: EXIT.ok,
  regression: EXIT.regression,
  'not-comparable': EXIT.notComparable,
};

export function runCompare(sources: string[], opts: CompareCommandOptions): number {
  const errors: string[] = [];
  const thresholds: Threshold[] = [];
  for (const text of opts.failOn) {
    try {
      thresholds.push(parseThreshold(text));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  const metrics = parseMetrics(opts.metrics, errors);
  const alpha = parseNumber(opts.alpha, '--alpha', errors, { min: 0, max: 1, exclusive: true });
  checkOutputOption(opts.out, Object.values(COMPARE_FILES), errors);
  throwIfErrors(errors); // before reading anything

  const comparison = buildComparison(sources.map(readRun), { metrics, alpha, thresholds });
  const render: Record<OutputFormat, () => string> = {
    terminal: () => renderComparisonTerminal(comparison),
    markdown: () => renderComparisonMarkdown(comparison),
    html: () => renderComparisonHtml(comparison),
    json: () => renderComparisonJson(comparison),
  };
  process.stdout.write(render[opts.format]());
  if (opts.out) {
    const files = writeOutputs(opts.out, {
      [COMPARE_FILES.html]: render.html(),
      [COMPARE_FILES.markdown]: render.markdown(),
      [COMPARE_FILES.json]: render.json(),
    });
    note(`wrote ${files.join(', ')}`);
  }
  return VERDICT_EXIT[comparison.verdict];
}

export function registerCompareCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('compare')
    .description('compare runs per scenario/mode/size: values, deltas and whether they are significant; fail on thresholds')
    .argument('<baseline>', 'the baseline run: a run directory or its results.json')
    .argument('<candidate...>', 'one or more runs to compare against the baseline')
    .option('--fail-on <threshold>', `exit ${EXIT.regression} when a significant change crosses it (repeatable): ${THRESHOLD_SYNTAX}`, collect, [])
    .option('--metrics <list>', `metrics to compare, comma-separated: ${METRIC_IDS.join(', ')}, or all`, 'xdpPps')
    .option('--alpha <p>', `significance level: a change is significant when p < alpha (${TEST_DESCRIPTION})`, '0.05')
    .addOption(new Option('--format <format>', 'what to print on stdout').choices([...OUTPUT_FORMATS]).default('terminal'))
    .option('--out <dir>', `also write ${Object.values(COMPARE_FILES).join(', ')} into this directory`)
    .addHelpText('after', `
Values are means over trials; delta = candidate - baseline. Exit codes:
  ${EXIT.ok}  no threshold crossed by a significant change
  ${EXIT.regression}  a --fail-on threshold was crossed by a significant change (a regression)
  ${EXIT.notComparable}  cannot decide: a run is missing, unreadable, invalid or of a newer schema, no case in common,
     or a threshold's case was not measured on both sides
  ${EXIT.usage}  bad command line`)
    .action((baseline: string, candidates: string[], opts: CompareCommandOptions) => setExit(runCompare([baseline, ...candidates], opts)));
}

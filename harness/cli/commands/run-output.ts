/* The end of every `bench run`: reports written next to results.json, the table (or JSON) on stdout. */
import type { RunResults } from '../../../ground/result-schema.ts';
import { OutputWriteError } from '../../../ground/errors.ts';
import { writeReports } from '../../results/report-files.ts';
import { writeResults } from '../../run/runner.ts';
import { renderTerminalTable } from '../../../reports/terminal-table.ts';
import { renderExtraText } from '../../../reports/latency-text.ts';

export async function printRunOutcome(outDir: string, results: RunResults, json: boolean, log: (line: string) => void): Promise<void> {
  let reportFiles: string[] = [];
  let writeError: OutputWriteError | undefined;
  try {
    reportFiles = await writeReports(outDir, results);
  } catch (err) {
    if (!(err instanceof OutputWriteError)) throw err;
    writeError = err;
  }
  // The figures are shown even when their report files could not be written.
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    const extra = renderExtraText(results);
    process.stdout.write(`${results.cases.length || !extra ? renderTerminalTable(results) : ''}${extra ? `\n${extra}\n` : ''}\n`);
  }
  if (writeError) {
    markReportsFailed(outDir, results, writeError, log);
    throw writeError;
  }
  log(`results: ${reportFiles.join(', ')}`);
}

/** A complete run whose reports could not be written has failed: results.json says so where it still can. */
function markReportsFailed(outDir: string, results: RunResults, err: OutputWriteError, log: (line: string) => void): void {
  if (results.state !== 'complete') return;
  try {
    writeResults(outDir, { ...results, state: 'failed', failure: { stage: 'reports', reason: err.message } });
  } catch (again) {
    log(`results.json could not be updated either (${(again as Error).message}): it says the run is complete, its reports are missing`);
  }
}

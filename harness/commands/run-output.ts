/* The end of every `bench run`: reports written next to results.json, the table (or JSON) on stdout. */
import type { RunResults } from '../result-schema.ts';
import { writeReports } from '../report-files.ts';
import { renderTerminalTable } from '../../reports/terminal-table.ts';
import { renderExtraText } from '../../reports/latency-text.ts';

export async function printRunOutcome(outDir: string, results: RunResults, json: boolean, log: (line: string) => void): Promise<void> {
  const reportFiles = await writeReports(outDir, results);
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    const extra = renderExtraText(results);
    process.stdout.write(`${results.cases.length || !extra ? renderTerminalTable(results) : ''}${extra ? `\n${extra}\n` : ''}\n`);
  }
  log(`results: ${reportFiles.join(', ')}`);
}

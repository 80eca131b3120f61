/* The figures of a prog-run report (BPF_PROG_TEST_RUN calls): statistics over
 * the calls and the ceiling they imply. The driver returns the raw calls. */
import { ProgRunOutputError, type ProgRunReport } from '../../drivers/prog-run.ts';
import type { ProgRunSummary } from '../../ground/result-schema.ts';
import { summarize } from './statistics.ts';

/** Statistics over the calls; throws when there is no call to summarize. */
export function summarizeProgRun(r: ProgRunReport): ProgRunSummary {
  if (r.runs.length === 0) throw new ProgRunOutputError(`${r.program}: no run completed${r.error ? ` (${r.error})` : ''}`);
  const ns = summarize(r.runs.map((c) => c.nsPerPacket));
  const actions = new Set(r.runs.map((c) => c.action));
  const retvals = new Set(r.runs.map((c) => c.retval));
  return {
    program: r.program,
    action: actions.size === 1 ? r.runs[0]!.action : 'mixed',
    retval: retvals.size === 1 ? r.runs[0]!.retval : null,
    repeat: r.repeat,
    frameBytes: r.frameBytes,
    nsPerPacket: ns,
    wallNsPerPacket: summarize(r.runs.map((c) => c.wallNsPerPacket)),
    mppsPerCore: ns.median > 0 ? 1e3 / ns.median : Number.POSITIVE_INFINITY,
    resolutionRelative: ns.median > 0 ? 1 / ns.median : 1,
  };
}

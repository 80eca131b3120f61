/* Constructed runs for compare/history/merged-report tests: the report fixture with chosen per-trial XDP rates. */
import type { CaseResult, OkCase, RunResults, XdpMode } from '../../ground/result-schema.ts';
import { attachedOffloadCase, makeResults, statsOf } from './fixture.ts';

export type CaseSpec = number[] | { state: 'skipped' | 'failed'; reason: string } | 'attached' | 'absent';

export interface RunSpec {
  runId: string;
  startedAt: string;
  host?: string;
  kernel?: string;
  /** Per mode: the XDP rate of each trial (pps), a non-ok state, or absent. Modes not given keep the fixture's case. */
  cases: Partial<Record<XdpMode, CaseSpec>>;
}

/** A complete, schema-valid run whose xdpPps trial values (and their stats) are exactly the given ones. */
export function makeRun(spec: RunSpec): RunResults {
  const r = makeResults();
  r.runId = spec.runId;
  r.startedAt = spec.startedAt;
  r.finishedAt = new Date(Date.parse(spec.startedAt) + 60_000).toISOString();
  if (spec.host) r.environment.hostname = spec.host;
  if (spec.kernel) r.environment.kernel = spec.kernel;
  const template = r.cases.find((c): c is OkCase => c.state === 'ok' && c.mode === 'native')!;
  r.cases = r.cases.flatMap((c): CaseResult[] => {
    const s = spec.cases[c.mode];
    if (s === undefined) return [c];
    if (s === 'absent') return [];
    if (s === 'attached') return [{ ...structuredClone(attachedOffloadCase), scenario: c.scenario, mode: c.mode, pktSizeBytes: c.pktSizeBytes, generator: c.generator }];
    if (!Array.isArray(s)) {
      const base = { scenario: c.scenario, mode: c.mode, pktSizeBytes: c.pktSizeBytes, generator: c.generator };
      return [s.state === 'skipped' ? { ...base, state: 'skipped', reason: s.reason } : { ...base, state: 'failed', reason: s.reason, stage: 'trial 1' }];
    }
    const ok: OkCase = c.state === 'ok' ? structuredClone(c) : { ...structuredClone(template), mode: c.mode };
    ok.trials = s.map((pps, i) => ({ ...structuredClone(ok.trials[i % ok.trials.length]!), index: i, xdpPps: pps }));
    ok.stats.xdpPps = statsOf(s);
    return [ok];
  });
  return r;
}

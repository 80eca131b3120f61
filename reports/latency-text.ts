/* Tables of the latency and program-cost measurements: terminal and Markdown from one model. */
import type { RunResults } from '../ground/result-schema.ts';

export interface TextTable {
  title: string;
  header: string[];
  rows: string[][];
  notes: string[];
}

const us = (ns: number | null | undefined) => (ns === null || ns === undefined ? '-' : `${(ns / 1e3).toFixed(1)}`);
const mpps = (pps: number | null) => (pps === null ? '-' : `${(pps / 1e6).toFixed(3)}`);

export function latencyTable(results: RunResults): TextTable | null {
  const recs = results.latency ?? [];
  if (recs.length === 0) return null;
  const rows = recs.map((l) => {
    const s = l.summary;
    if (l.state !== 'ok' || !s) return [l.mode, `${Math.round(l.loadFraction * 100)} %`, mpps(l.targetLoadPps), '-', '-', '-', '-', '-', '-', '-', '-', `${l.state}: ${l.reason ?? ''}`.slice(0, 120)];
    return [l.mode, `${Math.round(l.loadFraction * 100)} %`, mpps(l.targetLoadPps), mpps(l.achievedLoadPps), us(s.minNs), us(s.p50Ns), us(s.p90Ns), us(s.p99Ns), us(s.p999Ns), us(s.maxNs), `${s.lost}/${s.sent}`, `${s.reordered} reordered`];
  });
  const first = recs.find((l) => l.summary)?.summary;
  const captures = recs.filter((l) => l.capture).map((l) => `capture check (${l.mode}, idle): ${l.capture!.ok ? 'ok' : 'MISMATCH'}: ${l.capture!.sent} probes sent, ${l.capture!.received} replies seen${l.capture!.ok ? ', all with MACs, IPs and ports swapped' : `: ${l.capture!.mismatches.join('; ')}`}`);
  const notes = first ? [...captures, `timestamps: ${first.timestampSource} (clock resolution ${first.clockResolutionNs} ns; hardware: ${first.hardwareTimestamps.detail})`, 'RTT in µs; load in % of the reflector\'s measured maximum in that mode, sent by the rate-capped live generator'] : [];
  return { title: 'Latency (RTT through the XDP_TX reflector)', header: ['mode', 'load', 'target Mpps', 'sent Mpps', 'min', 'p50', 'p90', 'p99', 'p99.9', 'max', 'lost', 'order'], rows, notes };
}

export function progRunTable(results: RunResults): TextTable | null {
  const runs = results.progRun ?? [];
  if (runs.length === 0) return null;
  return {
    title: 'Program cost (BPF_PROG_TEST_RUN, no NIC)',
    header: ['scenario', 'program', 'file', 'ns/pkt median', 'CV', 'min-max', 'Mpps/core ceiling', 'action'],
    rows: runs.map((r) => [r.scenario, r.program, r.file, r.summary.nsPerPacket.median.toFixed(1), `${(r.summary.nsPerPacket.cv * 100).toFixed(1)} %`, `${r.summary.nsPerPacket.min}-${r.summary.nsPerPacket.max}`, r.summary.mppsPerCore.toFixed(1), String(r.summary.action)]),
    notes: [`${runs[0]!.summary.repeat} repeats per call; the ceiling is 1000 / ns per packet: what one core could do if only the program cost counted`],
  };
}

export function renderTextTable(t: TextTable): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [t.title, line(t.header), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line), ...t.notes.map((n) => `  ${n}`)].join('\n');
}

export function renderMarkdownTable(t: TextTable): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`## ${t.title}`, '', `| ${t.header.map(esc).join(' | ')} |`, `|${t.header.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`), '', ...t.notes.map((n) => `- ${n}`), ''].join('\n');
}

/** The extra sections of a run, rendered for the terminal (empty string when there are none). */
export function renderExtraText(results: RunResults): string {
  return [latencyTable(results), progRunTable(results)].filter((t): t is TextTable => t !== null).map(renderTextTable).join('\n\n');
}

export function renderExtraMarkdown(results: RunResults, charts: Record<string, string>): string {
  const parts = [latencyTable(results), progRunTable(results)].filter((t): t is TextTable => t !== null).map(renderMarkdownTable);
  for (const [caption, file] of Object.entries(charts)) parts.push(`![${caption}](${file})\n`);
  return parts.join('\n');
}

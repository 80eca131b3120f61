/* --prog-run: each scenario's program through BPF_PROG_TEST_RUN on the
 * scenario's frame (no NIC, no topology), repeated into statistics. */
import path from 'node:path';
import { runProgRun, DEFAULT_PROG_RUN } from '../../drivers/prog-run.ts';
import { summarizeProgRun } from '../analysis/prog-run-summary.ts';
import type { Scenario } from '../../scenarios/builtin.ts';
import { buildUdpFrame } from '../../ground/frame.ts';
import { BENCH_OBJECT } from '../../ground/paths.ts';
import type { ProgRunRecord } from '../../ground/result-schema.ts';
import { workVariant, type Work } from '../plan/work-variants.ts';

/** Addresses of the frame are those of the veth topology; no traffic is sent. */
const FRAME = { srcMac: '02:58:44:50:00:10', dstMac: '02:58:44:50:00:20', srcIp: '198.18.0.1', dstIp: '198.18.0.2' };

/** One scenario's program: built-in scenarios run their --work variant (as the throughput cases do); a user's program runs as named. */
export async function runProgRunOne(s: Scenario, pktSizeBytes: number, log: { info(line: string): void }, work: Work = 'no-touch'): Promise<ProgRunRecord> {
  const objectPath = s.object?.path ?? BENCH_OBJECT;
  const frame = buildUdpFrame({ ...FRAME, srcPort: s.srcPort ?? 1024, dstPort: s.dstPort, pktSizeBytes });
  // A redirecting built-in program needs its devmap slot filled to take its real path.
  const devmap = !s.object && s.program === 'xdp_redirect' ? { map: 'xdpb_redirect_port', dev: 'lo' } : undefined;
  const program = s.object ? s.program : workVariant(s.program, work);
  const report = await runProgRun({ objectPath, programName: program, frame, ...DEFAULT_PROG_RUN, devmap });
  const summary = summarizeProgRun(report);
  log.info(`prog-run ${s.name} (${program}): ${summary.nsPerPacket.median.toFixed(1)} ns/packet median, CV ${(summary.nsPerPacket.cv * 100).toFixed(1)} %, action ${summary.action}`);
  return { scenario: s.name, program, file: path.basename(objectPath), summary };
}

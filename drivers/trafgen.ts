/* Generator `trafgen` (netsniff-ng): AF_PACKET from user space, one sendto(2)
 * per frame (`--gap 0`), ~0.4-0.6 Mpps here. Its TX_RING path aborts
 * ("Flushing TX_RING failed: Resource temporarily unavailable") when the
 * receiving veth runs native XDP in its own NAPI thread (the decoupled
 * placement): veth pushes back and TX_RING gives up, while sendto() retries
 * (trafgen yields on ENOBUFS and sends the frame again; veth counts each
 * refusal in tx_dropped, so "offered" counts attempts). `--rate` used sendto()
 * already, so calibration and rate-limited trials now share one send path.
 * It may ignore SIGINT and, when interrupted, prints the requested count
 * instead of what it sent: its own count is only trusted when it ran to
 * completion; otherwise the interface's TX counter is the figure. */
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { haveProgram } from '../ground/exec.ts';
import { execInNetnsArgv } from './xdpb-helper.ts';
import { GeneratorFailure, type Availability, type GeneratorReport, type RunningTraffic, type TrafficDriver, type TrafficSpec } from './traffic-driver.ts';

/** Safety bound on the packet count: more than trafgen can send in the run. */
const TRAFGEN_MAX_PPS = 5_000_000;

export interface TrafgenSummary {
  packets: number;
  bytes: number;
  cpuSeconds: number;
}

/** Parses trafgen's closing summary ("N packets outgoing", "S sec, U usec on CPU0 (N packets)"). */
export function parseTrafgenSummary(output: string): TrafgenSummary | null {
  const text = output.replace(/\r/g, '\n');
  const packets = /(\d+)\s+packets outgoing/.exec(text);
  const bytes = /(\d+)\s+bytes outgoing/.exec(text);
  if (!packets || !bytes) return null;
  let cpuSeconds = 0;
  for (const m of text.matchAll(/(\d+)\s+sec,\s+(\d+)\s+usec on CPU\d+/g)) cpuSeconds += Number(m[1]) + Number(m[2]) / 1e6;
  return { packets: Number(packets[1]), bytes: Number(bytes[1]), cpuSeconds };
}

/** The TX_RING failure DESIGN.md warns about, as trafgen words it. */
export function trafgenFailureMessage(output: string): string | null {
  const line = output.split(/[\r\n]+/).find((l) => /failed|error|cannot open|no such device/i.test(l) && !/system socket memory/i.test(l));
  return line ? line.trim() : null;
}

/** Offset of the UDP source port's low byte in the harness's Ethernet/IPv4/UDP frame. */
const UDP_SRC_PORT_LOW_BYTE = 35;
export const TRAFGEN_MAX_FLOWS = 256;

/**
 * trafgen's config language: one packet, its bytes in braces. With flows > 1
 * the low byte of the UDP source port counts up per packet (`dinc`), which
 * limits trafgen to 256 flows.
 */
export function trafgenConfig(frame: Buffer, flows = 1): string {
  if (!Number.isInteger(flows) || flows < 1 || flows > TRAFGEN_MAX_FLOWS) throw new RangeError(`trafgen supports 1..${TRAFGEN_MAX_FLOWS} flows, got ${flows}`);
  const base = frame[UDP_SRC_PORT_LOW_BYTE]!;
  if (flows > 1 && base + flows - 1 > 255) throw new RangeError(`source port low byte ${base} + ${flows} flows overflows a byte`);
  const bytes = [...frame].map((b, i) => (flows > 1 && i === UDP_SRC_PORT_LOW_BYTE ? `dinc(${base}, ${base + flows - 1})` : `0x${b.toString(16).padStart(2, '0')}`));
  return `{ ${bytes.join(', ')} }\n`;
}

export function trafgenArgv(spec: TrafficSpec, configPath: string): string[] {
  const count = Math.ceil((TRAFGEN_MAX_PPS * spec.durationMs) / 1000);
  // --gap 0: sendto() per frame, no inter-frame gap (see the top of this file for why not TX_RING).
  const tool = ['trafgen', '--dev', spec.dev, '--conf', configPath, '--num', String(count), '--cpus', '1', '--no-sock-mem', '--gap', '0'];
  if (spec.ratePps > 0) tool.push('--rate', `${Math.round(spec.ratePps)}pps`);
  return execInNetnsArgv(spec.netns, tool, spec.cpus[0]);
}

export const trafgenGenerator: TrafficDriver = {
  name: 'trafgen',
  description: 'netsniff-ng trafgen (AF_PACKET, sendto() per frame), one process',
  defaultCpus: () => [0],

  async probe(): Promise<Availability> {
    if (!(await haveProgram('trafgen'))) return { available: false, reason: 'trafgen is not installed', fix: 'apt-get install netsniff-ng' };
    return { available: true, detail: 'trafgen found' };
  },

  async start(spec: TrafficSpec): Promise<RunningTraffic> {
    const configPath = path.join(spec.scratchDir, 'trafgen.cfg');
    writeFileSync(configPath, trafgenConfig(spec.frame, spec.flows));
    const [file, ...args] = trafgenArgv(spec, configPath);
    const started = performance.now();
    let interrupted = false;
    // trafgen forks a worker per CPU: run it in its own process group and signal
    // the group, or a killed parent leaves a worker sending (and holding our pipes).
    const child = execa(file!, args, { reject: false, all: true, detached: true, timeout: spec.durationMs + 15_000 });
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    const finished = child.then((r): GeneratorReport => {
      const output = String(r.all ?? '');
      const failure = trafgenFailureMessage(output);
      if (failure) throw new GeneratorFailure('trafgen', failure);
      if (r.exitCode !== 0 && !interrupted) throw new GeneratorFailure('trafgen', `exited ${r.exitCode}: ${output.slice(-300)}`);
      const summary = parseTrafgenSummary(output);
      return { framesSent: interrupted ? null : summary?.packets ?? null, durationMs: performance.now() - started };
    });
    finished.catch(() => undefined);
    return {
      finished,
      async stop() {
        interrupted = true;
        signalGroup('SIGINT');
        const timer = setTimeout(() => signalGroup('SIGKILL'), 1000); // trafgen may ignore SIGINT
        try {
          return await finished;
        } finally {
          clearTimeout(timer);
        }
      },
    };
  },
};

/* Generator `live`: the kernel's XDP live-frame mode (BPF_PROG_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES, Linux 5.18+) driven by `xdpb gen`: frames are
 * built once and sent by XDP_TX out of the generator interface, one thread
 * per CPU, at up to ~7 Mpps per thread on these machines. */
import os from 'node:os';
import { GEN_OBJECT, XDPB_HELPER } from '../ground/paths.ts';
import { localHost } from './host.ts';
import { parseHelperAnswer } from './xdpb-helper.ts';
import { GeneratorFailure, type Availability, type GeneratorReport, type RunningTraffic, type TrafficDriver, type TrafficSpec } from './traffic-driver.ts';
import { existsSync } from 'node:fs';

export interface LiveGenAnswer {
  framesSent: number;
  framesHeldByRateCap: number;
  durationNs: number;
  errno: number;
  threads: number;
}

export function liveGenArgv(spec: TrafficSpec): string[] {
  const host = spec.host ?? localHost;
  return [host.helperPath, 'gen', '--obj', host.genObject, '--netns', spec.netns, '--dev', spec.dev,
    '--frame-hex', spec.frame.toString('hex'), '--duration-ms', String(Math.ceil(spec.durationMs)),
    '--cpus', spec.cpus.join(','), '--rate-pps', String(Math.round(spec.ratePps)),
    '--flows', String(spec.flows), '--set', `xdpb_src_port_base=${spec.frame.readUInt16BE(34)}`];
}

export function kernelSupportsLiveFrames(release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 5 || (major === 5 && minor >= 18);
}

export const liveGenerator: TrafficDriver = {
  name: 'live',
  description: 'in-kernel XDP live-frame generator (BPF_PROG_RUN + BPF_F_TEST_XDP_LIVE_FRAMES), one thread per CPU',
  defaultCpus: (cpuCount) => Array.from({ length: cpuCount }, (_, i) => i),

  async probe(): Promise<Availability> {
    if (!kernelSupportsLiveFrames(os.release())) {
      return { available: false, reason: `kernel ${os.release()} is older than 5.18 (no BPF_F_TEST_XDP_LIVE_FRAMES)`, fix: 'use --generator trafgen' };
    }
    if (!existsSync(XDPB_HELPER) || !existsSync(GEN_OBJECT)) {
      return { available: false, reason: 'native helper not built', fix: 'run make -C native (or ./setup.sh)' };
    }
    return { available: true, detail: `kernel ${os.release()} has XDP live frames` };
  },

  async start(spec: TrafficSpec): Promise<RunningTraffic> {
    const host = spec.host ?? localHost;
    // Locally SIGTERM ends it; on a lab host the watchdog does, when the SSH channel closes.
    const proc = host.spawn(liveGenArgv(spec));
    const child = proc.child;
    const limit = setTimeout(() => void proc.stop(3000), spec.durationMs + 15_000);
    let stopRequested = false;
    const finished = child.then((r): GeneratorReport => {
      clearTimeout(limit);
      if (r.exitCode === 2) throw new GeneratorFailure('live', String(r.stderr).trim());
      if (r.exitCode === 255 && host.kind === 'ssh') throw new GeneratorFailure('live', `ssh to ${host.name} failed: ${String(r.stderr).trim().split('\n').slice(-2).join(' | ') || 'connection lost'}`);
      if (!String(r.stdout).trim()) {
        // Stopped before it could report (e.g. during its load): no own count.
        if (stopRequested) return { framesSent: null, durationMs: 0 };
        throw new GeneratorFailure('live', `xdpb gen ended without a report (${r.signal ?? `exit ${r.exitCode}`}): ${String(r.stderr).slice(-300)}`);
      }
      const answer = parseHelperAnswer<LiveGenAnswer>(String(r.stdout));
      return {
        framesSent: answer.framesSent,
        durationMs: answer.durationNs / 1e6,
        message: answer.errno ? `a thread stopped early: errno ${answer.errno}` : undefined,
      };
    });
    finished.catch(() => undefined); // observed by whoever awaits it
    return {
      finished,
      async stop() {
        stopRequested = true;
        if (child.exitCode === null || child.exitCode === undefined) await proc.stop(3000);
        return finished;
      },
    };
  },
};

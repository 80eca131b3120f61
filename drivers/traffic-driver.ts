/* What every traffic generator offers the harness. A generator is started per
 * trial, sends the given frame from one interface, and reports what it sent
 * by its own count (null when the tool's own count cannot be trusted). */
import type { Host } from './host.ts';

export interface TrafficSpec {
  netns: string;
  dev: string;
  frame: Buffer;
  /** Upper bound of the run; the harness normally stops it earlier. */
  durationMs: number;
  /** CPUs to run generator threads on (one thread each where the tool allows). */
  cpus: number[];
  /** Target rate over all threads; 0 = as fast as possible. */
  ratePps: number;
  /** Distinct flows: the UDP source port cycles through `flows` values from the frame's own. */
  flows: number;
  /** A private directory of the run for config files (removed with the run). */
  scratchDir: string;
  /** Where the generator runs: this machine unless a lab host is given (only `live` runs on lab hosts). */
  host?: Host;
}

export interface GeneratorReport {
  /** Frames the generator itself says it sent; null when its own count is not trustworthy. */
  framesSent: number | null;
  durationMs: number;
  /** Tool output worth keeping (a warning, the cause of a failure). */
  message?: string;
}

export interface RunningTraffic {
  /** Stops early (SIGINT/SIGTERM, then SIGKILL) and returns the report. */
  stop(): Promise<GeneratorReport>;
  /** Settles when the generator ends by itself. */
  readonly finished: Promise<GeneratorReport>;
}

export type Availability = { available: true; detail: string } | { available: false; reason: string; fix: string };

export interface TrafficDriver {
  readonly name: string;
  readonly description: string;
  /** How the driver places threads; `coupled` CPUs are computed from this. */
  defaultCpus(cpuCount: number): number[];
  probe(): Promise<Availability>;
  start(spec: TrafficSpec): Promise<RunningTraffic>;
  /** Why this generator must not drive a DUT in `mode` over a link of `dutDriver` (a known kernel crash), or null. */
  refusesMode?(mode: 'native' | 'generic' | 'offload', dutDriver: string): string | null;
}

/** A generator failure of one trial, with the tool's own message: never reported as a low pps. */
export class GeneratorFailure extends Error {
  constructor(readonly generator: string, message: string) {
    super(`${generator}: ${message}`);
    this.name = 'GeneratorFailure';
  }
}

/* Program cost without a NIC: `native/build/xdpb-lat prog-run` runs one XDP
 * program of an object through BPF_PROG_TEST_RUN on a built frame, K calls of
 * R repeats each, and prints the kernel's mean ns per repeat of each call.
 * This file builds the argv, parses the answer and turns the K figures into
 * statistics (harness/analysis/statistics.ts) and the ceiling they imply.
 *
 * What the figure is: the kernel times its whole test loop, so ns/packet is
 * the program plus the loop's own per-iteration work (bottom-half disable,
 * context setup, the timer check); compare programs with each other, and read
 * `xdp_pass` as the floor. The kernel reports whole nanoseconds (the mean is
 * truncated), so with programs of ~30 ns one step is ~3 %: a CV of 0 means the
 * runs agreed to the nanosecond, not that there was no noise. */
import { run } from '../ground/exec.ts';
import { BenchError, EXIT, KernelRefusalError } from '../ground/errors.ts';
import type { XdpAction } from '../ground/result-schema.ts';
import { XDPB_LAT } from './latency-prober.ts';
import { parseHelperAnswer } from './xdpb-helper.ts';

export const DEFAULT_PROG_RUN = { repeat: 1_000_000, runs: 15 } as const;

export interface ProgRunOptions {
  objectPath: string;
  programName: string;
  /** The frame the program runs on (no FCS), e.g. ground/frame.ts buildUdpFrame. */
  frame: Buffer;
  repeat?: number;
  runs?: number;
  /** Pin the measuring thread (the test run happens on the calling CPU). */
  cpu?: number;
  /** Slot 0 of this devmap -> this interface (in the caller's netns), so a redirecting program takes its real path. */
  devmap?: { map: string; dev: string };
}

export interface ProgRunCall {
  /** The kernel's mean ns per repeat for this call (whole ns, truncated). */
  nsPerPacket: number;
  /** User-space wall time of the call / repeat: also holds the call's set-up and tear-down (~20 ms per call here) and any preemption. */
  wallNsPerPacket: number;
  retval: number;
  action: XdpAction | 'unknown';
  dataOutBytes: number;
}

export interface ProgRunReport {
  program: string;
  object: string;
  frameBytes: number;
  repeat: number;
  cpu: number;
  runs: ProgRunCall[];
  interrupted: boolean;
  errno: number;
  error: string;
}

/** The prog-run answer is not what the helper prints. */
export class ProgRunOutputError extends BenchError {
  constructor(message: string) {
    super(`xdpb-lat prog-run: ${message}`, EXIT.runFailure);
  }
}

export function progRunArgv(o: ProgRunOptions): string[] {
  const argv = [XDPB_LAT, 'prog-run', '--obj', o.objectPath, '--prog-name', o.programName,
    '--frame-hex', o.frame.toString('hex'),
    '--repeat', String(o.repeat ?? DEFAULT_PROG_RUN.repeat), '--runs', String(o.runs ?? DEFAULT_PROG_RUN.runs)];
  if (o.cpu !== undefined) argv.push('--cpu', String(o.cpu));
  if (o.devmap) argv.push('--devmap', `${o.devmap.map}=${o.devmap.dev}`);
  return argv;
}

const ACTIONS: readonly string[] = ['aborted', 'drop', 'pass', 'tx', 'redirect', 'unknown'];

function rethrowAsOutputError(error: unknown): never {
  if (error instanceof KernelRefusalError) throw error;
  throw new ProgRunOutputError((error as Error).message.replace(/^xdpb helper /, ''));
}

export function parseProgRunOutput(stdout: string): ProgRunReport {
  let r: ProgRunReport & { ok: true };
  try {
    r = parseHelperAnswer<ProgRunReport>(stdout);
  } catch (error) {
    rethrowAsOutputError(error);
  }
  if (typeof r.program !== 'string' || typeof r.repeat !== 'number' || !Array.isArray(r.runs)) {
    throw new ProgRunOutputError('answer without program, repeat or runs');
  }
  for (const [i, c] of r.runs.entries()) {
    if (typeof c?.nsPerPacket !== 'number' || typeof c.wallNsPerPacket !== 'number' || typeof c.retval !== 'number' || !ACTIONS.includes(c.action)) {
      throw new ProgRunOutputError(`run ${i} is malformed: ${JSON.stringify(c)}`);
    }
  }
  const { ok: _ok, ...report } = r;
  return report;
}

/** Runs prog-run; a kernel refusal (load, find, test run) becomes a KernelRefusalError. */
export async function runProgRun(o: ProgRunOptions, timeoutMs = 120_000): Promise<ProgRunReport> {
  const out = await run(progRunArgv(o), { timeoutMs, okExitCodes: [0, 1] });
  if (out.exitCode === 2) throw new ProgRunOutputError(`usage: ${out.stderr.trim()}`);
  return parseProgRunOutput(out.stdout);
}

export interface ObjectProgram {
  name: string;
  section: string;
}

export function listProgramsArgv(objectPath: string): string[] {
  return [XDPB_LAT, 'list', '--obj', objectPath];
}

export function parseProgramList(stdout: string): ObjectProgram[] {
  let r: { programs: ObjectProgram[] };
  try {
    r = parseHelperAnswer<{ programs: ObjectProgram[] }>(stdout);
  } catch (error) {
    rethrowAsOutputError(error);
  }
  if (!Array.isArray(r.programs) || r.programs.some((p) => typeof p?.name !== 'string')) throw new ProgRunOutputError('list answer without programs');
  return r.programs.map((p) => ({ name: p.name, section: p.section }));
}

/** The programs of an object (no load, no privileges needed beyond reading the file). */
export async function listPrograms(objectPath: string): Promise<ObjectProgram[]> {
  const out = await run(listProgramsArgv(objectPath), { okExitCodes: [0, 1] });
  return parseProgramList(out.stdout);
}

/* Typed errors of the VM lab. Each says what happened and, where a person can
 * fix it, how. */
import { execa } from 'execa';
import { BenchError, CommandError, EXIT, MissingCapabilityError } from '../../ground/errors.ts';

/** Something the VM needs is not installed or not prepared: says what to install or run. */
export class VmUnavailableError extends MissingCapabilityError {
  readonly fix: string;
  constructor(reason: string, fix: string) {
    super(`the VM lab is not available: ${reason}; fix: ${fix}`);
    this.fix = fix;
  }
}

/** Preparing the image (download, unpack, build) failed at `step`. */
export class VmPrepareError extends BenchError {
  readonly step: string;
  constructor(step: string, message: string, options?: { cause?: unknown }) {
    super(`preparing the VM image failed at ${step}: ${message}`, EXIT.missingCapability, options);
    this.step = step;
  }
}

/** The guest never reached the job (boot failed); carries the console tail. */
export class VmBootError extends BenchError {
  readonly consoleTail: string;
  constructor(message: string, consoleTail: string) {
    super(`${message}${consoleTail ? `; guest console (last lines):\n${consoleTail}` : ''}`, EXIT.runFailure);
    this.consoleTail = consoleTail;
  }
}

/** The VM ran past its hard time limit and was killed. */
export class VmTimeoutError extends BenchError {
  readonly timeoutMs: number;
  readonly consoleTail: string;
  readonly stderrTail: string;
  constructor(timeoutMs: number, stage: string, stderrTail: string, consoleTail: string) {
    super(
      `the VM was killed after its hard limit of ${timeoutMs} ms (${stage})` +
        (stderrTail ? `; guest stderr (last lines):\n${stderrTail}` : '') +
        (consoleTail ? `; guest console (last lines):\n${consoleTail}` : ''),
      EXIT.runFailure,
    );
    this.timeoutMs = timeoutMs;
    this.consoleTail = consoleTail;
    this.stderrTail = stderrTail;
  }
}

/** A command inside the guest exited non-zero: the guest's own message. */
export class GuestCommandError extends CommandError {
  readonly guestKernel: string;
  constructor(argv: readonly string[], exitStatus: number, stderr: string, durationMs: number, guestKernel: string) {
    super(argv, exitStatus, stderr, durationMs);
    this.message = `in the VM (Linux ${guestKernel}): ${this.message}`;
    this.guestKernel = guestKernel;
  }
}

export function tail(text: string, lines = 15): string {
  return text.replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join('\n');
}

export interface StepOptions {
  cwd?: string;
  timeoutMs: number;
}

/** Runs argv (never a shell string); a failure becomes a VmPrepareError naming the step, with the stderr tail. */
export async function runStep(step: string, argv: readonly string[], options: StepOptions): Promise<string> {
  const [file, ...args] = argv;
  if (!file) throw new TypeError('runStep needs a command');
  const started = performance.now();
  const r = await execa(file, args, { reject: false, cwd: options.cwd, timeout: options.timeoutMs, stripFinalNewline: true, stdin: 'ignore' });
  if (r.failed) {
    const why = r.timedOut ? `timed out after ${options.timeoutMs} ms` : String(r.stderr || r.stdout || r.message);
    const cause = new CommandError(argv, r.exitCode ?? null, why, performance.now() - started, r);
    throw new VmPrepareError(step, cause.message, { cause });
  }
  return String(r.stdout ?? '');
}

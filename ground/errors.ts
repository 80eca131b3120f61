/* Typed errors and the documented exit codes (see README "Exit codes"). */
import { errorText, meaningfulLines } from './libbpf-log.ts';

export const EXIT = {
  ok: 0,
  /** A run finished but at least one case failed. */
  runFailure: 1,
  /** Bad command line or config: nothing was created. */
  usage: 2,
  /** Something the run needs is missing (root, a tool, a kernel feature). */
  missingCapability: 3,
  /** bench compare: a --fail-on threshold was crossed by a significant difference. */
  regression: 4,
  /** bench compare/report/history: results missing, unreadable, invalid, of a newer schema, or nothing to compare. */
  notComparable: 5,
  /** The terminal went away (SIGHUP, a dropped SSH session): partial results kept, everything released. */
  hangup: 129,
  /** Interrupted by SIGINT/SIGTERM: partial results kept, everything released. */
  interrupted: 130,
} as const;

/** The signals that stop a run cleanly, and the exit code each one ends it with (128 + signal number, as shells do). */
export const STOP_SIGNALS = { SIGHUP: EXIT.hangup, SIGINT: EXIT.interrupted, SIGTERM: EXIT.interrupted } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

function exitCodeOfSignal(signal: string): number {
  return signal in STOP_SIGNALS ? STOP_SIGNALS[signal as StopSignal] : EXIT.interrupted;
}

export class BenchError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** A bad flag or value; names the flag and what it accepts. */
export class UsageError extends BenchError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

export class MissingCapabilityError extends BenchError {
  constructor(message: string) {
    super(message, EXIT.missingCapability);
  }
}

/** The run was stopped by a signal; the exit code says which (129 SIGHUP, 130 SIGINT/SIGTERM). */
export class InterruptedError extends BenchError {
  readonly signal: string;
  constructor(signal: string) {
    super(`interrupted by ${signal}`, exitCodeOfSignal(signal));
    this.signal = signal;
  }
}

/**
 * The run itself could not go on (the generator failed while calibrating, a
 * result file could not be written): one line that says what and why.
 */
export class RunAbortedError extends BenchError {
  /** Where it stopped: calibration, output, ... */
  readonly stage: string;
  constructor(stage: string, message: string, options?: { cause?: unknown }) {
    super(message, EXIT.runFailure, options);
    this.stage = stage;
  }
}

/** A file of the run could not be written (disk full, read-only, gone); names the file and the errno. */
export class OutputWriteError extends RunAbortedError {
  readonly file: string;
  readonly code: string | undefined;
  constructor(file: string, cause: unknown) {
    const e = cause as NodeJS.ErrnoException;
    const why = e?.code === 'ENOSPC' ? 'no space left on device (ENOSPC)' : e?.code === 'EDQUOT' ? 'disk quota exceeded (EDQUOT)' : e?.code ? `${e.code}: ${e.message}` : String(cause);
    super('output', `could not write ${file}: ${why}`, { cause });
    this.file = file;
    this.code = e?.code;
  }
}

/** A command that failed: carries what a person needs to see why. */
export class CommandError extends BenchError {
  readonly argv: readonly string[];
  readonly exitStatus: number | null;
  readonly stderrTail: string;
  readonly durationMs: number;
  constructor(argv: readonly string[], exitStatus: number | null, stderr: string, durationMs: number, cause?: unknown) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    super(`${argv.join(' ')} exited with ${exitStatus ?? 'a signal'}${tail ? `: ${tail}` : ''}`, EXIT.runFailure, { cause });
    this.argv = argv;
    this.exitStatus = exitStatus;
    this.stderrTail = tail;
    this.durationMs = durationMs;
  }
}

/** A step of the XDP helper failed; carries the kernel's own words where it gave them. */
export class KernelRefusalError extends BenchError {
  readonly stage: string;
  readonly errno: number;
  /** strerror's text as the helper gave it (libbpf's own numbers: see libbpf-log.ts). */
  readonly error: string;
  readonly kernelMessage: string | undefined;
  /** The helper's detail: the path, name or argument the stage failed on. */
  readonly detail: string | undefined;
  /** The libbpf/verifier log tail the helper returned. */
  readonly log: string | undefined;
  constructor(stage: string, errno: number, error: string, kernelMessage: string | undefined, detail: string | undefined, log: string | undefined) {
    const lastLog = meaningfulLines(log).slice(-3).join(' | ');
    super(
      `${stage}${detail ? ` (${detail})` : ''}: ${errorText(errno, error)} (errno ${errno})` +
        (kernelMessage ? `; kernel says: "${kernelMessage}"` : '') +
        (lastLog ? `; libbpf: ${lastLog}` : ''),
      EXIT.runFailure,
    );
    this.stage = stage;
    this.errno = errno;
    this.error = error;
    this.kernelMessage = kernelMessage;
    this.detail = detail;
    this.log = log;
  }
}

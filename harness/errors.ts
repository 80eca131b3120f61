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
  /** Interrupted by SIGINT/SIGTERM: partial results kept, everything released. */
  interrupted: 130,
} as const;

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

export class InterruptedError extends BenchError {
  constructor(signal: string) {
    super(`interrupted by ${signal}`, EXIT.interrupted);
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
    this.log = log;
  }
}

import { execa } from 'execa';
import { CommandError } from './errors.ts';

export interface RunOptions {
  input?: string | Uint8Array;
  timeoutMs?: number;
  /** Exit codes that are not failures (default: only 0). */
  okExitCodes?: number[];
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

/** Runs argv (never a shell string) and throws CommandError with the stderr tail on failure. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<CommandOutput> {
  const [file, ...args] = argv;
  if (!file) throw new TypeError('run needs a command');
  const started = performance.now();
  const result = await execa(file, args, {
    reject: false,
    input: options.input,
    timeout: options.timeoutMs ?? 30_000,
    stripFinalNewline: true,
  });
  const durationMs = performance.now() - started;
  const ok = options.okExitCodes ?? [0];
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : -1;
  if (result.failed && !ok.includes(exitCode)) {
    const why = result.timedOut ? `timed out after ${options.timeoutMs ?? 30_000} ms` : result.stderr || result.message;
    throw new CommandError(argv, result.exitCode ?? null, String(why ?? ''), durationMs, result);
  }
  return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode, durationMs };
}

/** Whether a program is on PATH. */
export async function haveProgram(name: string): Promise<boolean> {
  const r = await execa('sh', ['-c', 'command -v "$1"', 'sh', name], { reject: false });
  return r.exitCode === 0;
}

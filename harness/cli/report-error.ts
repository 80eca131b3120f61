/* What `bench` prints for an error that ends a command: one line (a BenchError's
 * own message and exit code), or for anything unforeseen "internal error" with
 * its name and errno, exit 1. The stack only with XDPB_DEBUG=1. */
import { BenchError, EXIT } from '../../ground/errors.ts';

export function describeError(err: unknown, debug: boolean): { text: string; exitCode: number } {
  if (err instanceof BenchError) {
    return { text: `bench: ${err.message}\n${debug && err.stack ? `${err.stack}\n` : ''}`, exitCode: err.exitCode };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const errno = (e as NodeJS.ErrnoException).code;
  const firstLine = e.message.split('\n')[0] ?? '';
  const text = `bench: internal error: ${e.name}${errno && !firstLine.includes(errno) ? ` ${errno}` : ''}: ${firstLine}` +
    `${debug ? `\n${e.stack ?? ''}` : ' (a bug in xdp bench: run again with XDPB_DEBUG=1 for the stack trace, and report it)'}\n`;
  return { text, exitCode: EXIT.runFailure };
}

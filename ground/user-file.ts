/* Reading a file a user named (scenario file, maps file, lab config,
 * results.json): a regular file only, at most a documented number of bytes,
 * read with a bounded read. /dev/zero, a FIFO or a 60 MB YAML would otherwise
 * block or exhaust memory (readFileSync reads to the end, however far). */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

const MiB = 1024 * 1024;

/** Size caps (README "Input limits"): far above anything the harness writes or a person types. */
export const USER_FILE_CAPS = {
  scenarioFile: 1 * MiB,
  mapsFile: 8 * MiB,
  labConfig: 1 * MiB,
  resultsFile: 64 * MiB,
  /** --program FILE.o / a scenario file's program: its sha256 is taken in memory. */
  bpfObject: 64 * MiB,
} as const;

export type UserFileProblem = 'missing' | 'not-regular' | 'too-large' | 'unreadable';

export class UserFileError extends Error {
  constructor(readonly file: string, readonly problem: UserFileProblem, message: string) {
    super(message);
    this.name = 'UserFileError';
  }
}

function kindOf(st: ReturnType<typeof fstatSync>): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export function formatBytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(n % MiB === 0 ? 0 : 1)} MiB` : `${n} bytes`;
}

/**
 * The text of `file` (UTF-8). Throws UserFileError whose message starts with
 * what is wrong (no path: callers put the file and the field in front).
 */
export function readUserFile(file: string, maxBytes: number): string {
  return readUserBytes(file, maxBytes).toString('utf8');
}

/** The bytes of `file`, under the same rules as readUserFile. */
export function readUserBytes(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang; it is refused below anyway.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserFileError(file, 'missing', 'no such file');
    throw new UserFileError(file, 'unreadable', `cannot open: ${code ?? (err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserFileError(file, 'not-regular', `${kindOf(st)}, not a regular file`);
    if (st.size > maxBytes) throw new UserFileError(file, 'too-large', `${formatBytes(st.size)}, larger than the ${formatBytes(maxBytes)} limit for this file`);
    // The file may grow while it is read: read at most maxBytes + 1 and refuse if that much came.
    let buf = Buffer.alloc(Math.min(maxBytes + 1, st.size + 1));
    let used = 0;
    for (;;) {
      if (used === buf.length) {
        if (buf.length > maxBytes) break;
        const bigger = Buffer.alloc(Math.min(maxBytes + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, used);
        buf = bigger;
      }
      const n = readSync(fd, buf, used, buf.length - used, null);
      if (n === 0) break;
      used += n;
    }
    if (used > maxBytes) throw new UserFileError(file, 'too-large', `larger than the ${formatBytes(maxBytes)} limit for this file`);
    return buf.subarray(0, used);
  } catch (err) {
    if (err instanceof UserFileError) throw err;
    throw new UserFileError(file, 'unreadable', `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

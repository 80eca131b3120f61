import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OutputWriteError } from './errors.ts';

/**
 * Writes via a temp file in the same directory + rename: readers see the old or
 * the new file, never half. On failure (a full disk) the temp file is removed
 * and an OutputWriteError names the file and the errno; the old file stays.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new OutputWriteError(file, err);
  }
}

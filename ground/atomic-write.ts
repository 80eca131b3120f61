import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OutputWriteError } from './errors.ts';

/** The temp file beside `file` that a write goes through (same directory: the rename is atomic). */
function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
}

/** Writes `data` to `tmp` and syncs it to disk, so the rename or link that follows never exposes a half-written file. */
function writeSyncedTemp(tmp: string, data: string | Uint8Array): void {
  writeFileSync(tmp, data);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes via a temp file in the same directory + rename: readers see the old or
 * the new file, never half. On failure (a full disk) the temp file is removed
 * and an OutputWriteError names the file and the errno; the old file stays.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(file);
  try {
    writeSyncedTemp(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new OutputWriteError(file, err);
  }
}

/**
 * Like writeFileAtomic, but only if `file` does not exist yet: link(2) of the
 * finished temp file fails with EEXIST rather than replace what is there.
 * Returns false (nothing written) when the file exists.
 */
export function writeFileAtomicExclusive(file: string, data: string | Uint8Array): boolean {
  const tmp = tempPathFor(file);
  try {
    writeSyncedTemp(tmp, data);
    try {
      linkSync(tmp, file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      // A file system without hard links (some 9p/FUSE mounts): claim the name with O_EXCL, then rename over it.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      try {
        closeSync(openSync(file, 'wx'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
      renameSync(tmp, file);
    }
    return true;
  } catch (err) {
    throw new OutputWriteError(file, err); // a full disk: named, in one line
  } finally {
    rmSync(tmp, { force: true });
  }
}

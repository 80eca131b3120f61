/* A minimal writer of the cpio "newc" format the kernel unpacks as an
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst):
 * regular files, directories, symlinks and device nodes, no hard links. */

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function record(ino: number, mode: number, name: string, data: Buffer, rdev: { major: number; minor: number } = { major: 0, minor: 0 }): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const header = Buffer.from(
    '070701' +
      hex8(ino) + hex8(mode) + hex8(0) /* uid */ + hex8(0) /* gid */ + hex8(mode & S_IFDIR ? 2 : 1) /* nlink */ +
      hex8(0) /* mtime: reproducible */ + hex8(data.length) + hex8(0) + hex8(0) /* dev major/minor */ +
      hex8(rdev.major) + hex8(rdev.minor) + hex8(nameBytes.length) + hex8(0) /* check */,
    'ascii',
  );
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/** Entries are written in the order given: parents must come before their children. */
export function buildCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const seen = new Set<string>();
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (!name || name.split('/').some((p) => p === '..' || p === '')) throw new RangeError(`bad cpio path: ${e.path}`);
    if (seen.has(name)) throw new RangeError(`duplicate cpio path: ${e.path}`);
    const parent = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : null;
    if (parent !== null && !seen.has(parent)) throw new RangeError(`cpio path ${e.path} comes before its directory ${parent}`);
    seen.add(name);
    switch (e.kind) {
      case 'dir':
        parts.push(...record(ino++, S_IFDIR | (e.mode ?? 0o755), name, Buffer.alloc(0)));
        break;
      case 'file':
        parts.push(...record(ino++, S_IFREG | (e.mode ?? 0o644), name, e.data));
        break;
      case 'symlink':
        parts.push(...record(ino++, S_IFLNK | 0o777, name, Buffer.from(e.target, 'utf8')));
        break;
      case 'chardev':
        parts.push(...record(ino++, S_IFCHR | (e.mode ?? 0o600), name, Buffer.alloc(0), { major: e.major, minor: e.minor }));
        break;
    }
  }
  parts.push(...record(0, 0, TRAILER, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** Reads back names and sizes (for tests and for checking what an image holds). */
export function listCpio(archive: Buffer): { name: string; mode: number; size: number; data: Buffer }[] {
  const out: { name: string; mode: number; size: number; data: Buffer }[] = [];
  let off = 0;
  for (let guard = 0; guard < 1_000_000 && off + 110 <= archive.length; guard++) {
    const magic = archive.toString('ascii', off, off + 6);
    if (magic !== '070701') throw new Error(`not a newc cpio record at offset ${off}`);
    const field = (i: number) => parseInt(archive.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = archive.toString('utf8', off + 110, off + 110 + nameSize - 1);
    let p = off + 110 + nameSize;
    p += (4 - (p % 4)) % 4;
    const data = archive.subarray(p, p + size);
    p += size;
    p += (4 - (p % 4)) % 4;
    if (name === TRAILER) break;
    out.push({ name, mode, size, data });
    off = p;
  }
  return out;
}

/* Reading a BPF object file without libbpf: the ELF header (is it a whole
 * BPF ELF at all?) and the helper calls in its .text section (functions
 * programs call), for warnings about helpers that distort figures. */
import { existsSync, statSync } from 'node:fs';
import { formatBytes, readUserBytes, USER_FILE_CAPS, UserFileError } from '../../ground/user-file.ts';

const EM_BPF = 247;
const SHF_EXECINSTR = 0x4;
/** BPF_JMP | BPF_CALL; src_reg 0 = a helper call whose imm is the helper id (1 = subprogram, 2 = kfunc). */
const BPF_CALL_OPCODE = 0x85;

/**
 * Helpers whose cost per call is far above the fast path's: called on every
 * frame, they are what the figure measures. Ids from include/uapi/linux/bpf.h
 * (___BPF_FUNC_MAPPER order).
 */
export const SLOW_HELPERS: Record<number, { name: string; why: string }> = {
  6: { name: 'bpf_trace_printk', why: 'formats a line into the trace buffer under a global lock' },
  177: { name: 'bpf_trace_vprintk', why: 'formats a line into the trace buffer under a global lock' },
  25: { name: 'bpf_perf_event_output', why: 'copies data to user space through a perf ring' },
  130: { name: 'bpf_ringbuf_output', why: 'copies data to user space through a ring buffer' },
};

interface Section { name: string; flags: number; offset: number; size: number }

/** Section headers of a little-endian ELF64 file, or a sentence saying why they cannot be read. */
function sections(buf: Buffer): Section[] | string {
  if (buf.length < 64) return `the file has ${buf.length} bytes, fewer than an ELF64 header (64): truncated`;
  if (buf[4] !== 2 || buf[5] !== 1) return 'not a 64-bit little-endian ELF file (clang -target bpf makes one)';
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const end = shoff + shentsize * shnum;
  if (shnum === 0 || shentsize < 64) return 'the ELF file has no section table';
  if (end > buf.length) return `the section table ends at byte ${end} but the file has ${buf.length} bytes: truncated`;
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return { nameOff: buf.readUInt32LE(o), flags: Number(buf.readBigUInt64LE(o + 8)), offset: Number(buf.readBigUInt64LE(o + 0x18)), size: Number(buf.readBigUInt64LE(o + 0x20)), type: buf.readUInt32LE(o + 4) };
  });
  const strtab = raw[shstrndx];
  if (!strtab || strtab.offset + strtab.size > buf.length) return 'the section name table lies outside the file: truncated or corrupt';
  const out: Section[] = [];
  for (const s of raw) {
    const NOBITS = 8;
    if (s.type !== NOBITS && s.offset + s.size > buf.length) return `a section ends at byte ${s.offset + s.size} but the file has ${buf.length} bytes: truncated`;
    const nameStart = strtab.offset + s.nameOff;
    const nameEnd = buf.indexOf(0, nameStart);
    out.push({ name: buf.toString('latin1', nameStart, nameEnd < 0 ? nameStart : nameEnd), flags: s.flags, offset: s.offset, size: s.size });
  }
  return out;
}

/** A whole little-endian BPF ELF object, or a sentence saying what the file is instead. */
export function checkBpfElf(file: string): string | null {
  if (!existsSync(file)) return `${file}: no such file`;
  if (!statSync(file).isFile()) return `${file}: not a regular file`;
  const sizeBytes = statSync(file).size;
  if (sizeBytes > USER_FILE_CAPS.bpfObject) return `${file}: ${formatBytes(sizeBytes)}, larger than the ${formatBytes(USER_FILE_CAPS.bpfObject)} limit for a BPF object`;
  let buf: Buffer;
  try {
    buf = readUserBytes(file, USER_FILE_CAPS.bpfObject);
  } catch (err) {
    if (err instanceof UserFileError) return `${file}: ${err.message}`;
    throw err;
  }
  if (buf.length < 20 || buf.readUInt32BE(0) !== 0x7f454c46) return `${file}: not an ELF file (compile the program with clang -target bpf)`;
  const machine = buf[5] === 1 ? buf.readUInt16LE(18) : buf.readUInt16BE(18);
  if (machine !== EM_BPF) return `${file}: an ELF file for machine ${machine}, not a BPF object (EM_BPF = ${EM_BPF}); compile with clang -target bpf`;
  const s = sections(buf);
  if (typeof s === 'string') return `${file}: not a valid BPF object: ${s}`;
  return null;
}

/** Helper ids called (src_reg 0) in each executable section, by section name. */
export function helperCallsBySection(file: string): Map<string, Set<number>> {
  const buf = readUserBytes(file, USER_FILE_CAPS.bpfObject);
  const s = sections(buf);
  if (typeof s === 'string') throw new Error(`${file}: ${s}`);
  const out = new Map<string, Set<number>>();
  for (const sec of s) {
    if (!(sec.flags & SHF_EXECINSTR)) continue;
    const ids = new Set<number>();
    for (let o = sec.offset; o + 8 <= sec.offset + sec.size; o += 8) {
      if (buf[o] === BPF_CALL_OPCODE && (buf[o + 1]! >> 4) === 0) ids.add(buf.readInt32LE(o + 4));
    }
    out.set(sec.name, ids);
  }
  return out;
}

/**
 * The slow helpers a program may call: those its own instructions call
 * (`helperIds`, from libbpf) and those in .text, where its non-inlined
 * functions live (they may belong to another program of the object: said so).
 */
export function slowHelpersOf(file: string, helperIds: readonly number[]): { helper: string; why: string; where: string }[] {
  const text = helperCallsBySection(file).get('.text') ?? new Set<number>();
  const out: { helper: string; why: string; where: string }[] = [];
  for (const [where, ids] of [['the program', helperIds], ['.text (functions it may call)', [...text]]] as const) {
    for (const id of ids) {
      const h = SLOW_HELPERS[id];
      if (h && !out.some((x) => x.helper === h.name)) out.push({ helper: h.name, why: h.why, where });
    }
  }
  return out;
}

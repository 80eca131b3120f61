/* libbpf's words, made readable: its own error numbers (4000-4013, which
 * strerror calls "Unknown error 4001") as sentences, and the log lines that
 * never explain a failure (retries, sections it skips) dropped. */

/** libbpf's LIBBPF_ERRNO__* (libbpf.h), with libbpf_strerror's wording. */
export const LIBBPF_ERRNO: Record<number, string> = {
  4000: 'libelf could not read the file (LIBBPF_ERRNO__LIBELF)',
  4001: 'the BPF object format is invalid: truncated or corrupt ELF (LIBBPF_ERRNO__FORMAT)',
  4002: "incorrect or missing 'version' section (LIBBPF_ERRNO__KVERSION)",
  4003: 'the ELF endianness does not match this machine (LIBBPF_ERRNO__ENDIAN)',
  4004: 'internal error in libbpf (LIBBPF_ERRNO__INTERNAL)',
  4005: 'relocation failed (LIBBPF_ERRNO__RELOC)',
  4006: 'program load failed for an unknown reason (LIBBPF_ERRNO__LOAD)',
  4007: "the kernel's verifier blocked the program (LIBBPF_ERRNO__VERIFY)",
  4008: 'the program is too big (LIBBPF_ERRNO__PROG2BIG)',
  4009: 'incorrect kernel version (LIBBPF_ERRNO__KVER)',
  4010: "the kernel does not support this program type (LIBBPF_ERRNO__PROGTYPE)",
  4011: 'wrong pid in a netlink message (LIBBPF_ERRNO__WRNGPID)',
  4012: 'invalid netlink sequence (LIBBPF_ERRNO__INVSEQ)',
  4013: 'netlink parsing error (LIBBPF_ERRNO__NLPARSE)',
};

/** The error text for an errno the helper reported: libbpf's own numbers as sentences. */
export function errorText(errno: number, error: string): string {
  return LIBBPF_ERRNO[errno] ?? error;
}

/** Lines libbpf prints on the way that never are the reason something failed. */
const NOISE = [
  /Retrying without BTF/,
  /elf: skipping unrecognized data section.*/,
  /skipping \.xdp_run_config/,
  /elf: skipping (relo section|section)/,
  /^libbpf: failed to load object /,
  /Kernel error message/,
];

export function isNoise(line: string): boolean {
  return NOISE.some((re) => re.test(line));
}

/** The log's meaningful lines, "libbpf: " prefixes stripped. */
export function meaningfulLines(log: string | undefined): string[] {
  return (log ?? '').split('\n').filter((l) => l.trim() && !isNoise(l)).map((l) => l.replace(/^libbpf: /, ''));
}

/* sha256sum(1) of files on a host, for any file name a directory can hold.
 *
 * Plain `sha256sum` output is "<hash>  <name>" per line, with names that
 * hold a backslash or newline escaped and the line led by "\": splitting it
 * on whitespace broke on a benchDir with a space (issue 13). `-z` ends each
 * record with NUL and prints the name as given, unescaped: the record is the
 * hash, a space, a mode character (" " text, "*" binary), then the name. */

/** What this module needs of a host's command runner (harness Exec fits). */
export type RunArgv = (argv: readonly string[], options?: { okExitCodes?: number[]; timeoutMs?: number }) => Promise<{ stdout: string }>;

export function sha256sumArgv(files: readonly string[]): string[] {
  return ['sha256sum', '-z', '--', ...files];
}

/** `sha256sum -z` output -> name -> hash (lower-case hex). A file that could not be read has no entry. */
export function parseSha256sumZ(stdout: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const record of stdout.split('\0')) {
    const m = /^([0-9a-f]{64}) [ *]([\s\S]+)$/.exec(record);
    if (m) sums.set(m[2]!, m[1]!);
  }
  return sums;
}

/** Hashes `files` on the host `run` reaches, in one call; missing or unreadable files are left out (sha256sum exits 1). */
export async function sha256sumOn(run: RunArgv, files: readonly string[], timeoutMs = 30_000): Promise<Map<string, string>> {
  const out = await run(sha256sumArgv(files), { okExitCodes: [0, 1], timeoutMs });
  return parseSha256sumZ(out.stdout);
}

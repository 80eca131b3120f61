/* Probes before a run (and `bench doctor`): each missing thing comes with the
 * apt package or command that gives it. */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { run, haveProgram } from '../../ground/exec.ts';
import { MissingCapabilityError } from '../../ground/errors.ts';
import { BENCH_OBJECT, BPFFS_ROOT, GEN_OBJECT, TRACEFS_ROOT, XDPB_HELPER } from '../../ground/paths.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when not ok. */
  fix?: string;
  /** Needed for every run (vs. only for some generators or modes). */
  required: boolean;
}

export async function isBpffsMounted(): Promise<boolean> {
  const mounts = readFileSync('/proc/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === BPFFS_ROOT && l.split(' ')[2] === 'bpf');
}

/** bpffs starts unmounted on these machines; the run pins its objects there. */
export async function ensureBpffs(): Promise<void> {
  if (await isBpffsMounted()) return;
  try {
    await run(['mount', '-t', 'bpf', 'bpf', BPFFS_ROOT]);
  } catch (err) {
    throw new MissingCapabilityError(`cannot mount bpffs on ${BPFFS_ROOT}: ${(err as Error).message}; mount it by hand: mount -t bpf bpf ${BPFFS_ROOT}`);
  }
}

/**
 * tracefs, where libbpf finds the xdp tracepoints' ids. Not required: without
 * it a run has no exception counts, and says why (the sampler's error).
 */
export async function ensureTracefs(): Promise<string | null> {
  if (existsSync(`${TRACEFS_ROOT}/events`)) return null;
  try {
    await run(['mount', '-t', 'tracefs', 'tracefs', TRACEFS_ROOT]);
    return null;
  } catch (err) {
    return `cannot mount tracefs on ${TRACEFS_ROOT}: ${(err as Error).message}`;
  }
}

export async function runChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  const isRoot = process.getuid?.() === 0;
  checks.push({ name: 'root', ok: isRoot, detail: isRoot ? 'running as root' : `uid ${process.getuid?.()}`, fix: 'run as root (sudo): netns, veth and BPF need CAP_SYS_ADMIN and CAP_NET_ADMIN', required: true });
  checks.push({ name: 'kernel', ok: true, detail: `Linux ${os.release()}`, required: true });
  const jit = existsSync('/proc/sys/net/core/bpf_jit_enable') ? readFileSync('/proc/sys/net/core/bpf_jit_enable', 'utf8').trim() : 'missing';
  checks.push({ name: 'bpf JIT', ok: jit === '1' || jit === '2', detail: `net.core.bpf_jit_enable = ${jit}`, fix: 'sysctl -w net.core.bpf_jit_enable=1 (interpreted BPF gives meaningless figures)', required: true });
  const bpffs = await isBpffsMounted();
  checks.push({ name: 'bpffs', ok: true, detail: bpffs ? `mounted on ${BPFFS_ROOT}` : `not mounted; the run mounts it on ${BPFFS_ROOT}`, required: true });
  const built = [XDPB_HELPER, BENCH_OBJECT, GEN_OBJECT].every((f) => existsSync(f));
  checks.push({ name: 'native build', ok: built, detail: built ? 'native/build has xdpb, bench.bpf.o, gen.bpf.o' : 'native/build is incomplete', fix: 'make -C native (needs apt: clang llvm libbpf-dev libelf-dev zlib1g-dev)', required: true });
  for (const [tool, pkg, required] of [
    ['ip', 'iproute2', true],
    ['ethtool', 'ethtool', true],
    ['clang', 'clang', false],
    ['bpftool', 'bpftool', false],
    ['trafgen', 'netsniff-ng', false],
  ] as const) {
    const ok = await haveProgram(tool);
    checks.push({ name: tool, ok, detail: ok ? 'found' : 'not found', fix: `apt-get install ${pkg}`, required });
  }
  const pktgen = existsSync('/proc/net/pktgen') || (await run(['modprobe', '-n', 'pktgen'], { okExitCodes: [0, 1] }).then((r) => r.exitCode === 0, () => false));
  checks.push({ name: 'pktgen module', ok: pktgen, detail: pktgen ? 'available' : 'this kernel has no pktgen (CONFIG_NET_PKTGEN unset)', fix: 'a kernel with CONFIG_NET_PKTGEN=m; the pktgen generator is not available here', required: false });
  return checks;
}

export function assertRequired(checks: Check[]): void {
  const missing = checks.filter((c) => c.required && !c.ok);
  if (missing.length) {
    throw new MissingCapabilityError(`cannot run: ${missing.map((c) => `${c.name}: ${c.detail}; fix: ${c.fix}`).join('; ')}`);
  }
}

/* Runs one command in a throw-away VM (qemu, TCG) and brings back its exit
 * code, stdout and stderr.
 *
 * The guest's root is the host's / (9p, read-only) under a tmpfs overlay, so
 * the guest has the host's tools, node, this repository and native/build at
 * the same paths (/tmp, /run, /dev/shm are the guest's own tmpfs: the host's
 * leftovers and run registry do not show through). The job dir
 * (<cache>/jobs/xdpb-vm-*, how the guest's init learns what to run and where
 * its output and exit code go) is shared read-write, and so is the caller's
 * `outDir`, at the *same path* in the guest: `bench run --out OUT` in the
 * guest writes the host's OUT.
 *
 * qemu is TCG only (/dev/kvm here is a PVM backend on which this kernel
 * hangs), started under `setpriv --pdeathsig KILL` so it dies with the
 * harness, and killed (SIGKILL) at the hard time limit. The job dir is
 * removed afterwards unless asked to keep it. */
import { execa } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../../ground/paths.ts';
import { findVmImage, missingHostTools, vmCacheDir, type VmImage } from './vm-image.ts';
import { GuestCommandError, tail, VmBootError, VmTimeoutError, VmUnavailableError } from './vm-errors.ts';

const GUEST_INIT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'guest-init.sh');
/** Time the guest gets before its command starts (boot) and after it ends (power-off). */
export const BOOT_ALLOWANCE_MS = 40_000;
export const JOB_DIR_PREFIX = 'xdpb-vm-';

export interface VmJob {
  /** The command, run without a shell in the guest. */
  argv: string[];
  /** Working directory in the guest (default: this repository). */
  cwd?: string;
  /** Environment added for the command (PATH, HOME are set by the guest). */
  env?: Record<string, string>;
  /** Hard limit for the whole VM: boot, the command and power-off. qemu is SIGKILLed past it. */
  timeoutMs: number;
  /** vCPUs (default 2) and memory (default 2048 MiB). */
  cpus?: number;
  memoryMb?: number;
  /** virtio-net NICs (eth0, eth1, ...), all ports of one qemu hub: what one sends the others receive. Default 2. */
  nics?: number;
  /** Default: the prepared image of the cache (findVmImage). */
  image?: VmImage;
  /**
   * A host directory the caller owns, shared read-write into the guest at the
   * same path: what the command writes there (results.json, fixtures) is on
   * the host when runInVm returns. It must exist.
   */
  outDir?: string;
  /** Time limit of the command inside the guest (default: timeoutMs less the boot allowance). */
  commandTimeoutMs?: number;
  /** Keep the job dir (stdout, stderr, console.log); the caller removes it. */
  keepJobDir?: boolean;
  /** Aborting kills the VM at once (Ctrl-C of the harness). */
  signal?: AbortSignal;
  /** Called once qemu is started: its pid and the job dir (for a cleanup stack or a test). */
  onStarted?: (vm: { pid: number; jobDir: string }) => void;
}

export interface VmRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Always true: figures from here come from an emulated machine (TCG), not hardware. */
  emulated: true;
  accel: 'tcg';
  /** uname -r in the guest. */
  guestKernel: string;
  /** qemu start -> command start (boot) and the command itself. */
  bootMs: number;
  commandMs: number;
  totalMs: number;
  /** The job dir (<cache>/jobs/xdpb-vm-*, same path in the guest) when keepJobDir, else null (removed). */
  jobDir: string | null;
  consoleTail: string;
}

/** Paths go on the kernel command line and into qemu options: no spaces or commas. */
const SAFE_PATH = /^\/[A-Za-z0-9_.\/+-]+$/;

export function assertSafePath(what: string, p: string): void {
  if (!SAFE_PATH.test(p) || p.split('/').includes('..')) throw new RangeError(`${what} ${JSON.stringify(p)} has characters the VM command line cannot carry (allowed: letters, digits, _ . / + -)`);
}

export interface QemuPlan {
  image: Pick<VmImage, 'vmlinuz' | 'initramfs' | 'modulesDir'>;
  jobDir: string;
  outDir?: string;
  cpus: number;
  memoryMb: number;
  nics: number;
}

export function guestMac(i: number): string {
  return `52:54:00:78:64:${(0x10 + i).toString(16).padStart(2, '0')}`;
}

/** `max` without the AVX family (see qemuArgv). */
export const TCG_CPU = 'max,avx=off,avx2=off,fma=off,f16c=off,vaes=off,vpclmulqdq=off';

/** The qemu command line (pure). */
export function qemuArgv(plan: QemuPlan): string[] {
  for (const [what, p] of [['job dir', plan.jobDir], ['kernel', plan.image.vmlinuz], ['initramfs', plan.image.initramfs], ['modules dir', plan.image.modulesDir]] as const) assertSafePath(what, p);
  if (plan.outDir !== undefined) assertSafePath('out dir', plan.outDir);
  if (!Number.isInteger(plan.nics) || plan.nics < 0 || plan.nics > 8) throw new RangeError(`nics must be 0..8, got ${plan.nics}`);
  const append = ['console=ttyS0', 'panic=-1', 'loglevel=4', 'mitigations=off', 'net.ifnames=0', `xdpb.job=${plan.jobDir}`, `xdpb.modules=${plan.image.modulesDir}`].join(' ');
  const nics = Array.from({ length: plan.nics }, (_, i) => [
    '-netdev', `hubport,id=xn${i},hubid=0`,
    '-device', `virtio-net-pci,netdev=xn${i},mac=${guestMac(i)}`,
  ]).flat();
  return [
    'qemu-system-x86_64',
    '-accel', 'tcg,thread=multi',
    '-machine', 'pc',
    // No AVX family: QEMU 7.2 (Debian 12) is the first with TCG AVX/AVX2, and node (V8 JIT uses AVX when
    // CPUID offers it) died now and then in the guest by SIGSEGV or SIGILL; the C tools never did.
    '-cpu', TCG_CPU,
    '-smp', String(plan.cpus),
    '-m', String(plan.memoryMb),
    '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-no-reboot',
    '-serial', `file:${plan.jobDir}/console.log`,
    '-kernel', plan.image.vmlinuz,
    '-initrd', plan.image.initramfs,
    '-append', append,
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${plan.jobDir},mount_tag=xdpbjob,security_model=none,multidevs=remap`,
    ...(plan.outDir ? ['-virtfs', `local,path=${plan.outDir},mount_tag=xdpbout,security_model=none,multidevs=remap`] : []),
    ...nics,
  ];
}

/** What the guest's init reads: argv and env NUL-separated, so nothing is ever parsed by a shell. */
export function jobFiles(job: Pick<VmJob, 'argv' | 'env' | 'cwd' | 'outDir'>, commandTimeoutS: number): Record<string, string> {
  if (!job.argv.length || !job.argv[0]) throw new RangeError('the VM job needs a command');
  if (job.argv[0].includes('=')) throw new RangeError(`the command may not contain "=": ${job.argv[0]}`);
  for (const a of job.argv) if (a.includes('\0')) throw new RangeError('an argument contains a NUL byte');
  const env = Object.entries(job.env ?? {});
  for (const [k, v] of env) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new RangeError(`bad environment variable name: ${k}`);
    if (v.includes('\0')) throw new RangeError(`environment variable ${k} contains a NUL byte`);
  }
  const cwd = job.cwd ?? REPO_ROOT;
  if (!path.isAbsolute(cwd) || cwd.includes('\0') || cwd.includes('\n')) throw new RangeError(`cwd must be an absolute path: ${cwd}`);
  return {
    argv: job.argv.map((a) => `${a}\0`).join(''),
    env: env.map(([k, v]) => `${k}=${v}\0`).join(''),
    cwd,
    'timeout-s': String(Math.max(1, Math.floor(commandTimeoutS))),
    'out-dir': job.outDir ?? '',
  };
}

function readIfThere(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Where the VM cannot run, why and what to install or run. */
export async function vmAvailability(): Promise<{ available: true; image: VmImage } | { available: false; reason: string; fix: string }> {
  const missing = (await missingHostTools()).filter((m) => m.tool === 'qemu-system-x86_64' || m.tool === 'setpriv');
  if (missing.length) return { available: false, reason: `${missing.map((m) => m.tool).join(', ')} not installed`, fix: missing.map((m) => m.fix).join('; ') };
  const image = findVmImage();
  if (!image) return { available: false, reason: 'the VM image is not prepared (Debian kernel package, netdevsim, initramfs)', fix: 'bench vm prepare (downloads ~225 MB with apt-get download, builds netdevsim; cached)' };
  return { available: true, image };
}

/**
 * Boots the VM, runs `job.argv` in it, powers it off and returns what the
 * command printed and its exit code (non-zero is returned, not thrown: see
 * runInVmChecked). Throws VmUnavailableError (nothing to boot), VmBootError
 * (the guest never started the command) or VmTimeoutError (killed at the limit).
 */
export async function runInVm(job: VmJob): Promise<VmRunResult> {
  let image = job.image;
  if (!image) {
    const a = await vmAvailability();
    if (!a.available) throw new VmUnavailableError(a.reason, a.fix);
    image = a.image;
  }
  const jobsDir = vmJobsDir(image.cacheDir);
  assertSafePath('VM jobs directory', jobsDir);
  mkdirSync(jobsDir, { recursive: true });
  const commandTimeoutS = (job.commandTimeoutMs ?? job.timeoutMs - BOOT_ALLOWANCE_MS) / 1000;
  if (commandTimeoutS < 1) throw new RangeError(`timeoutMs must leave at least 1 s after the ${BOOT_ALLOWANCE_MS} ms boot allowance, got ${job.timeoutMs}`);
  if (job.outDir !== undefined) {
    assertSafePath('out dir', job.outDir);
    if (!statSync(job.outDir, { throwIfNoEntry: false })?.isDirectory()) throw new RangeError(`out dir ${job.outDir} is not a directory`);
  }
  const files = jobFiles(job, commandTimeoutS);
  const jobDir = mkdtempSync(path.join(jobsDir, JOB_DIR_PREFIX));
  const keep = job.keepJobDir ?? false;
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(jobDir, name), content);
    copyFileSync(GUEST_INIT, path.join(jobDir, 'guest-init.sh'));
    const argv = qemuArgv({ image, jobDir, outDir: job.outDir, cpus: job.cpus ?? 2, memoryMb: job.memoryMb ?? 2048, nics: job.nics ?? 2 });
    const started = performance.now();
    const startedWallNs = BigInt(Date.now()) * 1_000_000n;
    // setpriv: qemu gets SIGKILL when the harness dies, so no VM outlives it.
    const child = execa('setpriv', ['--pdeathsig', 'KILL', '--', ...argv], {
      reject: false,
      stdin: 'ignore',
      timeout: job.timeoutMs,
      killSignal: 'SIGKILL',
      cancelSignal: job.signal,
      all: true,
    });
    if (child.pid !== undefined) job.onStarted?.({ pid: child.pid, jobDir });
    const r = await child;
    const totalMs = performance.now() - started;
    const consoleTail = tail(readIfThere(path.join(jobDir, 'console.log')), 25);
    const stdout = readIfThere(path.join(jobDir, 'stdout'));
    const stderr = readIfThere(path.join(jobDir, 'stderr'));
    const exitText = readIfThere(path.join(jobDir, 'exit-code')).trim();
    const startedText = readIfThere(path.join(jobDir, 'started')).trim();
    if (r.isCanceled) throw job.signal?.reason instanceof Error ? job.signal.reason : new VmBootError('the VM was stopped (cancelled by the harness)', consoleTail);
    if (r.timedOut) throw new VmTimeoutError(job.timeoutMs, startedText ? 'during the command' : 'before the command started (boot)', tail(stderr), consoleTail);
    if (!/^\d+$/.test(exitText)) {
      const qemuSaid = tail(String(r.all ?? ''), 10);
      const why = startedText ? 'the guest died during the command (no exit code came back)' : 'the guest never started the command';
      throw new VmBootError(`${why}; qemu exited ${r.exitCode ?? r.signal}${qemuSaid ? `: ${qemuSaid}` : ''}${stderr ? `; command stderr: ${tail(stderr, 5)}` : ''}`, consoleTail);
    }
    // Boot time from the guest's own timestamp (the guest clock starts from the host's RTC).
    let bootMs = Number.NaN;
    if (/^\d+$/.test(startedText)) bootMs = Number(BigInt(startedText) - startedWallNs) / 1e6;
    if (!(bootMs > 0 && bootMs < totalMs)) bootMs = Number.NaN;
    const endedText = readIfThere(path.join(jobDir, 'ended')).trim();
    const commandMs = /^\d+$/.test(startedText) && /^\d+$/.test(endedText) ? Number(BigInt(endedText) - BigInt(startedText)) / 1e6 : Number.NaN;
    return {
      exitCode: Number(exitText),
      stdout,
      stderr,
      emulated: true,
      accel: 'tcg',
      guestKernel: readIfThere(path.join(jobDir, 'guest-kernel')).trim(),
      bootMs,
      commandMs,
      totalMs,
      jobDir: keep ? jobDir : null,
      consoleTail,
    };
  } finally {
    if (!keep) rmSync(jobDir, { recursive: true, force: true });
  }
}

/** runInVm, but a non-zero exit becomes a GuestCommandError carrying the guest's stderr. */
export async function runInVmChecked(job: VmJob): Promise<VmRunResult> {
  const r = await runInVm(job);
  if (r.exitCode !== 0) throw new GuestCommandError(job.argv, r.exitCode, r.stderr || r.stdout, r.commandMs, r.guestKernel);
  return r;
}

/** Where the job dirs live: in the cache, not /tmp (the guest mounts its own tmpfs there). */
export function vmJobsDir(cacheDir = vmCacheDir()): string {
  return path.join(cacheDir, 'jobs');
}

/**
 * Job dirs of VMs whose harness died (SIGKILL: qemu itself dies with it, by
 * its death signal, but the dir stays): <cache>/jobs/xdpb-vm-* that no live
 * process names on its command line. For `bench cleanup`.
 */
export function staleVmJobDirs(jobsDir = vmJobsDir()): string[] {
  let names: string[];
  try {
    names = readdirSync(jobsDir).filter((n) => new RegExp(`^${JOB_DIR_PREFIX}[A-Za-z0-9]{6}$`).test(n));
  } catch {
    return [];
  }
  if (!names.length) return [];
  const inUse = new Set<string>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    } catch {
      continue; /* gone */
    }
    for (const n of names) if (cmdline.includes(n)) inUse.add(n);
  }
  return names.filter((n) => !inUse.has(n)).map((n) => path.join(jobsDir, n));
}

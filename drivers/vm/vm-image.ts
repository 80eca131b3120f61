/* The VM image: Debian's 6.1 kernel (which has pktgen as a module), netdevsim
 * built out of tree against the same version, and a small initramfs that
 * mounts the host's / read-only over 9p with a tmpfs overlay on top.
 *
 * Everything is fetched with `apt-get download` (the only network this needs),
 * unpacked with `dpkg -x` (never installed) and cached in one directory,
 * $XDPB_VM_CACHE or /var/cache/xdp-bench/vm:
 *
 *   <cache>/current.json                 which image to use (written last)
 *   <cache>/<release>_<version>/
 *       image.json                       what was prepared, how long each step took
 *       initramfs.cpio.gz
 *       root/boot/vmlinuz-<release>
 *       root/lib/modules/<release>/      the package's modules + updates/netdevsim.ko, depmod'ed
 *       root/usr/src/linux-headers-*     headers + kbuild, used to build netdevsim
 *       netdevsim/                       sources (from linux-source) and the build
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statfsSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { haveProgram } from '../../ground/exec.ts';
import { writeFileAtomic } from '../../ground/atomic-write.ts';
import { buildCpio, type CpioEntry } from './cpio.ts';
import { runStep, VmPrepareError, VmUnavailableError } from './vm-errors.ts';
import { processAlive } from '../../ground/process-alive.ts';

export const DEFAULT_VM_CACHE = '/var/cache/xdp-bench/vm';
/** Bumped when the layout or the initramfs changes: older images are rebuilt. */
export const IMAGE_FORMAT = 1;
/** Modules the initramfs loads to reach the root filesystem (deps added from modules.dep). */
export const INITRAMFS_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'] as const;
/** Free space needed before downloading (debs ~225 MB, unpacked ~0.6 GB, source tarball while unpacking). */
export const MIN_FREE_BYTES = 2 * 1024 ** 3;

export function vmCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.XDPB_VM_CACHE || DEFAULT_VM_CACHE);
}

export interface KernelPackages {
  /** Debian binary version shared by all of them, e.g. 6.1.192-2. */
  version: string;
  /** uname -r of the guest, e.g. 6.1.0-56-amd64. */
  release: string;
  image: string;
  headers: string;
  headersCommon: string;
  kbuild: string;
  source: string;
}

export interface VmImage {
  format: number;
  cacheDir: string;
  imageDir: string;
  packages: KernelPackages;
  kernelRelease: string;
  vmlinuz: string;
  initramfs: string;
  modulesDir: string;
  /** Path of netdevsim.ko in the modules tree, or null with the reason in netdevsimError. */
  netdevsimKo: string | null;
  netdevsimError?: string;
  preparedAt: string;
  /** How long each step took when the image was prepared (ms). */
  timingsMs: Record<string, number>;
}

// ---- pure helpers (unit-tested) ----

/** `apt-cache depends linux-image-amd64` -> the versioned image package it points at. */
export function parseMetaDepends(output: string): string | null {
  for (const line of output.split('\n')) {
    const m = /^\s*Depends:\s*(linux-image-\d+\.\d+\.\d+-\d+-amd64)\s*$/.exec(line);
    if (m) return m[1]!;
  }
  return null;
}

/** `apt-cache policy PKG` -> the candidate version, null when apt has none. */
export function parseCandidateVersion(output: string): string | null {
  const m = /^\s*Candidate:\s*(\S+)\s*$/m.exec(output);
  return m && m[1] !== '(none)' ? m[1]! : null;
}

/** The packages that go with one linux-image-<abi>-amd64 of a given version. */
export function kernelPackagesFor(imagePackage: string, version: string): KernelPackages {
  const m = /^linux-image-((\d+)\.(\d+)\.\d+-\d+-amd64)$/.exec(imagePackage);
  if (!m) throw new RangeError(`not a Debian amd64 kernel image package: ${imagePackage}`);
  const [, release, major, minor] = m;
  const abi = release!.replace(/-amd64$/, '');
  return {
    version,
    release: release!,
    image: imagePackage,
    headers: `linux-headers-${release}`,
    headersCommon: `linux-headers-${abi}-common`,
    kbuild: `linux-kbuild-${major}.${minor}`,
    source: `linux-source-${major}.${minor}`,
  };
}

/** Module names (as modprobe spells them, - and _ alike) -> their .ko paths from modules.dep, dependencies first. */
export function moduleLoadOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const ko = line.slice(0, colon).trim();
    deps.set(ko, line.slice(colon + 1).trim().split(/\s+/).filter(Boolean));
    byName.set(path.basename(ko).replace(/\.ko(\.[a-z]+)?$/, '').replace(/-/g, '_'), ko);
  }
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (ko: string, depth: number) => {
    if (order.includes(ko) || visiting.has(ko)) return;
    if (depth > 64) throw new Error(`modules.dep nests deeper than 64 at ${ko}`);
    visiting.add(ko);
    // modules.dep lists the full closure, users before what they use: load from the end.
    for (const d of [...(deps.get(ko) ?? [])].reverse()) visit(d, depth + 1);
    visiting.delete(ko);
    order.push(ko);
  };
  for (const name of wanted) {
    const ko = byName.get(name.replace(/-/g, '_'));
    if (!ko) throw new Error(`module ${name} is not in modules.dep`);
    visit(ko, 0);
  }
  return order;
}

/** Whether an ELF file has no PT_INTERP (is statically linked). */
export function isStaticElf(bytes: Buffer): boolean {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) return false;
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const phentsize = bytes.readUInt16LE(0x36);
  const phnum = bytes.readUInt16LE(0x38);
  for (let i = 0; i < phnum && i < 256; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > bytes.length) return false;
    if (bytes.readUInt32LE(off) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

/**
 * /init of the initramfs (busybox sh). It takes its two paths from the kernel
 * command line (xdpb.job=, xdpb.modules=, checked by the host before boot),
 * so the same initramfs serves every job.
 */
export function initramfsInit(moduleFiles: readonly string[]): string {
  const insmods = moduleFiles.map((m) => `insmod /modules/${path.basename(m)} || fail "insmod ${path.basename(m)}"`).join('\n');
  return `#!/bin/busybox sh
# initramfs of the xdp bench VM: host / (9p, read-only) + tmpfs overlay, then
# the job's guest-init.sh as PID 1. Generated by drivers/vm/vm-image.ts.
/bin/busybox --install -s /bin
export PATH=/bin
fail() {
  echo "xdpb-initramfs: FAILED: $*" > /dev/console
  echo 1 > /proc/sys/kernel/sysrq 2>/dev/null
  echo o > /proc/sysrq-trigger
  sleep 30
}
mkdir -p /proc /sys /dev /lower /rw /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "xdpb-initramfs: loading modules" > /dev/console
${insmods}
JOB=
MODDIR=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    xdpb.job=*) JOB="\${arg#xdpb.job=}" ;;
    xdpb.modules=*) MODDIR="\${arg#xdpb.modules=}" ;;
  esac
done
[ -n "$JOB" ] && [ -n "$MODDIR" ] || fail "xdpb.job= or xdpb.modules= missing on the kernel command line"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /lower || fail "mount hostroot (9p)"
mount -t tmpfs -o mode=0755,size=75% tmpfs /rw || fail "mount tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail "mount overlay"
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=262144 xdpbjob "/newroot$JOB" || fail "mount job dir (9p) on $JOB"
REL=$(uname -r)
mkdir -p "/newroot/lib/modules/$REL" || fail "mkdir /lib/modules/$REL"
mount --bind "/newroot$MODDIR" "/newroot/lib/modules/$REL" || fail "bind modules $MODDIR"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
echo "xdpb-initramfs: switching root" > /newroot/dev/console
exec switch_root /newroot /bin/bash "$JOB/guest-init.sh" "$JOB"
`;
}

// ---- the cache ----

export function readImageJson(file: string): VmImage | null {
  try {
    const image = JSON.parse(readFileSync(file, 'utf8')) as VmImage;
    if (image.format !== IMAGE_FORMAT) return null;
    if (![image.vmlinuz, image.initramfs, path.join(image.modulesDir, 'modules.dep')].every((f) => existsSync(f))) return null;
    return image;
  } catch {
    return null;
  }
}

/** The prepared image of the cache, or null (no network, no apt: only reads files). */
export function findVmImage(cacheDir = vmCacheDir()): VmImage | null {
  try {
    const current = JSON.parse(readFileSync(path.join(cacheDir, 'current.json'), 'utf8')) as { imageDir?: string };
    if (!current.imageDir) return null;
    return readImageJson(path.join(cacheDir, current.imageDir, 'image.json'));
  } catch {
    return null;
  }
}

/** What the VM needs on the host: each missing thing with the apt package that gives it. */
export async function missingHostTools(): Promise<{ tool: string; fix: string }[]> {
  const missing: { tool: string; fix: string }[] = [];
  for (const [tool, pkg] of [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['setpriv', 'util-linux'],
    ['apt-get', 'apt'],
    ['dpkg', 'dpkg'],
    ['depmod', 'kmod'],
    ['xz', 'xz-utils'],
    ['make', 'build-essential'],
  ] as const) {
    if (!(await haveProgram(tool))) missing.push({ tool, fix: `apt-get install ${pkg}` });
  }
  if (!findBusybox()) missing.push({ tool: 'busybox (static)', fix: 'apt-get install busybox-static' });
  return missing;
}

export function findBusybox(): string | null {
  for (const candidate of ['/usr/bin/busybox', '/bin/busybox']) {
    try {
      if (isStaticElf(readFileSync(candidate))) return candidate;
    } catch {
      /* next */
    }
  }
  return null;
}

export interface PrepareOptions {
  cacheDir?: string;
  /** Progress lines for a person (stderr of `bench vm prepare`). */
  log?: (line: string) => void;
  /** Override the image package (default: what linux-image-amd64 depends on). */
  imagePackage?: string;
}

async function resolvePackages(imagePackage: string | undefined): Promise<KernelPackages> {
  let image = imagePackage ?? process.env.XDPB_VM_KERNEL_PACKAGE;
  if (!image) {
    image = parseMetaDepends(await runStep('apt-cache depends', ['apt-cache', 'depends', 'linux-image-amd64'], { timeoutMs: 60_000 })) ?? undefined;
    if (!image) throw new VmUnavailableError('apt knows no linux-image-amd64 (no package lists?)', 'apt-get update');
  }
  const version = parseCandidateVersion(await runStep('apt-cache policy', ['apt-cache', 'policy', image], { timeoutMs: 60_000 }));
  if (!version) throw new VmUnavailableError(`apt has no candidate for ${image}`, 'apt-get update (or set XDPB_VM_KERNEL_PACKAGE to an available linux-image-6.1.0-N-amd64)');
  const packages = kernelPackagesFor(image, version);
  for (const p of [packages.headers, packages.headersCommon, packages.kbuild, packages.source]) {
    const v = parseCandidateVersion(await runStep('apt-cache policy', ['apt-cache', 'policy', p], { timeoutMs: 60_000 }));
    if (!v) throw new VmUnavailableError(`apt has no ${p}`, 'apt-get update');
  }
  return packages;
}

async function lockCache(cacheDir: string): Promise<() => void> {
  const lock = path.join(cacheDir, '.lock');
  const deadline = Date.now() + 15 * 60_000;
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock whose owner is gone is stale.
      let owner = 0;
      try {
        owner = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        /* being written */
      }
      if (owner && !processAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline || i > 100_000) throw new VmPrepareError('lock', `${lock} is held by pid ${owner} for too long`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * Downloads, unpacks and builds what the VM needs, once: a second call with
 * the same kernel version returns the cached image without touching the
 * network (apt-cache only reads the local package lists).
 */
export async function prepareVmImage(options: PrepareOptions = {}): Promise<VmImage> {
  const cacheDir = path.resolve(options.cacheDir ?? vmCacheDir());
  const log = options.log ?? (() => undefined);
  const missing = await missingHostTools();
  if (missing.length) throw new VmUnavailableError(`missing on this host: ${missing.map((m) => m.tool).join(', ')}`, missing.map((m) => m.fix).join('; '));
  mkdirSync(cacheDir, { recursive: true });
  const unlock = await lockCache(cacheDir);
  try {
    const timingsMs: Record<string, number> = {};
    const timed = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        timingsMs[name] = Math.round(performance.now() - t0);
      }
    };
    const packages = await timed('resolve', () => resolvePackages(options.imagePackage));
    const dirName = `${packages.release}_${packages.version}`;
    const imageDir = path.join(cacheDir, dirName);
    const cached = readImageJson(path.join(imageDir, 'image.json'));
    if (cached && cached.cacheDir === cacheDir) {
      writeFileAtomic(path.join(cacheDir, 'current.json'), JSON.stringify({ imageDir: dirName }) + '\n');
      log(`vm: cached image ${dirName} in ${cacheDir}`);
      return cached;
    }
    const free = statfsSync(cacheDir);
    const freeBytes = Number(free.bavail) * Number(free.bsize);
    if (freeBytes < MIN_FREE_BYTES) throw new VmPrepareError('disk space', `${cacheDir} has ${(freeBytes / 1024 ** 3).toFixed(1)} GiB free, the image needs ${MIN_FREE_BYTES / 1024 ** 3} GiB`);

    rmSync(imageDir, { recursive: true, force: true });
    const debs = path.join(imageDir, 'debs');
    const root = path.join(imageDir, 'root');
    mkdirSync(debs, { recursive: true });
    mkdirSync(root, { recursive: true });

    log(`vm: apt-get download ${packages.image} ${packages.headers} ${packages.headersCommon} ${packages.kbuild} ${packages.source} (= ${packages.version})`);
    const wanted = [packages.image, packages.headers, packages.headersCommon, packages.kbuild, packages.source].map((p) => `${p}=${packages.version}`);
    await timed('download', () => runStep('apt-get download', ['apt-get', 'download', '-q', ...wanted], { cwd: debs, timeoutMs: 15 * 60_000 }));
    const debFiles = readdirSync(debs).filter((f) => f.endsWith('.deb'));
    const debOf = (pkg: string) => {
      const f = debFiles.find((d) => d.startsWith(`${pkg}_`));
      if (!f) throw new VmPrepareError('apt-get download', `${pkg} was not downloaded (got: ${debFiles.join(', ') || 'nothing'})`);
      return path.join(debs, f);
    };

    log('vm: unpacking the kernel, modules and headers (dpkg -x)');
    await timed('unpack', async () => {
      for (const pkg of [packages.image, packages.headers, packages.headersCommon, packages.kbuild]) {
        await runStep(`dpkg -x ${pkg}`, ['dpkg', '-x', debOf(pkg), root], { timeoutMs: 5 * 60_000 });
      }
    });
    const vmlinuz = path.join(root, 'boot', `vmlinuz-${packages.release}`);
    const modulesDir = path.join(root, 'lib', 'modules', packages.release);
    if (!existsSync(vmlinuz) || !existsSync(modulesDir)) throw new VmPrepareError('unpack', `${packages.image} has no ${vmlinuz} or ${modulesDir}`);

    // netdevsim: not built by Debian (CONFIG_NETDEVSIM unset); build it out of tree.
    let netdevsimKo: string | null = null;
    let netdevsimError: string | undefined;
    try {
      netdevsimKo = await timed('netdevsim', () => buildNetdevsim(imageDir, root, packages, debOf(packages.source), log));
    } catch (err) {
      netdevsimError = (err as Error).message;
      log(`vm: netdevsim not built: ${netdevsimError}`);
    }
    rmSync(debs, { recursive: true, force: true }); // ~225 MB no longer needed

    log('vm: depmod');
    await timed('depmod', () => runStep('depmod', ['depmod', '-b', root, packages.release], { timeoutMs: 2 * 60_000 }));

    log('vm: building the initramfs (busybox-static + virtio/9p/overlay modules)');
    const initramfs = path.join(imageDir, 'initramfs.cpio.gz');
    await timed('initramfs', () => writeInitramfs(initramfs, modulesDir));

    const image: VmImage = {
      format: IMAGE_FORMAT,
      cacheDir,
      imageDir,
      packages,
      kernelRelease: packages.release,
      vmlinuz,
      initramfs,
      modulesDir,
      netdevsimKo,
      ...(netdevsimError ? { netdevsimError } : {}),
      preparedAt: new Date().toISOString(),
      timingsMs,
    };
    writeFileAtomic(path.join(imageDir, 'image.json'), JSON.stringify(image, null, 2) + '\n');
    writeFileAtomic(path.join(cacheDir, 'current.json'), JSON.stringify({ imageDir: dirName }) + '\n');
    log(`vm: image ready in ${imageDir} (${Object.entries(timingsMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')})`);
    return image;
  } finally {
    unlock();
  }
}

async function buildNetdevsim(imageDir: string, root: string, packages: KernelPackages, sourceDeb: string, log: (l: string) => void): Promise<string> {
  const work = path.join(imageDir, 'netdevsim');
  const srcRoot = path.join(imageDir, 'source-tmp');
  rmSync(work, { recursive: true, force: true });
  rmSync(srcRoot, { recursive: true, force: true });
  mkdirSync(srcRoot, { recursive: true });
  log(`vm: netdevsim: unpacking drivers/net/netdevsim from ${packages.source}`);
  await runStep(`dpkg -x ${packages.source}`, ['dpkg', '-x', sourceDeb, srcRoot], { timeoutMs: 5 * 60_000 });
  const srcDir = path.join(srcRoot, 'usr', 'src');
  const tarball = readdirSync(srcDir).find((f) => /^linux-source-.*\.tar\.xz$/.test(f));
  if (!tarball) throw new VmPrepareError('netdevsim', `${packages.source} holds no linux-source tarball`);
  const top = tarball.replace(/\.tar\.xz$/, '');
  await runStep('tar (netdevsim sources)', ['tar', '-xJf', path.join(srcDir, tarball), '-C', srcRoot, `${top}/drivers/net/netdevsim`], { timeoutMs: 5 * 60_000 });
  renameSync(path.join(srcRoot, top, 'drivers', 'net', 'netdevsim'), work);
  rmSync(srcRoot, { recursive: true, force: true });

  // The headers' Makefile includes the -common tree by its installed path: point it at ours.
  const headersDir = path.join(root, 'usr', 'src', packages.headers);
  const commonMakefile = path.join(root, 'usr', 'src', packages.headersCommon, 'Makefile');
  if (!existsSync(commonMakefile)) throw new VmPrepareError('netdevsim', `${commonMakefile} is missing`);
  writeFileSync(path.join(headersDir, 'Makefile'), `include ${commonMakefile}\n`);
  log('vm: netdevsim: make modules (out of tree, CONFIG_NETDEVSIM=m)');
  await runStep('make netdevsim', ['make', '-C', headersDir, `M=${work}`, 'CONFIG_NETDEVSIM=m', `-j${Math.max(1, os.availableParallelism())}`, 'modules'], { timeoutMs: 10 * 60_000 });
  const built = path.join(work, 'netdevsim.ko');
  if (!existsSync(built)) throw new VmPrepareError('netdevsim', 'make succeeded but produced no netdevsim.ko');
  const dest = path.join(root, 'lib', 'modules', packages.release, 'updates');
  mkdirSync(dest, { recursive: true });
  copyFileSync(built, path.join(dest, 'netdevsim.ko'));
  return path.join(dest, 'netdevsim.ko');
}

function writeInitramfs(file: string, modulesDir: string): void {
  const busybox = findBusybox();
  if (!busybox) throw new VmUnavailableError('no static busybox', 'apt-get install busybox-static');
  const order = moduleLoadOrder(readFileSync(path.join(modulesDir, 'modules.dep'), 'utf8'), INITRAMFS_MODULES);
  const entries: CpioEntry[] = [
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'dir', path: 'dev' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { kind: 'dir', path: 'modules' },
    ...order.map((ko): CpioEntry => ({ kind: 'file', path: `modules/${path.basename(ko)}`, data: readFileSync(path.join(modulesDir, ko)) })),
    { kind: 'file', path: 'init', data: Buffer.from(initramfsInit(order)), mode: 0o755 },
  ];
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, gzipSync(buildCpio(entries), { level: 6 }));
  renameSync(tmp, file);
  if (statSync(file).size < 1000) throw new VmPrepareError('initramfs', `${file} is implausibly small`);
}

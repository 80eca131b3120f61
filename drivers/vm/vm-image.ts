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
 *
 * The kernel packages come from ./kernel-packages.ts, the initramfs from
 * ./initramfs.ts, netdevsim from ./netdevsim-build.ts; this module keeps the
 * cache and the order of the steps. */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { haveProgram } from '../../ground/exec.ts';
import { writeFileAtomic } from '../../ground/atomic-write.ts';
import { findBusybox, writeInitramfs } from './initramfs.ts';
import { resolvePackages, type KernelPackages } from './kernel-packages.ts';
import { buildNetdevsim } from './netdevsim-build.ts';
import { runStep, VmPrepareError, VmUnavailableError } from './vm-errors.ts';
import { processAlive } from '../../ground/process-alive.ts';

export const DEFAULT_VM_CACHE = '/var/cache/xdp-bench/vm';
/** Bumped when the layout or the initramfs changes: older images are rebuilt. */
export const IMAGE_FORMAT = 1;
/** Free space needed before downloading (debs ~225 MB, unpacked ~0.6 GB, source tarball while unpacking). */
export const MIN_FREE_BYTES = 2 * 1024 ** 3;

export function vmCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.XDPB_VM_CACHE || DEFAULT_VM_CACHE);
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

export interface PrepareOptions {
  cacheDir?: string;
  /** Progress lines for a person (stderr of `bench vm prepare`). */
  log?: (line: string) => void;
  /** Override the image package (default: what linux-image-amd64 depends on). */
  imagePackage?: string;
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

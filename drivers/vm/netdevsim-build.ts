/* netdevsim for the VM's kernel: Debian does not build it (CONFIG_NETDEVSIM
 * unset), so its sources are taken from the linux-source package of the same
 * version and built out of tree against the unpacked headers. */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KernelPackages } from './kernel-packages.ts';
import { runStep, VmPrepareError } from './vm-errors.ts';

/** Builds netdevsim.ko into `root`'s modules tree (updates/) and returns its path. */
export async function buildNetdevsim(imageDir: string, root: string, packages: KernelPackages, sourceDeb: string, log: (l: string) => void): Promise<string> {
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

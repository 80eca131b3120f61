/* Shared by the VM tests: the image (prepared once, cached in $XDPB_VM_CACHE or
 * /var/cache/xdp-bench/vm) and running the repository's own code in the guest. */
import type { ExecutionContext } from 'ava';
import { runInVm, type VmJob, type VmRunResult } from '../../drivers/vm/qemu-vm.ts';
import { findVmImage, prepareVmImage, type VmImage } from '../../drivers/vm/vm-image.ts';

let image: Promise<VmImage> | null = null;

/** The cached image, or prepares it (first run: apt-get download + netdevsim build, ~20 s here). */
export function vmImage(): Promise<VmImage> {
  image ??= Promise.resolve(findVmImage()).then((found) => found ?? prepareVmImage({ log: (l) => process.stderr.write(`${l}\n`) }));
  return image;
}

/** argv that runs a TypeScript file of this repository in the guest with the same loader as `bench`. */
export function tsArgv(file: string, ...args: string[]): string[] {
  return ['node', '--import', 'tsx', file, ...args];
}

/** One JSON object per stdout line (the guest scripts' output). */
export function jsonLines<T = Record<string, unknown>>(stdout: string): T[] {
  return stdout.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as T);
}

/** Runs the job in a fresh VM; logs timings; a failure shows the guest's stderr. */
export async function inVm(t: ExecutionContext, job: Omit<VmJob, 'image'>): Promise<VmRunResult> {
  const r = await runInVm({ ...job, image: await vmImage() });
  t.log(`VM: boot ${(r.bootMs / 1000).toFixed(1)} s, command ${(r.commandMs / 1000).toFixed(1)} s, total ${(r.totalMs / 1000).toFixed(1)} s, guest ${r.guestKernel}`);
  return r;
}


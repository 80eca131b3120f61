/* Which Debian kernel the VM boots: the versioned image package
 * linux-image-amd64 points at, and the headers, kbuild and source packages of
 * the same version, as apt-cache (local package lists only) tells them. */
import { runStep, VmUnavailableError } from './vm-errors.ts';

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

/** The packages to download: `imagePackage` (or $XDPB_VM_KERNEL_PACKAGE, or what linux-image-amd64 depends on) and its companions. */
export async function resolvePackages(imagePackage: string | undefined): Promise<KernelPackages> {
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

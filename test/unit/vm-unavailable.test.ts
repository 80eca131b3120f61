/* The VM lab's refusals say what is missing and what to run or install. */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runInVm } from '../../drivers/vm/qemu-vm.ts';
import { VmUnavailableError } from '../../drivers/vm/vm-errors.ts';
import { findVmImage, prepareVmImage } from '../../drivers/vm/vm-image.ts';
import { EXIT } from '../../ground/errors.ts';

test('an empty cache: runInVm refuses at once, saying to prepare the image (exit code 3)', async (t) => {
  const cache = mkdtempSync(path.join(tmpdir(), 'xdpb-vm-cache-empty-'));
  const saved = process.env.XDPB_VM_CACHE;
  process.env.XDPB_VM_CACHE = cache;
  try {
    t.is(findVmImage(), null);
    const err = await t.throwsAsync(runInVm({ argv: ['true'], timeoutMs: 60_000 }), { instanceOf: VmUnavailableError });
    t.regex(err!.message, /the VM image is not prepared .*fix: bench vm prepare/);
    t.is(err!.exitCode, EXIT.missingCapability);
  } finally {
    if (saved === undefined) delete process.env.XDPB_VM_CACHE;
    else process.env.XDPB_VM_CACHE = saved;
    rmSync(cache, { recursive: true, force: true });
  }
});

test('a kernel package apt does not have: prepare says so (and what to do) before downloading anything', async (t) => {
  const cache = mkdtempSync(path.join(tmpdir(), 'xdpb-vm-cache-nopkg-'));
  try {
    const err = await t.throwsAsync(prepareVmImage({ cacheDir: cache, imagePackage: 'linux-image-6.1.0-999-amd64' }), { instanceOf: VmUnavailableError });
    t.regex(err!.message, /apt has no candidate for linux-image-6\.1\.0-999-amd64.*fix: apt-get update/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

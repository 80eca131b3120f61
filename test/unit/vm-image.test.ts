/* The VM lab's pure parts: package resolution from apt's answers, module
 * order from modules.dep, the initramfs archive, the qemu command line and
 * the job files the guest reads (argv NUL-separated: never a shell string). */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { buildCpio, listCpio } from '../../drivers/vm/cpio.ts';
import { assertSafePath, guestMac, jobFiles, qemuArgv } from '../../drivers/vm/qemu-vm.ts';
import { initramfsInit, isStaticElf, moduleLoadOrder, INITRAMFS_MODULES } from '../../drivers/vm/initramfs.ts';
import { kernelPackagesFor, parseCandidateVersion, parseMetaDepends } from '../../drivers/vm/kernel-packages.ts';
import { vmCacheDir, DEFAULT_VM_CACHE } from '../../drivers/vm/vm-image.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

test('parseMetaDepends / parseCandidateVersion: apt-cache answers (fixtures from this machine)', (t) => {
  t.is(parseMetaDepends(fixture('apt-cache-depends-linux-image-amd64.txt')), 'linux-image-6.1.0-56-amd64');
  t.is(parseMetaDepends(''), null);
  t.is(parseMetaDepends('linux-image-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n'), null, 'only the generic amd64 flavour (the one checked to have pktgen as a module)');
  t.is(parseCandidateVersion(fixture('apt-cache-policy-linux-image.txt')), '6.1.192-2');
  t.is(parseCandidateVersion(''), null, 'apt-cache policy prints nothing for an unknown package');
  t.is(parseCandidateVersion('x:\n  Installed: (none)\n  Candidate: (none)\n'), null);
});

test('kernelPackagesFor: the headers, kbuild and source that match one image', (t) => {
  t.deepEqual(kernelPackagesFor('linux-image-6.1.0-56-amd64', '6.1.192-2'), {
    version: '6.1.192-2',
    release: '6.1.0-56-amd64',
    image: 'linux-image-6.1.0-56-amd64',
    headers: 'linux-headers-6.1.0-56-amd64',
    headersCommon: 'linux-headers-6.1.0-56-common',
    kbuild: 'linux-kbuild-6.1',
    source: 'linux-source-6.1',
  });
  t.throws(() => kernelPackagesFor('linux-image-amd64', '1'), { message: /not a Debian amd64 kernel image/ });
});

test('moduleLoadOrder: dependencies first, each once (modules.dep of the 6.1 image)', (t) => {
  const dep = fixture('modules-dep-initramfs.txt');
  const order = moduleLoadOrder(dep, INITRAMFS_MODULES);
  const base = order.map((p) => p.split('/').pop());
  t.deepEqual(new Set(base), new Set(['virtio_ring.ko', 'virtio.ko', 'virtio_pci_modern_dev.ko', 'virtio_pci_legacy_dev.ko', 'virtio_pci.ko', '9pnet.ko', '9pnet_virtio.ko', 'netfs.ko', 'fscache.ko', '9p.ko', 'overlay.ko']));
  t.is(order.length, new Set(order).size);
  const at = (m: string) => base.indexOf(m);
  t.true(at('virtio_ring.ko') < at('virtio.ko') && at('virtio.ko') < at('virtio_pci.ko'));
  t.true(at('9pnet.ko') < at('9pnet_virtio.ko') && at('netfs.ko') < at('fscache.ko') && at('fscache.ko') < at('9p.ko'));
  t.deepEqual(moduleLoadOrder(dep, ['netdevsim']), ['kernel/net/psample/psample.ko', 'updates/netdevsim.ko'], 'the out-of-tree netdevsim needs psample first');
  t.throws(() => moduleLoadOrder(dep, ['pktgen']), { message: /not in modules.dep/ });
  t.deepEqual(moduleLoadOrder('kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n', ['a']), ['kernel/b.ko', 'kernel/a.ko'], 'a cycle does not loop');
});

test('isStaticElf: busybox-static is, node is not', (t) => {
  t.false(isStaticElf(readFileSync(process.execPath).subarray(0, 1 << 16)));
  t.false(isStaticElf(Buffer.from('#!/bin/sh\n')));
  // A minimal ELF64 header with no program headers: static.
  const h = Buffer.alloc(64);
  h.writeUInt32BE(0x7f454c46, 0);
  h[4] = 2;
  h[5] = 1;
  t.true(isStaticElf(h));
});

test('buildCpio: newc records the kernel unpacks (round trip), parents before children', (t) => {
  const archive = buildCpio([
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: 'bin/busybox', data: Buffer.from('ELF...'), mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'dir', path: 'dev' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'init', data: Buffer.from('#!/bin/busybox sh\n'), mode: 0o755 },
  ]);
  t.is(archive.length % 4, 0);
  t.is(archive.toString('ascii', 0, 6), '070701');
  t.true(archive.includes(Buffer.from('TRAILER!!!\0')));
  const entries = listCpio(archive);
  t.deepEqual(entries.map((e) => e.name), ['bin', 'bin/busybox', 'bin/sh', 'dev', 'dev/console', 'init']);
  t.is(entries[1]!.mode, 0o100755);
  t.is(entries[2]!.data.toString(), 'busybox');
  t.is(entries[4]!.mode & 0o170000, 0o020000, 'a character device');
  t.is(entries[5]!.data.toString(), '#!/bin/busybox sh\n');
  t.throws(() => buildCpio([{ kind: 'file', path: 'a/b', data: Buffer.alloc(0) }]), { message: /before its directory/ });
  t.throws(() => buildCpio([{ kind: 'dir', path: '../x' }]), { message: /bad cpio path/ });
  t.throws(() => buildCpio([{ kind: 'dir', path: 'x' }, { kind: 'dir', path: 'x' }]), { message: /duplicate/ });
});

test('initramfsInit: loads the modules in order, mounts 9p + overlay, hands over to the job init', (t) => {
  const init = initramfsInit(['kernel/net/9p/9pnet.ko', 'kernel/fs/9p/9p.ko']);
  t.true(init.startsWith('#!/bin/busybox sh\n'));
  t.true(init.indexOf('insmod /modules/9pnet.ko') < init.indexOf('insmod /modules/9p.ko'));
  t.regex(init, /mount -t 9p -o trans=virtio,version=9p2000\.L,ro,[^ ]* hostroot \/lower/);
  t.regex(init, /mount -t overlay -o lowerdir=\/lower,upperdir=\/rw\/upper,workdir=\/rw\/work overlay \/newroot/);
  t.regex(init, /exec switch_root \/newroot \/bin\/bash "\$JOB\/guest-init\.sh" "\$JOB"/);
  t.regex(init, /fail\(\) \{[\s\S]*sysrq-trigger/, 'a failure powers the VM off instead of hanging');
});

const IMAGE = { vmlinuz: '/var/cache/xdp-bench/vm/r/root/boot/vmlinuz-6.1.0-56-amd64', initramfs: '/var/cache/xdp-bench/vm/r/initramfs.cpio.gz', modulesDir: '/var/cache/xdp-bench/vm/r/root/lib/modules/6.1.0-56-amd64' };

test('qemuArgv: TCG, no default devices, host / read-only over 9p, job dir read-write, NICs on one hub', (t) => {
  const argv = qemuArgv({ image: IMAGE, jobDir: '/tmp/xdpb-vm-abc123', cpus: 2, memoryMb: 2048, nics: 2 });
  const after = (flag: string) => argv.filter((_, i) => argv[i - 1] === flag);
  t.is(argv[0], 'qemu-system-x86_64');
  t.deepEqual(after('-accel'), ['tcg,thread=multi'], 'TCG only: /dev/kvm here is a PVM backend on which the guest hangs');
  t.true(argv.includes('-nodefaults') && argv.includes('-no-reboot'));
  t.deepEqual(after('-virtfs'), [
    'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    'local,path=/tmp/xdpb-vm-abc123,mount_tag=xdpbjob,security_model=none,multidevs=remap',
  ]);
  t.deepEqual(after('-netdev'), ['hubport,id=xn0,hubid=0', 'hubport,id=xn1,hubid=0']);
  t.deepEqual(after('-device'), [`virtio-net-pci,netdev=xn0,mac=${guestMac(0)}`, `virtio-net-pci,netdev=xn1,mac=${guestMac(1)}`]);
  const append = after('-append')[0]!;
  t.regex(append, /console=ttyS0/);
  t.regex(append, /panic=-1/, 'a dying guest ends qemu (with -no-reboot)');
  t.regex(append, /xdpb\.job=\/tmp\/xdpb-vm-abc123 /);
  t.regex(append, /xdpb\.modules=\/var\/cache\/xdp-bench\/vm\/r\/root\/lib\/modules\/6\.1\.0-56-amd64/);
  t.deepEqual(after('-serial'), ['file:/tmp/xdpb-vm-abc123/console.log']);
  const withOut = qemuArgv({ image: IMAGE, jobDir: '/tmp/xdpb-vm-abc123', outDir: '/tmp/results-1', cpus: 1, memoryMb: 1024, nics: 0 });
  t.true(withOut.includes('local,path=/tmp/results-1,mount_tag=xdpbout,security_model=none,multidevs=remap'));
  t.false(withOut.includes('-netdev'));
});

test('qemuArgv / assertSafePath: paths that would break the command lines are refused', (t) => {
  for (const bad of ['/tmp/a b', '/tmp/a,b', 'relative', '/tmp/../etc', '/tmp/x;y', '/tmp/é']) {
    t.throws(() => assertSafePath('job dir', bad), { instanceOf: RangeError }, bad);
  }
  t.throws(() => qemuArgv({ image: IMAGE, jobDir: '/tmp/x,y', cpus: 1, memoryMb: 512, nics: 1 }), { message: /job dir/ });
  t.throws(() => qemuArgv({ image: IMAGE, jobDir: '/tmp/x', cpus: 1, memoryMb: 512, nics: 9 }), { message: /nics/ });
  t.notThrows(() => assertSafePath('x', '/var/cache/xdp-bench/vm/6.1.0-56-amd64_6.1.192-2+b1/root'));
});

test('jobFiles: argv and env NUL-separated (no shell anywhere), limits, out dir', (t) => {
  const f = jobFiles({ argv: ['./bench', 'run', 'drop-all', '--out', '/tmp/o dir', '$(reboot)'], env: { A: 'x y', B: '' }, cwd: '/work/main', outDir: '/tmp/o' }, 61.9);
  t.is(f.argv, './bench\0run\0drop-all\0--out\0/tmp/o dir\0$(reboot)\0');
  t.is(f.env, 'A=x y\0B=\0');
  t.is(f.cwd, '/work/main');
  t.is(f['timeout-s'], '61');
  t.is(f['out-dir'], '/tmp/o');
  t.throws(() => jobFiles({ argv: [] }, 10), { message: /needs a command/ });
  t.throws(() => jobFiles({ argv: ['A=1'] }, 10), { message: /"="/ });
  t.throws(() => jobFiles({ argv: ['x\0y'] }, 10), { message: /NUL/ });
  t.throws(() => jobFiles({ argv: ['true'], env: { 'BAD-NAME': '1' } }, 10), { message: /environment variable name/ });
  t.throws(() => jobFiles({ argv: ['true'], cwd: 'relative' }, 10), { message: /absolute/ });
});

test('vmCacheDir: XDPB_VM_CACHE overrides the default', (t) => {
  t.is(vmCacheDir({}), DEFAULT_VM_CACHE);
  t.is(vmCacheDir({ XDPB_VM_CACHE: '/srv/vm-cache/' }), '/srv/vm-cache');
});

test('staleVmJobDirs: job dirs no live process names are stale; one a process names is not', async (t) => {
  const { mkdtempSync, mkdirSync, rmSync } = await import('node:fs');
  const { spawn } = await import('node:child_process');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { staleVmJobDirs } = await import('../../drivers/vm/qemu-vm.ts');
  const tmp = mkdtempSync(path.join(tmpdir(), 'stale-test-'));
  for (const n of ['xdpb-vm-AAAAAA', 'xdpb-vm-BBBBBB', 'xdpb-vm-toolong1', 'other']) mkdirSync(path.join(tmp, n));
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', path.join(tmp, 'xdpb-vm-BBBBBB')], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    t.deepEqual(staleVmJobDirs(tmp), [path.join(tmp, 'xdpb-vm-AAAAAA')]);
  } finally {
    holder.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
});

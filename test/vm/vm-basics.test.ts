/* The VM lab itself: a command's exit code and the guest's own message come
 * back, files written to the shared out dir are on the host, and the VM never
 * outlives its limit (killed, nothing left behind). */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runInVmChecked } from '../../drivers/vm/qemu-vm.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { GuestCommandError, VmTimeoutError } from '../../drivers/vm/vm-errors.ts';
import { processAlive } from '../../ground/process-alive.ts';
import { inVm, vmImage } from './helpers.ts';

test.serial('a command that fails in the guest comes back with its exit code and the guest\'s message', async (t) => {
  t.timeout(120_000);
  const image = await vmImage();
  const r = await inVm(t, { argv: ['ip', 'link', 'show', 'dev', 'nosuch0'], timeoutMs: 90_000 });
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /Device "nosuch0" does not exist/);
  t.true(r.emulated);
  t.is(r.accel, 'tcg');
  t.is(r.guestKernel, image.kernelRelease, 'the guest runs the Debian kernel, not the host\'s');
  t.is(r.jobDir, null, 'job dir removed');
  const err = await t.throwsAsync(runInVmChecked({ argv: ['ip', 'link', 'show', 'dev', 'nosuch0'], timeoutMs: 90_000, image }), { instanceOf: GuestCommandError });
  t.regex(err!.message, /in the VM \(Linux 6\.1\.[^)]*\): ip link show dev nosuch0 exited with 1: Device "nosuch0" does not exist/);
});

test.serial('the out dir is shared read-write at the same path, and the guest has this repository at its path', async (t) => {
  t.timeout(120_000);
  const out = mkdtempSync(path.join(tmpdir(), 'xdpb-vm-test-out-'));
  try {
    const r = await inVm(t, { argv: ['cp', '/proc/version', path.join(REPO_ROOT, 'package.json'), out], timeoutMs: 90_000, outDir: out });
    t.is(r.exitCode, 0, r.stderr);
    t.regex(readFileSync(path.join(out, 'version'), 'utf8'), /^Linux version 6\.1\.0-\d+-amd64 .*Debian/);
    t.is(readFileSync(path.join(out, 'package.json'), 'utf8'), readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.serial('the hard limit kills qemu: VmTimeoutError, the process gone, the job dir removed', async (t) => {
  t.timeout(90_000);
  let vm: { pid: number; jobDir: string } | null = null;
  const started = performance.now();
  const err = await t.throwsAsync(
    inVm(t, { argv: ['sleep', '600'], timeoutMs: 20_000, commandTimeoutMs: 600_000, onStarted: (v) => (vm = v) }),
    { instanceOf: VmTimeoutError },
  );
  const elapsed = performance.now() - started;
  t.regex(err!.message, /killed after its hard limit of 20000 ms \((during the command|before the command started)/);
  t.true(elapsed < 30_000, `killed in time (${Math.round(elapsed)} ms)`);
  t.not(vm, null);
  const { pid, jobDir } = vm!;
  t.false(processAlive(pid), `qemu pid ${pid} is gone`);
  t.false(existsSync(jobDir), 'job dir removed');
});

test.serial('aborting (the harness\'s Ctrl-C) kills the VM at once and rethrows the abort reason', async (t) => {
  t.timeout(60_000);
  const controller = new AbortController();
  let vm: { pid: number; jobDir: string } | null = null;
  const running = inVm(t, { argv: ['sleep', '600'], timeoutMs: 120_000, signal: controller.signal, onStarted: (v) => (vm = v) });
  await new Promise((r) => setTimeout(r, 3000));
  const reason = new Error('interrupted by SIGINT');
  const t0 = performance.now();
  controller.abort(reason);
  const err = await t.throwsAsync(running);
  t.is(err, reason);
  t.true(performance.now() - t0 < 5000, 'killed at once');
  t.false(processAlive(vm!.pid));
  t.false(existsSync(vm!.jobDir));
});

/* --topology vm: the same harness, run inside a throwaway qemu guest (TCG)
 * with Debian's kernel, which has what this host kernel lacks (pktgen,
 * netdevsim). The guest runs `bench run ... --json` on its own veth topology
 * and writes results into the run directory, shared at the same path; the
 * host marks them emulated and renders the reports. Functional truth, not
 * performance: under emulation rates mean nothing. */
import { mkdirSync, existsSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import path from 'node:path';
import { prepareVmImage } from '../../drivers/vm/vm-image.ts';
import { runInVm, vmAvailability } from '../../drivers/vm/qemu-vm.ts';
import { writeFileAtomic } from '../../ground/atomic-write.ts';
import { BenchError, EXIT, InterruptedError } from '../../ground/errors.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { loadResults } from '../results/results-io.ts';
import type { RunResults } from '../../ground/result-schema.ts';

/** The guest's command line: the user's, without --topology and --out (the host owns the output dir). */
export function guestArgv(userArgs: readonly string[], outDir: string): string[] {
  const args: string[] = [];
  for (let i = 0; i < userArgs.length; i++) {
    const a = userArgs[i]!;
    if (a === '--topology' || a === '--out') {
      i++;
      continue;
    }
    if (a.startsWith('--topology=') || a.startsWith('--out=') || a === '--json') continue;
    args.push(a);
  }
  return [path.join(REPO_ROOT, 'bench'), 'run', ...args, '--json', '--out', outDir];
}

/** Copies new bytes of the guest's stderr (its progress lines) to ours. */
function follow(file: string, from: number, write: (s: string) => void): number {
  if (!existsSync(file)) return from;
  const size = statSync(file).size;
  if (size <= from) return from;
  const buf = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  readSync(fd, buf, 0, buf.length, from);
  closeSync(fd);
  write(buf.toString());
  return size;
}

export interface VmRunOptions {
  userArgs: string[];
  outDir: string;
  /** Upper bound of the whole guest run (boot + benchmark + power-off). */
  timeoutMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

export async function runInVmTopology(o: VmRunOptions): Promise<{ results: RunResults; guestExitCode: number }> {
  const outDir = path.resolve(o.outDir);
  mkdirSync(outDir, { recursive: true });
  let a = await vmAvailability();
  if (!a.available) {
    o.log(`VM image not prepared: ${a.reason}; preparing it once (cached)`);
    await prepareVmImage({ log: o.log });
    a = await vmAvailability();
  }
  const argv = guestArgv(o.userArgs, outDir);
  o.log(`VM: booting Debian's kernel under qemu (TCG) to run: ${argv.slice(1).join(' ')}`);
  let jobDir: string | null = null;
  let offset = 0;
  const poll = setInterval(() => {
    if (jobDir) offset = follow(path.join(jobDir, 'stderr'), offset, (s) => process.stderr.write(s.replace(/^(?=.)/gm, '[vm] ')));
  }, 1000);
  let r;
  try {
    // The guest's two virtio-net ports (one qemu hub) become the gen0/dut0 pair: a real NIC driver
    // with native XDP, and a receive path where pktgen's skbs are not shared. virtio-net has no
    // offload: offload mode is checked on a netdevsim port instead (attached, no datapath).
    r = await runInVm({ argv, cwd: REPO_ROOT, outDir, env: { XDPB_VM_DUT_LINK: 'virtio', XDPB_VM_OFFLOAD_DEV: 'netdevsim' }, nics: 2, timeoutMs: o.timeoutMs, signal: o.signal, keepJobDir: false, onStarted: (vm) => (jobDir = vm.jobDir) });
  } catch (err) {
    if (o.signal.aborted) throw new InterruptedError(String(o.signal.reason ?? 'signal'));
    throw err;
  } finally {
    clearInterval(poll);
  }
  o.log(`VM: guest kernel ${r.guestKernel}, boot ${(r.bootMs / 1000).toFixed(1)} s, run ${(r.commandMs / 1000).toFixed(1)} s, exit ${r.exitCode}`);
  if (!existsSync(path.join(outDir, 'results.json'))) {
    throw new BenchError(`the guest wrote no results (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-5).join(' | ') || r.consoleTail}`, r.exitCode > 0 ? r.exitCode : EXIT.runFailure);
  }
  const results = loadResults(outDir).results;
  results.environment.emulated = true;
  results.environment.guestKernel = r.guestKernel;
  results.environment.commandLine = ['bench', ...o.userArgs];
  writeFileAtomic(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  return { results, guestExitCode: r.exitCode };
}

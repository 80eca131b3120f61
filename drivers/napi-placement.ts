/* Decoupling generator and DUT on veth. veth runs the receiver's NAPI (and so
 * the DUT's XDP program) on the sending CPU. With threaded NAPI on the DUT
 * interface the poll runs in a kthread "napi/<dev>-<id>" instead, which the
 * harness pins to a CPU of its own; the generator keeps the others. The kernel
 * accepts `threaded` only while veth has NAPI enabled (XDP attached, or GRO on). */
import { readdirSync, readFileSync } from 'node:fs';
import { run } from '../harness/exec.ts';
import type { Endpoint } from './veth-topology.ts';

const COMM_BYTES = 15; // TASK_COMM_LEN - 1: kthread names are cut there

export async function setThreadedNapi(e: Endpoint, on: boolean): Promise<void> {
  // `ip netns exec` mounts the namespace's own /sys, where the device is visible.
  await run(['ip', 'netns', 'exec', e.netns, 'tee', `/sys/class/net/${e.dev}/threaded`], { input: on ? '1' : '0' });
}

/** PIDs of the NAPI kthreads of `dev` (its name is unique per run, see veth-topology.ts). */
export function napiThreadPids(dev: string): number[] {
  const want = `napi/${dev}-`.slice(0, COMM_BYTES);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm.startsWith(want)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

export async function pinToCpu(pid: number, cpu: number): Promise<void> {
  await run(['taskset', '-p', '-c', String(cpu), String(pid)]);
}

export interface CpuPlacement {
  /** CPUs the generator threads run on. */
  generatorCpus: number[];
  /** CPU the DUT's NAPI kthread is pinned to; null when coupled (NAPI on the sender's CPU). */
  dutNapiCpu: number | null;
}

/** Which CPUs go where: the last CPU to the DUT, the rest to the generator (needs >= 2 CPUs). */
export function planDecoupled(cpuCount: number): CpuPlacement | null {
  if (cpuCount < 2) return null;
  return { generatorCpus: Array.from({ length: cpuCount - 1 }, (_, i) => i), dutNapiCpu: cpuCount - 1 };
}

/** Turns threaded NAPI on for the DUT interface and pins its kthread(s); returns the PIDs pinned. */
export async function decoupleDut(dut: Endpoint, napiCpu: number): Promise<number[]> {
  await setThreadedNapi(dut, true);
  const pids = napiThreadPids(dut.dev);
  if (pids.length === 0) throw new Error(`threaded NAPI is on for ${dut.dev} but no napi/${dut.dev}-* kthread was found`);
  for (const pid of pids) await pinToCpu(pid, napiCpu);
  return pids;
}

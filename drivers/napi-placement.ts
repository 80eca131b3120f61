/* Decoupling generator and DUT on veth. veth runs the receiver's NAPI (and so
 * the DUT's XDP program) on the sending CPU. With threaded NAPI on the DUT
 * interface the poll runs in a kthread "napi/<dev>-<id>" instead, which the
 * harness pins to a CPU of its own; the generator keeps the others. The kernel
 * accepts `threaded` only while veth has NAPI enabled (XDP attached, or GRO on). */
import { readdirSync, readFileSync } from 'node:fs';
import { run } from '../ground/exec.ts';
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

/**
 * Where generator threads and the DUT run. Decoupled (the default) needs a
 * CPU of the DUT's own: `threads` generator threads on CPUs 0..threads-1 and
 * the DUT's NAPI kthread on the last CPU, when there are threads + 1 CPUs;
 * otherwise (or with decouple false) the threads share CPUs with the DUT,
 * which on veth runs on the sender's CPU, as xdp-bench and xdp-trafficgen
 * run. `why` says why a placement is not decoupled when it was asked to be.
 */
export function planPlacement(o: { cpuCount: number; decouple: boolean; threads: number | null; defaultCpus: number[] }): { placement: CpuPlacement; why?: string } {
  const first = (n: number) => Array.from({ length: n }, (_, i) => i % o.cpuCount);
  if (o.threads === null) {
    const d = o.decouple ? planDecoupled(o.cpuCount) : null;
    return d ? { placement: d } : { placement: { generatorCpus: o.defaultCpus, dutNapiCpu: null }, ...(o.decouple ? { why: `${o.cpuCount} CPU: nothing to decouple on` } : {}) };
  }
  if (o.decouple && o.threads <= o.cpuCount - 1) return { placement: { generatorCpus: first(o.threads), dutNapiCpu: o.cpuCount - 1 } };
  return {
    placement: { generatorCpus: first(o.threads), dutNapiCpu: null },
    ...(o.decouple ? { why: `${o.threads} generator thread(s) and the DUT's own CPU need ${o.threads + 1} CPUs; this machine has ${o.cpuCount}` } : {}),
  };
}

/** Turns threaded NAPI on for the DUT interface and pins its kthread(s); returns the PIDs pinned. */
export async function decoupleDut(dut: Endpoint, napiCpu: number): Promise<number[]> {
  await setThreadedNapi(dut, true);
  const pids = napiThreadPids(dut.dev);
  if (pids.length === 0) throw new Error(`threaded NAPI is on for ${dut.dev} but no napi/${dut.dev}-* kthread was found`);
  for (const pid of pids) await pinToCpu(pid, napiCpu);
  return pids;
}

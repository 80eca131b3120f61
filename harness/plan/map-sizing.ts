/* Sizes for maps a loader must size before load: an object may declare
 * max_entries 0 and leave the size to its own loader (xdp-bench's objects
 * do). The scenario file's maps[].maxEntries wins; otherwise a stated
 * default by map type. Every size given is recorded with its reason. */
import { readFileSync } from 'node:fs';

export interface MapSize {
  map: string;
  maxEntries: number;
  /** Why this size: "scenario file" or the default's rule. */
  reason: string;
}

export interface MapShape {
  name: string;
  type: string;
  maxEntries: number;
}

/** Map types where max_entries 0 is right or libbpf fills it in (perf_event_array: the CPU count). */
const ZERO_IS_FINE = new Set(['perf_event_array', 'sk_storage', 'inode_storage', 'task_storage', 'cgrp_storage', 'struct_ops']);
/** Map types whose key usually is a CPU number: per-CPU records, CPU redirect targets. */
const CPU_INDEXED = new Set(['array', 'percpu_array', 'cpumap']);
export const DEFAULT_MAX_ENTRIES = 1024;
/** Ring buffers are sized in bytes: a power-of-two number of pages. */
export const DEFAULT_RINGBUF_BYTES = 256 * 1024;

/** /sys/devices/system/cpu/possible ("0-3", "0,2-5"): how many CPU numbers the kernel may use (libbpf_num_possible_cpus). */
export function parseCpuList(text: string): number {
  let max = -1;
  for (const part of text.trim().split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) throw new Error(`cannot read the CPU list "${text.trim()}"`);
    max = Math.max(max, b ?? a!);
  }
  return max + 1;
}

export function possibleCpus(): number {
  return parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
}

/**
 * The sizes to set before load: every map the scenario sizes, and every map
 * declared with max_entries 0 that needs one. Maps not listed keep the
 * object's size. `requested` names are checked against the object by the caller.
 */
export function planMapSizes(maps: readonly MapShape[], requested: readonly { name: string; maxEntries?: number }[], cpus: number): MapSize[] {
  const out: MapSize[] = [];
  for (const r of requested) if (r.maxEntries !== undefined) out.push({ map: r.name, maxEntries: r.maxEntries, reason: 'scenario file (maps[].maxEntries)' });
  for (const m of maps) {
    if (m.maxEntries !== 0 || m.name.includes('.') || ZERO_IS_FINE.has(m.type) || out.some((x) => x.map === m.name)) continue;
    if (CPU_INDEXED.has(m.type)) out.push({ map: m.name, maxEntries: cpus, reason: `declared with max_entries 0: default for a ${m.type} map, the ${cpus} possible CPUs (its key is usually a CPU number); set maps[].maxEntries to change it` });
    else if (m.type === 'ringbuf' || m.type === 'user_ringbuf') out.push({ map: m.name, maxEntries: DEFAULT_RINGBUF_BYTES, reason: `declared with max_entries 0: default for a ${m.type} map, ${DEFAULT_RINGBUF_BYTES} bytes; set maps[].maxEntries to change it` });
    else out.push({ map: m.name, maxEntries: DEFAULT_MAX_ENTRIES, reason: `declared with max_entries 0: default for a ${m.type} map, ${DEFAULT_MAX_ENTRIES} entries; set maps[].maxEntries to change it` });
  }
  return out;
}


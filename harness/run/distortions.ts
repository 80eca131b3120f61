/* What distorts a run's figures, found before it starts: kernel-wide BPF
 * statistics (every program run timed and counted) and helpers in the
 * measured programs that are slow per call (bpf_trace_printk, ...). Recorded
 * in the environment block and printed as warnings. */
import { readFileSync } from 'node:fs';
import type { Scenario } from '../../scenarios/builtin.ts';
import type { EnvironmentInfo } from '../../ground/result-schema.ts';

export const BPF_STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

/** kernel.bpf_stats_enabled of this machine; undefined when the kernel has no such sysctl. */
export function readBpfStatsEnabled(file = BPF_STATS_SYSCTL): boolean | undefined {
  try {
    return readFileSync(file, 'utf8').trim() !== '0';
  } catch {
    return undefined;
  }
}

export type Distortions = Pick<EnvironmentInfo, 'bpfStatsEnabled' | 'slowHelpers' | 'warnings'>;

/** bpfStatsEnabled: of the DUT's kernel (undefined: not known, e.g. a lab's remote DUT). */
export function findDistortions(scenarios: readonly Scenario[], bpfStatsEnabled: boolean | undefined): Distortions {
  const warnings: string[] = [];
  if (bpfStatsEnabled) {
    warnings.push('kernel.bpf_stats_enabled is 1: the kernel times and counts every BPF program run, which slows XDP programs ' +
      '(native XDP_DROP ~2.5x slower on the development machine); turn it off with `sysctl kernel.bpf_stats_enabled=0` for figures of the program alone');
  }
  const slowHelpers: NonNullable<EnvironmentInfo['slowHelpers']> = [];
  for (const s of scenarios) {
    if (!s.object || !s.load) continue;
    const file = s.object.path.split('/').pop()!;
    for (const h of s.load.slowHelpers) {
      slowHelpers.push({ program: s.program, file, helper: h.helper, why: h.why, where: h.where });
      warnings.push(`${s.program} (${file}) calls ${h.helper} in ${h.where}: it ${h.why}; if that runs for every frame, the figure measures it more than the program`);
    }
  }
  return {
    ...(bpfStatsEnabled === undefined ? {} : { bpfStatsEnabled }),
    ...(slowHelpers.length ? { slowHelpers } : {}),
    ...(warnings.length ? { warnings } : {}),
  };
}

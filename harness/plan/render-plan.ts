/* What `bench run ... --dry-run` prints: the plan the runner would execute,
 * case by case, and what it would create. Nothing here touches the machine. */
import { planVethTopology, vethUpCommands } from '../../drivers/veth-topology.ts';
import type { PlannedCase, RigSpec, RunPlan } from './plan.ts';

/** The netns/bpffs prefix of a run (harness/run/run-registry.ts RESOURCE_PREFIX + run id). */
export type PrefixOf = (runId: string) => string;

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function rigLines(rig: RigSpec, plan: RunPlan, prefixOf: PrefixOf): string[] {
  switch (rig.kind) {
    case 'veth':
    case 'vm-pair': {
      const t = planVethTopology(prefixOf(plan.runId));
      const existing = rig.kind === 'vm-pair' ? rig.pair : undefined;
      const head = existing
        ? `rig: vm-pair: the guest's ${existing.genDev} (gen) and ${existing.dutDev} (DUT, ${existing.driver}) moved into netns ${t.genNetns} / ${t.dutNetns}`
        : `rig: veth: netns ${t.genNetns} / ${t.dutNetns}, ${t.gen0.dev} (${t.gen0.ip}) <-> ${t.dut0.dev} (${t.dut0.ip}); ${t.gen1.dev} <-> ${t.dut1.dev} for redirect`;
      const lines = [head, '  would run:'];
      for (const argv of vethUpCommands(t, existing)) lines.push(`    ${argv.join(' ')}`);
      if (rig.kind === 'vm-pair' && rig.offloadCheck) lines.push(`  offload: an attach check on ${rig.offloadCheck} (no datapath), never a measurement`);
      return lines;
    }
    case 'vm':
      return ['rig: vm: a qemu guest (TCG, Debian\'s kernel) with two virtio-net ports on one hub; the guest runs this plan on that pair; rates are emulated'];
    case 'lab': {
      const roles = rig.lab.plan.roles;
      const port = (r: typeof roles.dut) => `${r.interfaces[0]?.name ?? '?'} on ${r.host.name}`;
      return [`rig: lab ${rig.lab.plan.name}: generator ${port(roles.generator)} -> DUT ${port(roles.dut)} (existing NICs, not reconfigured)`];
    }
  }
}

function caseRows(cases: PlannedCase[]): string[][] {
  return [['#', 'scenario', 'mode', 'size', 'trials'], ...cases.map((c) => [String(c.index), c.scenario.name, c.mode, `${c.pktSizeBytes} B`, String(c.trials)])];
}

function placementText(p: RunPlan): string {
  const cpus = p.placement.generatorCpus;
  const why = p.placementReason ? ` (${p.placementReason})` : '';
  if (cpus.length === 0) return p.placementReason || 'decided when the run starts';
  if (p.rig.kind === 'lab') return `generator threads on CPUs ${cpus.join(',')} of ${p.rig.lab.plan.roles.generator.host.name}; the DUT's NAPI as its NICs are set up${why}`;
  if (p.placement.dutNapiCpu === null) return `coupled: generator on CPUs ${cpus.join(',')}, the DUT on the sender's CPU${why}`;
  return `decoupled: generator on CPUs ${cpus.join(',')}, DUT NAPI kthread on CPU ${p.placement.dutNapiCpu}${why}`;
}

export function renderPlan(p: RunPlan, prefixOf: PrefixOf): string {
  const out: string[] = [];
  out.push(`plan of run ${p.runId} (dry run: nothing is created)`);
  if (p.progRunOnly) {
    out.push(`prog-run: ${plural(p.scenarios.length, 'program')} through BPF_PROG_TEST_RUN on a ${p.pktSizesBytes[0]} B frame (${p.scenarios.map((s) => s.name).join(', ')}); no rig, no traffic`);
    out.push(`output: ${p.outDir}`);
    return `${out.join('\n')}\n`;
  }
  out.push(...rigLines(p.rig, p, prefixOf));
  out.push(`generator: ${p.generator?.name ?? 'chosen in the guest'} (${p.generatorReason})`);
  out.push(`placement: ${placementText(p)}`);
  out.push(`rate: ${p.rateText === '0' ? 'full speed' : p.rateText}; ${plural(p.flows, 'flow')}; work ${p.work}; sampling every ${p.sampleIntervalMs} ms`);
  out.push('');
  out.push(`calibration: the generator's ceiling into native XDP_DROP for ${p.calibrationMs / 1000} s at ${p.calibrationSizesBytes.map((s) => `${s} B`).join(', ')}`);
  out.push(
    `throughput: ${plural(p.scenarios.length, 'scenario')} x ${plural(p.modes.length, 'mode')} x ${plural(p.pktSizesBytes.length, 'size')} = ${plural(p.cases.length, 'case')}; ` +
      `${p.trials} trials of ${p.durationMs / 1000} s after ${p.warmupMs / 1000} s warm-up each`,
  );
  out.push(...table(caseRows(p.cases)).map((l) => `  ${l}`));
  if (p.latency) {
    out.push(`latency: ${p.latency.probes} probes at ${p.latency.probeRatePps}/s per mode (${p.latency.modes.join(', ')}) and load (${p.latency.loadFractions.map((f) => `${Math.round(f * 100)} %`).join(', ')} of the reflector's maximum)`);
  }
  out.push('');
  out.push(`expected: at most about ${formatDuration(p.expectedDurationMs ?? 0)} (modes the kernel refuses end at once)`);
  out.push(`output: ${p.outDir}`);
  return `${out.join('\n')}\n`;
}

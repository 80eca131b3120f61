/*
 * What a report says about a run besides its figures: environment, parameters,
 * caveats and a short methodology generated from the run's own parameters.
 * Plain text; the HTML and Markdown renderers escape it.
 */

import type { RunResults } from './result-schema.ts';
import { formatBytes, formatCommandLine, formatElapsed, formatMs, formatPercent, formatPps, formatSeconds } from './format.ts';

export type Field = readonly [name: string, value: string];

export function runFields(results: RunResults): Field[] {
  const elapsed = formatElapsed(results.startedAt, results.finishedAt);
  return [
    ['Run id', results.runId],
    ['State', results.state],
    ['Started', results.startedAt],
    ['Finished', `${results.finishedAt ?? 'not finished'}${elapsed ? ` (${elapsed})` : ''}`],
    ['Results schema version', String(results.schemaVersion)],
  ];
}

export function environmentFields(results: RunResults): Field[] {
  const env = results.environment;
  return [
    ['Kernel', env.kernel],
    ['Host', env.hostname],
    ['CPU', `${env.cpuModel} (${env.cpuCount} CPUs)`],
    ['Driver', env.driver],
    ['Harness version', env.harnessVersion],
    ['Git revision', env.gitRevision ?? 'unknown'],
    ['Node', env.nodeVersion],
    ['Command line', formatCommandLine(env.commandLine)],
    ...(env.bpfStatsEnabled === undefined ? [] : [['kernel.bpf_stats_enabled', env.bpfStatsEnabled ? '1 (every program run timed: slower)' : '0'] as Field]),
    ...(env.slowHelpers ?? []).map((h): Field => ['Slow helper', `${h.program} (${h.file}) calls ${h.helper} in ${h.where}`]),
    ...labFields(results),
  ];
}

/** A lab run: its hosts, interfaces as probed, and how the hosts' clocks were lined up. */
function labFields(results: RunResults): Field[] {
  const lab = results.lab;
  if (!lab) return [];
  const fields: Field[] = [['Lab', `${lab.name} (${lab.configFile}); DUT lock ${lab.lock}`]];
  for (const h of lab.hosts) {
    fields.push([`Lab host ${h.name}`, `${h.roles.join(' + ')}; ${h.kind === 'ssh' ? `ssh ${h.destination ?? ''}` : 'local'}; ${h.hostname}, kernel ${h.kernel}, ${h.cpuCount} CPUs`]);
  }
  for (const i of lab.interfaces) {
    const driver = [i.driver ?? 'driver unknown', i.driverVersion, i.firmwareVersion ? `firmware ${i.firmwareVersion}` : null].filter(Boolean).join(' ');
    const queues = i.numRxQueues !== null ? `, ${i.numRxQueues} RX / ${i.numTxQueues ?? '?'} TX queues` : '';
    const speed = i.linkSpeedMbps !== null ? `, ${i.linkSpeedMbps} Mb/s` : '';
    const forced = i.safetyForced ? `; FORCED past the safety check (${i.safetyReasons.join('; ')})` : '';
    fields.push([`Lab ${i.role} ${i.port}`, `${i.ifname} on ${i.host}: ${driver}${speed}${queues}${forced}`]);
  }
  for (const a of lab.clockAlignment.filter((x) => x.offsetMs !== 0 || x.uncertaintyMs !== 0)) {
    fields.push([`Clock of ${a.host}`, `offset ${a.offsetMs.toFixed(3)} ms to the DUT host's, +/- ${a.uncertaintyMs.toFixed(3)} ms`]);
  }
  return fields;
}

export function parameterFields(results: RunResults): Field[] {
  const p = results.parameters;
  return [
    ['Scenarios', p.scenarios.join(', ')],
    ['Modes', p.modes.join(', ')],
    ['Trials per case', String(p.trials)],
    ['Trial duration', formatSeconds(p.durationS)],
    ['Warm-up', formatSeconds(p.warmupS)],
    ['Sample interval', formatMs(p.sampleIntervalMs)],
    ['Generator', `${p.generator}${p.generatorReason ? ` (${p.generatorReason})` : ''}`],
    ['Packet sizes', packetSizes(results).map(formatBytes).join(', ')],
    ['Offered rate', rateText(p.rate)],
    ['Flows', String(p.flows)],
    ['DUT program work per frame', p.work],
    ['Generator and DUT decoupled', p.decouple ? 'yes (DUT NAPI threaded, on its own CPU)' : 'no'],
    ['Topology', p.topology],
    ['Counter agreement tolerance', formatPercent(p.agreementTolerance)],
  ];
}

/** Packet sizes of the run: those of its cases, else the parameters'. */
export function packetSizes(results: RunResults): number[] {
  const fromCases = [...new Set(results.cases.map((c) => c.pktSizeBytes))].sort((a, b) => a - b);
  if (fromCases.length > 0) return fromCases;
  return results.parameters.pktSizesBytes.length > 0 ? [...results.parameters.pktSizesBytes] : [results.parameters.pktSizeBytes];
}

function rateText(rate: string): string {
  if (rate === '0' || rate === '') return 'as fast as the generator can';
  if (rate.endsWith('%')) return `${rate} of the calibrated maximum`;
  const pps = Number(rate);
  return Number.isFinite(pps) ? formatPps(pps) : rate;
}

/** Caveats that hold for the whole run (per-case flags are listed separately). */
export function runCaveats(results: RunResults): string[] {
  const out: string[] = [];
  if (results.parameters.topology === 'veth') {
    out.push('emulated: every figure was measured on veth (virtual Ethernet pairs between network namespaces on one host), ' +
      'not on a physical NIC; it is not hardware capacity');
  }
  const virtualLab = results.lab?.interfaces.filter((i) => i.driver === 'veth' || i.driver === null).map((i) => i.ifname) ?? [];
  if (virtualLab.length) out.push(`the lab's interfaces ${virtualLab.join(', ')} are virtual (veth) or of unknown driver: not hardware capacity`);
  if (results.state !== 'complete') out.push(`the run is ${results.state}: some cases may be missing or incomplete`);
  out.push(...(results.environment.warnings ?? []));
  return out;
}

/** A short "how these figures were made", from the run's parameters. */
export function methodologyParagraphs(results: RunResults): string[] {
  const p = results.parameters;
  const sizes = packetSizes(results).map(formatBytes).join(', ');
  const out: string[] = [];
  if (p.topology === 'veth') {
    out.push('Topology: two network namespaces (generator and device under test) joined by veth pairs on one host. ' +
      (p.decouple
        ? "The DUT's receive processing ran as a threaded NAPI pinned to a CPU of its own, apart from the generator's CPUs."
        : "Generator and DUT were not decoupled: on veth the receiver's XDP program runs on the sender's CPU."));
  }
  out.push(`The same compiled XDP object was attached to the DUT interface in each mode in turn (${p.modes.join(', ')}). ` +
    "A mode the device refused is reported as skipped with the kernel's own reason, never as zero.");
  out.push(`Traffic: generator "${p.generator}", ${p.flows} flow${p.flows === 1 ? '' : 's'}, frames of ${sizes} on the wire (including the 4-byte FCS), ` +
    `offered rate: ${rateText(p.rate)}. The DUT program's per-frame work: ${p.work}.`);
  out.push(`Each case: ${formatSeconds(p.warmupS)} of warm-up (not counted), then ${p.trials} trial${p.trials === 1 ? '' : 's'} of ${formatSeconds(p.durationS)}. ` +
    `Counters (the program's per-CPU action counters, the link counters of both veth ends, the driver's ethtool counters) were sampled every ${formatMs(p.sampleIntervalMs)}.`);
  out.push('Per case, over the trials: median, mean, standard deviation, coefficient of variation, 95 % confidence interval of the mean (Student\'s t) and min..max. ' +
    `Counter sources are cross-checked with a relative tolerance of ${formatPercent(p.agreementTolerance)}; figures that are not what they seem carry a flag.`);
  out.push((results.latency ?? []).length > 0
    ? 'Latency: round-trip time of probes through an XDP_TX reflector, per mode, idle and under a background load given as a fraction ' +
      "of the reflector's measured maximum; percentiles are over the probes that came back, lost probes are counted separately."
    : 'Latency percentiles: not measured in this run (bench run --latency measures them).');
  return out;
}

/* Latency, program cost and capture checks for real, on a veth topology of
 * their own (harness/run/latency-lab.ts, prefix xdpb-lat<8 hex>, 198.18.0.0/15),
 * removed after the last test whatever happened. */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LATENCY_OBJECT } from '../../drivers/latency-prober.ts';
import { PcapError, readPcap, startCapture, verifyCaptureFile, type CaptureExpectation } from '../../drivers/pcap-capture.ts';
import { listPrograms, runProgRun } from '../../drivers/prog-run.ts';
import { summarizeProgRun } from '../../harness/analysis/prog-run-summary.ts';
import { listNetns } from '../../drivers/veth-topology.ts';
import { run } from '../../ground/exec.ts';
import { buildUdpFrame } from '../../ground/frame.ts';
import { attachDut, closeLatencyLab, measureLatency, measureMaxPps, openLatencyLab, PROBE_PORT, type LatencyLab } from '../../harness/run/latency-lab.ts';
import { BENCH_OBJECT } from '../../ground/paths.ts';
import { probeArgv } from '../../drivers/latency-prober.ts';

const prefix = `xdpb-lat${randomBytes(4).toString('hex')}`;
let lab: LatencyLab | undefined;

test.before(async () => {
  lab = await openLatencyLab(prefix);
});

test.after.always(async () => {
  if (lab) await closeLatencyLab(lab);
});

function theLab(): LatencyLab {
  if (!lab) throw new Error('the lab did not come up');
  return lab;
}

for (const mode of ['native', 'generic'] as const) {
  test.serial(`${mode}: RTT percentiles at no load and at half the maximum, present and ordered`, async (t) => {
    const l = theLab();
    const detach = await attachDut(l, 'xdp_reflect', mode);
    const maxPps = await measureMaxPps(l, 300);
    await detach();
    t.true(maxPps > 10_000, `the reflector handled ${maxPps} pps`);
    for (const loadPps of [0, Math.round(maxPps / 2)]) {
      const m = await measureLatency(l, { mode, loadPps, probes: 300, probeRatePps: 1000 });
      const s = m.summary;
      const what = `${mode} at ${loadPps} pps`;
      t.is(s.sent, 300, what);
      t.true(s.lost <= 30, `${what}: ${s.lost} of 300 lost`);
      t.is(s.timestampSource, 'software', `${what}: veth has no hardware timestamps`);
      t.false(s.hardwareTimestamps.offered);
      const ordered = [s.minNs, s.p50Ns, s.p90Ns, s.p99Ns, s.p999Ns, s.maxNs];
      t.true(ordered.every((v) => typeof v === 'number' && v > 0), `${what}: ${JSON.stringify(ordered)}`);
      t.true(s.p50Ns! <= s.p99Ns! && s.p99Ns! <= s.maxNs!, `${what}: p50 ${s.p50Ns} <= p99 ${s.p99Ns} <= max ${s.maxNs}`);
      t.deepEqual([...(ordered as number[])].sort((a, b) => a - b), ordered as number[]);
      t.true(s.meanNs! > 0 && s.stddevNs! >= 0);
      t.is(s.histogram.buckets.reduce((n, b) => n + b.count, 0), s.n);
      t.is(s.duplicates, 0, what);
      if (loadPps) t.true((m.loadAchievedPps ?? 0) > 0, `${what}: the background load ran`);
      t.log(`${what}: p50 ${s.p50Ns} p99 ${s.p99Ns} max ${s.maxNs} ns, lost ${s.lost}, load achieved ${Math.round(m.loadAchievedPps ?? 0)} pps`);
    }
  });

  test.serial(`${mode}: xdp_drop in place of the reflector loses every probe, and says so`, async (t) => {
    const m = await measureLatency(theLab(), { mode, program: 'xdp_drop', loadPps: 0, probes: 50, probeRatePps: 1000, timeoutMs: 200 });
    t.is(m.summary.sent, 50);
    t.is(m.summary.lost, 50);
    t.is(m.summary.lossRatio, 1);
    t.is(m.summary.p50Ns, null);
    t.is(m.report.timestampSource, 'none');
  });
}

test.serial('prog-run: every program of bench.bpf.o (each --work variant too) and latency.bpf.o, with the action it returns', async (t) => {
  const l = theLab();
  const frame = buildUdpFrame({ srcMac: l.topology.gen0.mac, dstMac: l.topology.dut0.mac, srcIp: l.topology.gen0.ip, dstIp: l.topology.dut0.ip, srcPort: 9, dstPort: 9, pktSizeBytes: 64 });
  const expected: Record<string, string> = {
    xdp_drop: 'drop', xdp_pass: 'pass', xdp_tx: 'tx', xdp_redirect: 'redirect', xdp_aborted: 'aborted',
    xdp_reflect: 'tx', xdp_probe_sink: 'drop', // a UDP frame without the probe magic
  };
  // Every work level of every action with variants (native/bench.bpf.c XDPB_ALL_WORK): a 64 B UDP frame passes all of them.
  for (const base of ['xdp_drop', 'xdp_pass', 'xdp_redirect', 'xdp_aborted']) {
    for (const suffix of ['__read_data', '__parse_ip', '__swap_macs']) expected[`${base}${suffix}`] = expected[base]!;
  }
  const seen: string[] = [];
  for (const objectPath of [BENCH_OBJECT, LATENCY_OBJECT]) {
    for (const { name } of await listPrograms(objectPath)) {
      const devmap = name.startsWith('xdp_redirect') ? { map: 'xdpb_redirect_port', dev: 'lo' } : undefined;
      const s = summarizeProgRun(await runProgRun({ objectPath, programName: name, frame, repeat: 100_000, runs: 5, devmap }));
      t.is(s.action as string, expected[name], name);
      t.is(s.nsPerPacket.n, 5);
      t.true(s.nsPerPacket.median > 0 && s.nsPerPacket.median < 10_000, `${name}: ${s.nsPerPacket.median} ns`);
      t.true(Number.isFinite(s.mppsPerCore) && s.mppsPerCore > 0);
      t.log(`${name}: ${s.nsPerPacket.median} ns/packet (CV ${(s.nsPerPacket.cv * 100).toFixed(1)} %), ${s.mppsPerCore.toFixed(1)} Mpps/core`);
      seen.push(name);
    }
  }
  t.deepEqual(seen.sort(), Object.keys(expected).sort());
});

const PROBE_SAMPLE: CaptureExpectation = { localMac: '02:58:44:50:00:10', frameBytes: 62, protocol: 'udp', flows: 1, reflected: true, minFrames: 20 };

async function captureProbes(l: LatencyLab, file: string, program: 'xdp_reflect' | 'xdp_tx') {
  const t = l.topology;
  // bench.bpf.o's xdp_tx swaps only the MACs: its replies are not what the prober expects.
  const detach = await attachDut(l, program, 'native');
  try {
    const cap = await startCapture({ netns: t.gen0.netns, dev: t.gen0.dev, file, maxFrames: 40, filter: ['udp'], timeoutMs: 10_000 });
    await run(probeArgv({ netns: t.gen0.netns, dev: t.gen0.dev, dstIp: t.dut0.ip, dstPort: PROBE_PORT, count: 20, ratePps: 1000, timeoutMs: 200, warmup: 0 }));
    return await cap.finished;
  } finally {
    await detach();
  }
}

test.serial('a capture on the generator side: parsed with pcap-parser, matches the scenario; a MAC-only reflector is caught', async (t) => {
  const l = theLab();
  const good = path.join(l.scratchDir, 'reflect.pcap');
  const r = await captureProbes(l, good, 'xdp_reflect');
  t.is(r.endedBy, 'count', 'tcpdump stopped itself at -c 40 (20 probes + 20 replies)');
  t.deepEqual(r.stats, { captured: 40, receivedByFilter: 40, droppedByKernel: 0 });
  const v = await verifyCaptureFile(good, PROBE_SAMPLE);
  t.deepEqual(v.mismatches, []);
  t.deepEqual(v.reflection, { matched: 20, swapped: 20, notSwapped: 0, unmatched: 0, echoedUnchanged: 0 });

  const bad = path.join(l.scratchDir, 'mac-only.pcap');
  const r2 = await captureProbes(l, bad, 'xdp_tx');
  t.is(r2.stats?.captured, 40);
  const v2 = await verifyCaptureFile(bad, PROBE_SAMPLE);
  t.false(v2.ok);
  t.is(v2.reflection!.notSwapped, 20);
  t.regex(v2.mismatches.join('\n'), /20 of 20 replies are not the request swapped \(frame \d+: IPs 198\.18\.0\.1 > 198\.18\.0\.2, ports \d+ > 7777;/);

  // The same real capture, cut short: a clear, typed error.
  const cut = path.join(l.scratchDir, 'cut.pcap');
  const bytes = readFileSync(good);
  writeFileSync(cut, bytes.subarray(0, bytes.length - 7));
  const err = await t.throwsAsync(readPcap(cut), { instanceOf: PcapError });
  t.is(err!.reason, 'truncated-record');
  t.regex(err!.message, /cut\.pcap: not a usable pcap \(truncated-record at byte \d+\): the file ends inside a record/);
});

test.serial('the lab leaves nothing behind', async (t) => {
  const l = theLab();
  const failures = await closeLatencyLab(l);
  lab = undefined;
  t.deepEqual(failures, []);
  t.deepEqual((await listNetns()).filter((n) => n.startsWith(prefix)), []);
  t.false(existsSync(l.pinDir));
  t.false(existsSync(l.scratchDir));
});

import test from 'ava';
import { readFileSync } from 'node:fs';
import {
  DEFAULT_LOAD_FRACTIONS, loadRatesPps, parseProbeOutput, probeArgv, ProbeOutputError, XDPB_LAT,
} from '../../drivers/latency-prober.ts';
import { latencyHistogram, percentile, summarizeLatency } from '../../harness/analysis/latency-summary.ts';
import { KernelRefusalError } from '../../ground/errors.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

test('probeArgv: required flags, optional ones only when given', (t) => {
  t.deepEqual(probeArgv({ netns: 'ns-gen', dev: 'g0', dstIp: '198.18.0.2', dstPort: 7777, count: 100, ratePps: 1000 }),
    [XDPB_LAT, 'probe', '--netns', 'ns-gen', '--dev', 'g0', '--dst-ip', '198.18.0.2', '--dst-port', '7777', '--count', '100', '--rate-pps', '1000']);
  const full = probeArgv({ netns: 'n', dev: 'd', dstIp: '198.18.0.2', dstPort: 1, count: 1, ratePps: 1, srcPort: 5000, timeoutMs: 200,
    payloadBytes: 64, cpu: 1, warmup: 0, hwTimestamps: 'off', udpChecksum: true });
  t.deepEqual(full.slice(14), ['--src-port', '5000', '--timeout-ms', '200', '--payload-bytes', '64', '--cpu', '1', '--warmup', '0',
    '--hw-timestamps', 'off', '--udp-checksum', 'on']);
});

test('real native probe output: parsed, software timestamps on both sides, one RTT per reply', (t) => {
  const r = parseProbeOutput(fixture('xdpb-lat-probe-native.json'));
  t.is(r.requested, 200);
  t.is(r.sent, 200);
  t.is(r.received, 200);
  t.is(r.lost, 0);
  t.is(r.rttNs.length, 200);
  t.is(r.timestampSource, 'software');
  t.deepEqual(r.rxTimestamps, { hardware: 0, software: 200, user: 0 });
  t.false(r.hardwareTimestamps.offered);
  t.regex(r.hardwareTimestamps.detail, /no hardware timestamps \(ethtool: software only\)/);
  t.is(r.clock, 'CLOCK_REALTIME');
  t.true(r.clockResolutionNs >= 1);
  t.false('ok' in r);
  // user-space timing is always slower than the kernel's stamps
  t.true(r.userRttNs.every((u, i) => u > r.rttNs[i]!));
});

test('summarizeLatency: percentiles present and ordered, histogram holds every RTT', (t) => {
  const s = summarizeLatency(parseProbeOutput(fixture('xdpb-lat-probe-native.json')));
  t.is(s.n, 200);
  const order = [s.minNs, s.p50Ns, s.p90Ns, s.p99Ns, s.p999Ns, s.maxNs] as number[];
  t.true(order.every((v) => typeof v === 'number' && v > 0));
  t.deepEqual([...order].sort((a, b) => a - b), order);
  t.true(s.meanNs! >= s.minNs! && s.meanNs! <= s.maxNs!);
  t.true(s.stddevNs! >= 0);
  t.true(s.userOverheadP50Ns! > 0);
  t.is(s.histogram.buckets.reduce((n, b) => n + b.count, 0), 200);
  t.is(s.lossRatio, 0);
});

test('all probes lost (xdp_drop instead of the reflector): counted, figures null, not an error', (t) => {
  const r = parseProbeOutput(fixture('xdpb-lat-probe-all-lost.json'));
  t.is(r.sent, 20);
  t.is(r.lost, 20);
  t.is(r.timestampSource, 'none');
  const s = summarizeLatency(r);
  t.is(s.n, 0);
  t.is(s.lossRatio, 1);
  t.is(s.p50Ns, null);
  t.is(s.maxNs, null);
  t.deepEqual(s.histogram.buckets, []);
});

test('percentile: nearest rank, always an observed value', (t) => {
  const v = Array.from({ length: 1000 }, (_, i) => i + 1);
  t.is(percentile(v, 50), 500);
  t.is(percentile(v, 99), 990);
  t.is(percentile(v, 99.9), 999);
  t.is(percentile(v, 100), 1000);
  t.is(percentile(v, 0), 1);
  t.is(percentile([7], 99.9), 7);
  t.true(Number.isNaN(percentile([], 50)));
  t.throws(() => percentile(v, 101), { instanceOf: RangeError });
});

test('latencyHistogram: log-linear buckets no wider than 1/8 of their value', (t) => {
  const h = latencyHistogram([1000, 1001, 1100, 2047, 2048, 0, -5, 3], 8);
  t.is(h.kind, 'log-linear');
  t.deepEqual(h.buckets.map((b) => [b.lowNs, b.highNs, b.count]), [
    [0, 1, 2], [3, 3.25, 1], [960, 1024, 2], [1024, 1152, 1], [1920, 2048, 1], [2048, 2304, 1]]);
  for (const b of h.buckets.filter((x) => x.lowNs >= 1)) t.true((b.highNs - b.lowNs) / b.lowNs <= 1 / 8);
  t.throws(() => latencyHistogram([1], 0), { instanceOf: RangeError });
});

test('a failure answer is the kernel refusal; garbage and inconsistent answers are ProbeOutputError', (t) => {
  const refusal = t.throws(() => parseProbeOutput('{"ok":false,"stage":"enter-netns","errno":2,"error":"No such file or directory","detail":"xdpb-x-gen"}'), { instanceOf: KernelRefusalError });
  t.regex(refusal!.message, /enter-netns \(xdpb-x-gen\): No such file or directory \(errno 2\)/);
  t.throws(() => parseProbeOutput('Segmentation fault'), { instanceOf: ProbeOutputError, message: /not JSON: Segmentation fault/ });
  const good = JSON.parse(fixture('xdpb-lat-probe-native.json')) as Record<string, unknown>;
  t.throws(() => parseProbeOutput(JSON.stringify({ ...good, lost: 3 })), { instanceOf: ProbeOutputError, message: /sent 200 != received 200 \+ lost 3/ });
  t.throws(() => parseProbeOutput(JSON.stringify({ ...good, rttNs: [1, 2] })), { instanceOf: ProbeOutputError, message: /200 replies but 2 RTTs/ });
  t.throws(() => parseProbeOutput(JSON.stringify({ ...good, sent: 'x' })), { instanceOf: ProbeOutputError, message: /field sent/ });
  t.throws(() => parseProbeOutput(JSON.stringify({ ...good, timestampSource: 'ptp' })), { instanceOf: ProbeOutputError, message: /unknown timestampSource ptp/ });
});

test('loadRatesPps: the default fractions of a maximum, 0 stays no load', (t) => {
  t.deepEqual(DEFAULT_LOAD_FRACTIONS, [0, 0.1, 0.5, 0.9]);
  t.deepEqual(loadRatesPps(2_000_000).map((l) => l.ratePps), [0, 200_000, 1_000_000, 1_800_000]);
  t.throws(() => loadRatesPps(0), { instanceOf: RangeError });
  t.throws(() => loadRatesPps(1e6, [1.5]), { instanceOf: RangeError });
});

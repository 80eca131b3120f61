/* --latency and --prog-run through `bench run`, for real. */
import test from 'ava';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bench, leftoversOf, outDir, QUICK, readResults } from './helpers.ts';

test.serial('bench run tx-reflect --modes all --latency: percentiles per mode and load, offload skipped', async (t) => {
  const out = outDir('latency-cli');
  const r = await bench(['run', 'tx-reflect', '--modes', 'all', '--latency', '--latency-loads', '0,50', '--probes', '100', ...QUICK, '--out', out], 180_000);
  t.is(r.exitCode, 0, String(r.stderr));
  const results = readResults(out);
  const lat = results.latency ?? [];
  t.deepEqual(lat.map((l) => `${l.mode}@${l.loadFraction}:${l.state}`), ['native@0:ok', 'native@0.5:ok', 'generic@0:ok', 'generic@0.5:ok', 'offload@0:skipped', 'offload@0.5:skipped']);
  for (const l of lat.filter((x) => x.state === 'ok')) {
    const s = l.summary!;
    t.true(s.sent >= 100 && s.n > 0, `${l.mode}: ${s.n} replies of ${s.sent}`);
    t.true(s.minNs! <= s.p50Ns! && s.p50Ns! <= s.p99Ns! && s.p99Ns! <= s.maxNs!, `${l.mode}: ordered percentiles`);
    t.true(l.maxPps! > 0);
    if (l.loadFraction > 0) t.true((l.achievedLoadPps ?? 0) > 0, 'background load was sent');
    t.is(s.histogram.buckets.reduce((a, b) => a + b.count, 0), s.n);
    if (l.loadFraction === 0) {
      // What went over the wire, from a tcpdump sample on the generator side.
      t.true(l.capture?.ok, `${l.mode}: ${l.capture?.mismatches.join('; ')}`);
      t.true((l.capture?.received ?? 0) > 0);
    }
  }
  t.regex(String(r.stdout), /Latency \(RTT through the XDP_TX reflector\)/);
  for (const f of ['chart-latency.png', 'chart-latency-cdf.png']) t.true(existsSync(path.join(out, f)), f);
  t.deepEqual(await leftoversOf(results.runId), []);
});

test.serial('bench run drop-all --prog-run: ns per packet, no topology', async (t) => {
  const out = outDir('prog-run-cli');
  const r = await bench(['run', 'drop-all', 'redirect', '--prog-run', '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const results = readResults(out);
  t.deepEqual(results.cases, []);
  t.deepEqual(results.calibration, []);
  t.deepEqual(results.progRun!.map((p) => [p.program, p.summary.action]), [['xdp_drop', 'drop'], ['xdp_redirect', 'redirect']]);
  for (const p of results.progRun!) {
    t.true(p.summary.nsPerPacket.median > 0);
    t.is(p.summary.mppsPerCore, 1e3 / p.summary.nsPerPacket.median);
  }
  t.regex(String(r.stdout), /Program cost \(BPF_PROG_TEST_RUN, no NIC\)/);
  t.true(existsSync(path.join(out, 'chart-prog-run.png')));
});

test.serial('bench run --prog-run --work swap-macs: the swap-macs variants (xdp_tx has none: it always swaps)', async (t) => {
  const out = outDir('prog-run-work');
  const r = await bench(['run', 'drop-all', 'tx-reflect', '--prog-run', '--work', 'swap-macs', '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  t.deepEqual(readResults(out).progRun!.map((p) => [p.program, p.summary.action]), [['xdp_drop__swap_macs', 'drop'], ['xdp_tx', 'tx']]);
});

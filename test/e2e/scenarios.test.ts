/* Every built-in scenario takes its action, and the proof counters behind the DUT agree. */
import test from 'ava';
import { rmSync } from 'node:fs';
import { loadObject } from '../../drivers/xdpb-helper.ts';
import { BENCH_OBJECT, BPFFS_ROOT } from '../../ground/paths.ts';
import { bench, leftoversOf, outDir, QUICK, readResults } from './helpers.ts';
import type { OkCase } from '../../ground/result-schema.ts';

test.serial('pass-all, tx-reflect, redirect and aborted in native and generic mode', async (t) => {
  const out = outDir('scenarios');
  const r = await bench(['run', 'pass-all', 'tx-reflect', 'redirect', 'aborted', '--modes', 'native,generic', ...QUICK, '--out', out], 180_000);
  t.is(r.exitCode, 0, String(r.stderr));
  const results = readResults(out);
  t.is(results.cases.length, 8);
  for (const c of results.cases) {
    t.is(c.state, 'ok', `${c.scenario}/${c.mode}: ${'reason' in c ? c.reason : ''}`);
    const ok = c as OkCase;
    t.false(ok.flags.includes('unexpected-action'), `${c.scenario}/${c.mode}: ${ok.notes.join('; ')}`);
    t.false(ok.flags.includes('sources-disagree'), `${c.scenario}/${c.mode}: ${ok.notes.join('; ')}`);
    if (c.scenario === 'tx-reflect' || c.scenario === 'redirect') {
      for (const trial of ok.trials) t.true((trial.proofPps ?? 0) > 0, `${c.scenario}/${c.mode}: frames arrived behind the DUT`);
    }
  }
  t.deepEqual(await leftoversOf(results.runId), []);
});

test.serial('trafgen into native XDP_DROP, decoupled (the default placement): measured, and the counters agree', async (t) => {
  // trafgen's TX_RING path aborted here ("Flushing TX_RING failed"); it sends with sendto() now (drivers/trafgen.ts).
  const out = outDir('trafgen');
  const r = await bench(['run', 'drop-all', '--modes', 'native,generic', '--generator', 'trafgen', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const results = readResults(out);
  t.is(results.parameters.generator, 'trafgen');
  t.is(results.state, 'complete');
  t.true(results.parameters.decouple, 'the default placement: DUT NAPI on its own CPU');
  t.true((results.calibration[0]?.offeredPps ?? 0) > 10_000, 'calibration measured a ceiling');
  t.deepEqual(results.cases.map((c) => `${c.mode}:${c.state}`), ['native:ok', 'generic:ok']);
  t.not((results.cases[0] as OkCase).placement.dutNapiCpu, null, 'native: the DUT NAPI kthread had its own CPU');
  // The harness's own agreement tolerance (sources-disagree beyond it): short trials on a busy machine skew the sample edges a little.
  const tol = results.parameters.agreementTolerance;
  for (const c of results.cases as OkCase[]) {
    t.false(c.flags.includes('sources-disagree'), `${c.mode}: ${c.notes.join('; ')}`);
    t.false(c.flags.includes('unexpected-action'), `${c.mode}: ${c.notes.join('; ')}`);
    for (const trial of c.trials) {
      // Offered = processed + lost before XDP (a busy DUT CPU makes veth refuse frames: counted, not hidden).
      t.true(Math.abs(trial.offeredPps - trial.xdpPps - trial.lostBeforeXdpPps) <= tol * trial.offeredPps, `${c.mode}: offered ${trial.offeredPps} vs XDP ${trial.xdpPps} + lost ${trial.lostBeforeXdpPps}`);
      t.true(trial.xdpPps > 10_000, `${c.mode}: trial ${trial.index} measured (${trial.xdpPps} pps)`);
      // What the program counted agrees with the DUT link's RX and the generator link's TX.
      t.true(Math.abs(trial.xdpPps - trial.dutRxPps) <= tol * trial.dutRxPps, `${c.mode}: XDP ${trial.xdpPps} vs DUT RX ${trial.dutRxPps}`);
      t.true(Math.abs(trial.xdpPps - trial.genTxPps) <= tol * trial.genTxPps, `${c.mode}: XDP ${trial.xdpPps} vs gen TX ${trial.genTxPps}`);
      if (c.mode === 'native') t.true(trial.driverXdpPps !== null && Math.abs(trial.xdpPps - trial.driverXdpPps) <= tol * trial.driverXdpPps, `native: XDP ${trial.xdpPps} vs veth xdp_packets ${trial.driverXdpPps}`);
    }
  }
  t.deepEqual(await leftoversOf(results.runId), []);
});

test.serial('--work picks the program variant: pass-all --work parse-ip attaches xdp_pass__parse_ip (its kernel tag), and frames still pass', async (t) => {
  // The tags of the variants, from a plain load of the object (the tag hashes the instructions: each variant has its own).
  const pins = `${BPFFS_ROOT}/xdpb-worktest-${process.pid}`;
  let tags: Record<string, string>;
  try {
    tags = Object.fromEntries((await loadObject(BENCH_OBJECT, pins)).programs.map((p) => [p.name, p.tag]));
  } finally {
    rmSync(pins, { recursive: true, force: true });
  }
  t.not(tags['xdp_pass__parse_ip'], tags['xdp_pass'], 'the variants differ');
  const out = outDir('work-parse-ip');
  const r = await bench(['run', 'pass-all', '--modes', 'native,generic', '--work', 'parse-ip', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const results = readResults(out);
  t.is(results.parameters.work, 'parse-ip');
  for (const c of results.cases) {
    t.is(c.state, 'ok', `${c.mode}: ${'reason' in c ? c.reason : ''}`);
    t.is(c.progTag, tags['xdp_pass__parse_ip'], `${c.mode}: the parse-ip variant is attached`);
    t.false((c as OkCase).flags.includes('unexpected-action'), (c as OkCase).notes.join('; '));
  }
  t.deepEqual(await leftoversOf(results.runId), []);
});

/* Generators for real on veth: auto-selection, a size sweep, flows, a rate-capped
 * generator flagged generator-bound, and decoupled placement. */
import test from 'ava';
import { bench, leftoversOf, outDir, QUICK, readResults } from './helpers.ts';
import type { OkCase } from '../../ground/result-schema.ts';

test.serial('auto picks live here, says why; a two-size sweep gives one case per size with calibration', async (t) => {
  const out = outDir('sweep');
  const r = await bench(['run', 'drop-all', '--modes', 'native,generic', '--sizes', '64,512', '--flows', '8', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const results = readResults(out);
  t.is(results.parameters.generator, 'live');
  t.regex(results.parameters.generatorReason, /^auto: live is the fastest available/);
  t.regex(String(r.stderr), /generator: live \(auto/);
  t.deepEqual(results.parameters.pktSizesBytes, [64, 512]);
  t.deepEqual(results.calibration.map((c) => c.pktSizeBytes), [64, 512]);
  for (const c of results.calibration) t.true(c.offeredPps > 0);
  t.deepEqual(results.cases.map((c) => `${c.mode}/${c.pktSizeBytes}/${c.state}`), ['native/64/ok', 'native/512/ok', 'generic/64/ok', 'generic/512/ok']);
  for (const c of results.cases as OkCase[]) {
    t.false(c.flags.includes('sources-disagree'), c.notes.join('; '));
    t.true(c.stats.xdpPps.median > 0);
  }
  t.deepEqual(await leftoversOf(results.runId), []);
});

test.serial('decoupled by default: the DUT program runs on its own CPU, not the generator\'s', async (t) => {
  const out = outDir('decoupled');
  const r = await bench(['run', 'drop-all', '--modes', 'native', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const c = readResults(out).cases[0] as OkCase;
  t.deepEqual(c.placement, { generatorCpus: [0], dutNapiCpu: 1 });
  for (const trial of c.trials) {
    t.true(trial.perCpuPps[1]! > 0.95 * trial.xdpPps, `program frames on CPU 1: ${trial.perCpuPps.join(', ')}`);
  }
  t.false(c.flags.includes('coupled'));
});

test.serial('--no-decouple: generator and DUT share CPUs and the case says so', async (t) => {
  const out = outDir('coupled');
  const r = await bench(['run', 'drop-all', '--modes', 'native', '--no-decouple', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const c = readResults(out).cases[0] as OkCase;
  t.is(c.placement.dutNapiCpu, null);
  t.true(c.flags.includes('coupled'), c.notes.join('; '));
});

test.serial('a rate-limited generator is flagged generator-bound, and offers what was asked', async (t) => {
  const out = outDir('rate');
  // Coupled placement: the DUT runs synchronously on the sending CPU, so a slow wake-up of a
  // DUT kthread on a busy machine cannot drop frames and hide the flag being tested.
  const r = await bench(['run', 'drop-all', '--modes', 'native,generic', '--rate', '200000', '--no-decouple', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  for (const c of readResults(out).cases as OkCase[]) {
    t.is(c.targetRatePps, 200000);
    t.true(c.flags.includes('generator-bound'), `${c.mode}: ${c.notes.join('; ')}`);
    const offered = c.stats.offeredPps.median;
    t.true(Math.abs(offered - 200000) / 200000 < 0.05, `${c.mode}: offered ${offered} pps for a 200000 pps target`);
  }
});

test.serial('--rate 50% is half of the calibrated ceiling', async (t) => {
  const out = outDir('rate-pct');
  const r = await bench(['run', 'drop-all', '--modes', 'generic', '--rate', '50%', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const results = readResults(out);
  const c = results.cases[0] as OkCase;
  t.is(c.targetRatePps, 0.5 * results.calibration[0]!.offeredPps);
});

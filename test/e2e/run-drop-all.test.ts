/* The first thing every user types, for real: drop-all in all modes on veth. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bench, leftoversOf, outDir, QUICK, readResults, rootXdpAttachments } from './helpers.ts';
import type { OkCase, SkippedCase } from '../../ground/result-schema.ts';
import { SCHEMA_VERSION } from '../../ground/result-schema.ts';

test.serial('bench run drop-all --modes all: native and generic measured, offload skipped with the kernel reason', async (t) => {
  const out = outDir('drop-all');
  const r = await bench(['run', 'drop-all', '--modes', 'all', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const results = readResults(out);
  t.is(results.schemaVersion, SCHEMA_VERSION);
  t.is(results.state, 'complete');
  t.truthy(results.environment.kernel);
  t.true(results.environment.commandLine.includes('drop-all'));
  t.deepEqual(results.cases.map((c) => `${c.mode}:${c.state}`), ['native:ok', 'generic:ok', 'offload:skipped']);

  for (const mode of ['native', 'generic'] as const) {
    const c = results.cases.find((x) => x.mode === mode) as OkCase;
    t.is(c.trials.length, 2);
    for (const trial of c.trials) {
      t.true(trial.xdpPps > 0, `${mode}: program counters saw frames`);
      t.true(trial.actionPps.drop / trial.xdpPps > 0.99, `${mode}: every frame dropped`);
      t.true(trial.samples.length >= 3, `${mode}: samples kept in the JSON`);
      // Program, DUT link and (native) driver counters agree within tolerance.
      t.true(Math.abs(trial.dutRxPps - trial.xdpPps) / trial.xdpPps < 0.05, `${mode}: link RX ${trial.dutRxPps} vs program ${trial.xdpPps}`);
      if (mode === 'native') t.true(Math.abs(trial.driverXdpPps! - trial.xdpPps) / trial.xdpPps < 0.05, 'driver vs program');
      else t.is(trial.driverXdpPps, null);
    }
    t.false(c.flags.includes('sources-disagree'), c.notes.join('; '));
    t.false(c.flags.includes('unexpected-action'), c.notes.join('; '));
    t.true(c.stats.xdpPps.median > 0);
    t.true(Number.isFinite(c.stats.xdpPps.cv));
  }
  const offload = results.cases.find((c) => c.mode === 'offload') as SkippedCase;
  t.regex(offload.reason, /refused offload XDP/);
  t.is(offload.errno, 22, 'veth: the kernel answers EINVAL');

  const png = readFileSync(path.join(out, 'chart.png'));
  t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const md = readFileSync(path.join(out, 'report.md'), 'utf8');
  t.true(md.includes('chart.png') && md.includes('offload'));
  t.regex(String(r.stdout), /native/);
  t.deepEqual(await leftoversOf(results.runId), []);
  t.deepEqual(await rootXdpAttachments(), []);
});

test.serial('results.json is never half-written: no temp file remains', async (t) => {
  const out = outDir('atomic');
  const r = await bench(['run', 'aborted', '--modes', 'native', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const { readdirSync } = await import('node:fs');
  const files = readdirSync(out);
  t.deepEqual(files.filter((f) => f.startsWith('.') || f.endsWith('.tmp')), [], 'no temp file left');
  for (const f of ['results.json', 'report.md', 'report.html', 'chart.png']) t.true(files.includes(f), f);
});

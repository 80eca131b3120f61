/* Bring your own program, for real: the test firewall (test/programs/firewall.bpf.c),
 * preloaded from a scenario file, measured in native and generic mode. */
import test from 'ava';
import { writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { bench, leftoversOf, outDir, QUICK, readResults, scratchDir } from './helpers.ts';
import { NATIVE_BUILD_DIR, REPO_ROOT } from '../../ground/paths.ts';
import type { OkCase } from '../../ground/result-schema.ts';
import { sha256File } from '../../harness/plan/user-program.ts';

const FIREWALL = path.join(NATIVE_BUILD_DIR, 'test', 'firewall.bpf.o');
const UNBOUNDED = path.join(NATIVE_BUILD_DIR, 'test', 'unbounded.bpf.o');

function scenarioFile(text: string): string {
  const dir = scratchDir('scenario');
  const file = path.join(dir, 'fw.yaml');
  writeFileSync(file, text);
  return file;
}

test.serial('scenario file: preloaded firewall drops the blocked port in native and generic mode, as expected', async (t) => {
  const out = outDir('byo-drop');
  const r = await bench(['run', path.join(REPO_ROOT, 'scenarios/examples/udp-firewall.yaml'), ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const results = readResults(out);
  t.deepEqual(results.cases.map((c) => `${c.mode}:${c.state}`), ['native:ok', 'generic:ok']);
  for (const c of results.cases as OkCase[]) {
    t.deepEqual(c.program, { name: 'udp_port_firewall', file: 'firewall.bpf.o', sha256: sha256File(FIREWALL) });
    t.is(c.counterSource, c.mode === 'native' ? 'driver' : 'effects');
    t.false(c.flags.includes('unexpected-action'), c.notes.join('; '));
    for (const trial of c.trials) {
      t.true(trial.xdpPps > 0);
      t.true(trial.actionPps.drop / trial.xdpPps > 0.99, `${c.mode}: drop share ${trial.actionPps.drop / trial.xdpPps}`);
    }
  }
  t.deepEqual(await leftoversOf(results.runId), []);
});

test.serial('--program: traffic to an unblocked port passes; a wrong expectation is flagged with counts', async (t) => {
  const out = outDir('byo-pass');
  const r = await bench(['run', '--program', FIREWALL, '--expect', 'drop', '--dst-port', '80', '--modes', 'native,generic', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  for (const c of readResults(out).cases as OkCase[]) {
    t.is(c.scenario, 'firewall');
    for (const trial of c.trials) t.true(trial.actionPps.pass / trial.xdpPps > 0.99, `${c.mode}: pass share`);
    t.true(c.flags.includes('unexpected-action'), `${c.mode}: ${c.notes.join('; ')}`);
    t.regex(c.notes.join('\n'), /expected drop for every frame; the program returned: .*pass 100\.0 %/);
  }
});

test.serial('a scenario file with errors: each one named, exit 2, nothing created', async (t) => {
  const file = scenarioFile(`name: fw
program: ${FIREWALL}
expect: explode
traffic: { dstPort: 0 }
maps:
  - name: no_such_map
    entries: [{ key: 53, value: 1 }]
`);
  const out = outDir('byo-bad');
  const r = await bench(['run', file, '--out', out], 60_000);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /expect: "explode" is not one of/);
  t.regex(String(r.stderr), /traffic\.dstPort: expected a port from 1 to 65535/);
  t.false(existsSync(out));
});

test.serial('map preload problems are found before anything is attached', async (t) => {
  const file = scenarioFile(`name: fw
program: ${FIREWALL}
maps:
  - name: no_such_map
    entries: [{ key: 53, value: 1 }]
  - name: blocked_ports
    entries: [{ key: 70000, value: 1 }]
`);
  const r = await bench(['run', file, '--out', outDir('byo-maps')], 60_000);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /has no map named no_such_map \(maps: blocked_ports\)/);
  t.regex(String(r.stderr), /maps\[1\]\.entries\[0\]\.key: 70000 does not fit in 2 byte\(s\)/);
});

test.serial('an object that fails the verifier: the verifier\'s reason, exit 2, nothing attached', async (t) => {
  const out = outDir('byo-verifier');
  const r = await bench(['run', '--program', UNBOUNDED, '--out', out], 60_000);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /the kernel's verifier rejected unbounded\.bpf\.o/);
  t.regex(String(r.stderr), /invalid access to packet/);
  t.false(existsSync(out));
});

test.serial('a file that is not a BPF object is refused with what it is', async (t) => {
  const r1 = await bench(['run', '--program', path.join(REPO_ROOT, 'package.json')], 60_000);
  t.is(r1.exitCode, 2);
  t.regex(String(r1.stderr), /not an ELF file/);
  const r2 = await bench(['run', '--program', '/bin/true'], 60_000);
  t.is(r2.exitCode, 2);
  t.regex(String(r2.stderr), /not a BPF object/);
});

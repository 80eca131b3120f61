import test from 'ava';
import { readFileSync } from 'node:fs';
import { XDPB_LAT } from '../../drivers/latency-prober.ts';
import { parseProgramList, parseProgRunOutput, progRunArgv, ProgRunOutputError, type ProgRunReport } from '../../drivers/prog-run.ts';
import { summarizeProgRun } from '../../harness/analysis/prog-run-summary.ts';
import { KernelRefusalError } from '../../ground/errors.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

test('progRunArgv: frame as hex, defaults for repeat and runs, devmap as MAP=IFNAME', (t) => {
  const frame = Buffer.from('0011', 'hex');
  t.deepEqual(progRunArgv({ objectPath: 'o.bpf.o', programName: 'xdp_drop', frame }),
    [XDPB_LAT, 'prog-run', '--obj', 'o.bpf.o', '--prog-name', 'xdp_drop', '--frame-hex', '0011', '--repeat', '1000000', '--runs', '15']);
  t.deepEqual(progRunArgv({ objectPath: 'o', programName: 'p', frame, repeat: 10, runs: 2, cpu: 0, devmap: { map: 'xdpb_redirect_port', dev: 'lo' } }).slice(8),
    ['--repeat', '10', '--runs', '2', '--cpu', '0', '--devmap', 'xdpb_redirect_port=lo']);
});

test('real prog-run of xdp_reflect: five calls, XDP_TX, statistics and the implied ceiling', (t) => {
  const r = parseProgRunOutput(fixture('xdpb-lat-prog-run-xdp_reflect.json'));
  t.is(r.program, 'xdp_reflect');
  t.is(r.repeat, 100_000);
  t.is(r.frameBytes, 60);
  t.is(r.runs.length, 5);
  const s = summarizeProgRun(r);
  t.is(s.action, 'tx');
  t.is(s.retval, 3);
  t.is(s.nsPerPacket.n, 5);
  t.is(s.nsPerPacket.median, 30);
  t.is(s.mppsPerCore, 1e3 / 30);
  t.true(s.nsPerPacket.cv > 0 && s.nsPerPacket.cv < 0.05);
  t.is(s.resolutionRelative, 1 / 30);
});

test('summarizeProgRun: differing actions are "mixed"; no completed call is an error', (t) => {
  const base = parseProgRunOutput(fixture('xdpb-lat-prog-run-xdp_reflect.json'));
  const mixed: ProgRunReport = { ...base, runs: [base.runs[0]!, { ...base.runs[1]!, retval: 1, action: 'drop' }] };
  t.is(summarizeProgRun(mixed).action, 'mixed');
  t.is(summarizeProgRun(mixed).retval, null);
  t.throws(() => summarizeProgRun({ ...base, runs: [], errno: 4, error: 'Interrupted system call' }), { instanceOf: ProgRunOutputError, message: /xdp_reflect: no run completed \(Interrupted system call\)/ });
});

test('a program the object does not have: KernelRefusalError naming it', (t) => {
  const err = t.throws(() => parseProgRunOutput(fixture('xdpb-lat-prog-run-missing.json')), { instanceOf: KernelRefusalError });
  t.is(err!.message, 'find-program (xdp_nope): No such file or directory (errno 2)');
});

test('malformed prog-run answers: ProgRunOutputError', (t) => {
  t.throws(() => parseProgRunOutput('{"ok":true}'), { instanceOf: ProgRunOutputError, message: /without program/ });
  t.throws(() => parseProgRunOutput('{"ok":true,"program":"p","repeat":1,"runs":[{"nsPerPacket":"x"}]}'), { instanceOf: ProgRunOutputError, message: /run 0 is malformed/ });
  t.throws(() => parseProgRunOutput('killed'), { instanceOf: ProgRunOutputError, message: /not JSON/ });
});

test('list: the programs of bench.bpf.o', (t) => {
  t.deepEqual(parseProgramList(fixture('xdpb-lat-list-bench.json')).map((p) => p.name), ['xdp_drop', 'xdp_pass', 'xdp_aborted', 'xdp_tx', 'xdp_redirect']);
});

import test from 'ava';
import path from 'node:path';
import { encodeEntryValue, parseScenarioFile, ScenarioFileError } from '../../scenarios/scenario-file.ts';
import { checkBpfElf, pickXdpProgram } from '../../harness/plan/user-program.ts';
import { REPO_ROOT, BENCH_OBJECT } from '../../ground/paths.ts';

const FILE = '/tmp/scenarios/my.yaml';
const parse = (text: string) => parseScenarioFile(FILE, text);
const problems = (text: string): string[] => {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ScenarioFileError) return err.problems;
    throw err;
  }
  return [];
};

test('a complete scenario file: paths relative to the file, defaults filled', (t) => {
  const f = parse(`
name: fw
description: firewall
program: ../objs/fw.bpf.o
prog: udp_port_firewall
expect: { drop: 0.5, pass: 0.5 }
traffic: { sizes: [64, 512], flows: 4, dstPort: 53, rate: 50% }
maps:
  - name: blocked_ports
    entries: [{ key: 53, value: 1 }, { key: "hex:0050", value: [1] }]
modes: [native, generic]
trials: 4
duration: 1.5
warmup: 0.5
`);
  t.deepEqual(f.program, { kind: 'object', path: '/tmp/objs/fw.bpf.o' });
  t.is(f.prog, 'udp_port_firewall');
  t.deepEqual(f.expect, { kind: 'mix', fractions: { drop: 0.5, pass: 0.5 } });
  t.deepEqual(f.traffic, { srcPort: 1024, dstPort: 53, sizes: [64, 512], flows: 4, rate: '50%' });
  t.deepEqual(f.maps, [{ name: 'blocked_ports', entries: [{ key: 53, value: 1 }, { key: 'hex:0050', value: [1] }] }]);
  t.deepEqual(f.run, { modes: ['native', 'generic'], trials: 4, duration: 1.5, warmup: 0.5 });
});

test('a built-in program name is not a path', (t) => {
  t.deepEqual(parse('name: x\nprogram: xdp_drop\nexpect: drop\n').program, { kind: 'builtin', name: 'xdp_drop' });
});

const BAD: [string, string, RegExp][] = [
  ['missing name and program', 'expect: drop\n', /^name: required/],
  ['unknown field', 'name: x\nprogram: a.o\nspeed: 11\n', /^speed: unknown field/],
  ['bad expect', 'name: x\nprogram: a.o\nexpect: explode\n', /^expect: "explode" is not one of aborted, drop, pass, tx, redirect/],
  ['fractions not summing to 1', 'name: x\nprogram: a.o\nexpect: { drop: 0.5, pass: 0.2 }\n', /^expect: the fractions add up to 0.7/],
  ['bad port', 'name: x\nprogram: a.o\ntraffic: { dstPort: 70000 }\n', /^traffic\.dstPort: expected a port from 1 to 65535/],
  ['bad size', 'name: x\nprogram: a.o\ntraffic: { sizes: [32] }\n', /^traffic\.sizes: expected a list of sizes from 64 to 1518/],
  ['tcp', 'name: x\nprogram: a.o\ntraffic: { protocol: tcp }\n', /^traffic\.protocol: only "udp"/],
  ['map entry', 'name: x\nprogram: a.o\nmaps: [{ name: m, entries: [{ key: -1, value: 1 }] }]\n', /^maps\[0\]\.entries\[0\]\.key: expected a non-negative integer/],
  ['map without entries', 'name: x\nprogram: a.o\nmaps: [{ name: m }]\n', /^maps\[0\]: give entries or file/],
  ['missing entries file', 'name: x\nprogram: a.o\nmaps: [{ name: m, file: nope.json }]\n', /^maps\[0\]\.file: cannot read \/tmp\/scenarios\/nope\.json/],
  ['bad mode', 'name: x\nprogram: a.o\nmodes: [turbo]\n', /^modes: expected a list of native, generic, offload/],
  ['trials', 'name: x\nprogram: a.o\ntrials: 0\n', /^trials: expected an integer from 1 to 100/],
  ['prog and section', 'name: x\nprogram: a.o\nprog: a\nsection: xdp\n', /^prog, section: give one of them/],
];

for (const [what, text, message] of BAD) {
  test(`bad scenario file: ${what}`, (t) => {
    const p = problems(text);
    t.true(p.some((x) => message.test(x)), p.join('\n'));
  });
}

test('every problem of a file is reported at once', (t) => {
  const p = problems('name: "bad name!"\nprogram: a.o\ntrials: 0\nmodes: [x]\nexpect: nope\n');
  t.is(p.length, 4, p.join('\n'));
});

test('not YAML / not a mapping', (t) => {
  t.regex(problems('name: [unclosed\n')[0]!, /^not valid YAML/);
  t.regex(problems('- a\n- b\n')[0]!, /^expected a mapping/);
});

test('the example scenario file in the repo is valid', (t) => {
  const f = parseScenarioFile(path.join(REPO_ROOT, 'scenarios/examples/udp-firewall.yaml'));
  t.is(f.name, 'udp-firewall-block-53');
  t.deepEqual(f.expect, { kind: 'action', action: 'drop' });
});

test('encodeEntryValue: integers in host (little-endian) order, hex and byte lists as given, sizes enforced', (t) => {
  t.is(encodeEntryValue(53, 2, 'k'), '3500');
  t.is(encodeEntryValue(1, 1, 'v'), '01');
  t.is(encodeEntryValue(0x01020304, 4, 'k'), '04030201');
  t.is(encodeEntryValue('hex:0035', 2, 'k'), '0035');
  t.is(encodeEntryValue([1, 2], 2, 'k'), '0102');
  t.throws(() => encodeEntryValue(256, 1, 'maps[0].entries[0].value'), { message: 'maps[0].entries[0].value: 256 does not fit in 1 byte(s)' });
  t.throws(() => encodeEntryValue('hex:00', 2, 'k'), { message: 'k: 1 byte(s) given, the map wants 2' });
});

test('checkBpfElf: a BPF object passes; text, a host ELF and a missing file are named', (t) => {
  t.is(checkBpfElf(BENCH_OBJECT), null);
  t.regex(checkBpfElf(path.join(REPO_ROOT, 'README.md'))!, /not an ELF file/);
  t.regex(checkBpfElf('/bin/sh')!, /an ELF file for machine 62, not a BPF object/);
  t.regex(checkBpfElf('/nonexistent.o')!, /no such file/);
});

test('pickXdpProgram: by name, by section, the only one, or a clear problem', (t) => {
  const insp = {
    btf: true,
    maps: [],
    programs: [
      { name: 'a', section: 'xdp', type: 'xdp' },
      { name: 'b', section: 'xdp/b', type: 'xdp' },
      { name: 'k', section: 'kprobe/x', type: 'kprobe' },
    ],
  };
  t.deepEqual(pickXdpProgram(insp, 'f.o', { prog: 'b' }), { name: 'b' });
  t.deepEqual(pickXdpProgram(insp, 'f.o', { section: 'xdp/b' }), { name: 'b' });
  t.regex(pickXdpProgram(insp, 'f.o', {}).problem!, /several XDP programs: a \(section xdp\), b \(section xdp\/b\); choose one with --prog/);
  t.regex(pickXdpProgram(insp, 'f.o', { prog: 'k' }).problem!, /k in f.o is a kprobe program, not XDP/);
  t.regex(pickXdpProgram(insp, 'f.o', { prog: 'zz' }).problem!, /has no program named zz/);
  t.deepEqual(pickXdpProgram({ ...insp, programs: [insp.programs[0]!] }, 'f.o', {}), { name: 'a' });
  t.regex(pickXdpProgram({ ...insp, programs: [insp.programs[2]!] }, 'f.o', {}).problem!, /has no XDP program \(programs: k: kprobe\)/);
});

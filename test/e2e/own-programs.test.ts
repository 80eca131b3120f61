/* Objects of the kinds real foreign programs are (test/programs/, built by
 * native/Makefile): maps pinned by name, maps of size 0, sections libbpf
 * cannot type, a missing kfunc or helper, bad BTF, a truncated file, a
 * per-packet bpf_trace_printk, XDP_ABORTED and an invalid action. Each loads
 * and runs, counted right in native and generic mode, or fails with its own
 * heading; nothing stays in /sys/fs/bpf after any of them. */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bench, leftoversOf, outDir, QUICK, readResults, scratchDir } from './helpers.ts';
import { BPFFS_ROOT, NATIVE_BUILD_DIR } from '../../ground/paths.ts';
import type { OkCase, RunResults } from '../../ground/result-schema.ts';

const OBJ = (name: string) => path.join(NATIVE_BUILD_DIR, 'test', `${name}.bpf.o`);
/** Other developers' and CI's runs pin under /sys/fs/bpf/xdpb-<8 hex>: only anything else counts as left behind. */
const OTHER_RUNS = /^xdpb-[0-9a-f]{8}(-|$)/;
const bpffsRoot = () => new Set(existsSync(BPFFS_ROOT) ? readdirSync(BPFFS_ROOT) : []);

/** Runs bench, then checks that nothing new is at the bpffs root and the run left nothing. */
async function run(t: import('ava').ExecutionContext, args: string[]) {
  const before = bpffsRoot();
  const r = await bench(args, 120_000);
  const added = [...bpffsRoot()].filter((n) => !before.has(n) && !OTHER_RUNS.test(n));
  t.deepEqual(added, [], `left at the root of ${BPFFS_ROOT}`);
  return r;
}

async function okRun(t: import('ava').ExecutionContext, args: string[]): Promise<{ results: RunResults; cases: OkCase[]; stdout: string; stderr: string }> {
  const out = outDir('own');
  const r = await run(t, ['run', ...args, '--modes', 'native,generic', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const results = readResults(out);
  t.deepEqual(results.cases.map((c) => `${c.mode}:${c.state}`), ['native:ok', 'generic:ok'], String(r.stderr));
  t.deepEqual(await leftoversOf(results.runId), []);
  return { results, cases: results.cases as OkCase[], stdout: String(r.stdout), stderr: String(r.stderr) };
}

const share = (c: OkCase, f: (tr: OkCase['trials'][number]) => number) => c.trials.reduce((s, tr) => s + f(tr), 0) / c.trials.reduce((s, tr) => s + tr.xdpPps, 0);

test.serial('maps pinned by name (LIBBPF_PIN_BY_NAME) go under the run\'s bpffs dir and go with it', async (t) => {
  const { cases } = await okRun(t, ['--program', OBJ('pinned_maps'), '--expect', 'drop']);
  for (const c of cases) {
    t.deepEqual(c.program?.pinnedByName, ['xdpb_test_stats_map', 'xdpb_test_filter_ports']);
    t.true(share(c, (tr) => tr.actionPps.drop) > 0.99, `${c.mode}: ${c.notes.join('; ')}`);
  }
  for (const name of ['xdpb_test_stats_map', 'xdpb_test_filter_ports']) t.false(existsSync(path.join(BPFFS_ROOT, name)));
});

test.serial('maps declared with max_entries 0: sized from the scenario file or a stated default, recorded with the reason', async (t) => {
  const file = path.join(scratchDir('unsized'), 'unsized.yaml');
  writeFileSync(file, `name: unsized\nprogram: ${OBJ('unsized_maps')}\nexpect: drop\nmaps:\n  - { name: rx_cnt, maxEntries: 8 }\n`);
  const { cases } = await okRun(t, [file]);
  for (const c of cases) {
    const sizes = c.program?.mapSizes ?? [];
    t.deepEqual(sizes.map((s) => [s.map, s.maxEntries]), [['rx_cnt', 8], ['seen_flows', 1024]]);
    t.regex(sizes[0]!.reason, /scenario file/);
    t.regex(sizes[1]!.reason, /declared with max_entries 0: default for a hash map, 1024 entries/);
    t.false(c.flags.includes('unexpected-action'), c.notes.join('; '));
  }
});

for (const [object, section] of [['legacy_prog', 'prog'], ['legacy_xdp_prog', 'xdp_prog']] as const) {
  test.serial(`SEC("${section}"), which libbpf cannot type, is the only candidate: loaded as XDP and counted`, async (t) => {
    const { cases } = await okRun(t, ['--program', OBJ(object), '--expect', 'drop']);
    for (const c of cases) {
      t.deepEqual(c.program?.loadedAsXdp, { section, frags: false });
      t.true(share(c, (tr) => tr.actionPps.drop) > 0.99, `${c.mode}: ${c.notes.join('; ')}`);
    }
  });
}

for (const [section, frags] of [['xdp/guard', false], ['xdp.frags/guard', true]] as const) {
  test.serial(`--section ${section} picks an untyped program: loaded as XDP${frags ? ' with frags' : ''}`, async (t) => {
    const { cases } = await okRun(t, ['--program', OBJ('legacy_guard'), '--section', section, '--expect', 'pass']);
    for (const c of cases) {
      t.deepEqual(c.program?.loadedAsXdp, { section, frags });
      t.true(share(c, (tr) => tr.actionPps.pass) > 0.99, `${c.mode}: ${c.notes.join('; ')}`);
    }
  });
}

test.serial('a section that only starts like xdp.frags (xdp.fragsX) loads as XDP without frags', async (t) => {
  const { cases } = await okRun(t, ['--program', OBJ('frags_lookalike'), '--expect', 'pass']);
  for (const c of cases) t.deepEqual(c.program?.loadedAsXdp, { section: 'xdp.fragsX', frags: false });
});

test.serial('two untyped programs and no --prog/--section: both named, exit 2', async (t) => {
  const r = await run(t, ['run', '--program', OBJ('legacy_guard'), '--out', outDir('own-two')]);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /several XDP programs: guard_pass \(section xdp\/guard, untyped: loaded as XDP\), guard_frags_pass/);
});

/** firewall.bpf.o with its .BTF type section length set past the section (what a corrupt copy looks like). */
function badBtfObject(): string {
  const b = Buffer.from(readFileSync(OBJ('firewall')));
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shnum = b.readUInt16LE(0x3c);
  const strtab = Number(b.readBigUInt64LE(shoff + b.readUInt16LE(0x3e) * 64 + 0x18));
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * 64;
    const nameAt = strtab + b.readUInt32LE(o);
    if (b.toString('latin1', nameAt, b.indexOf(0, nameAt)) === '.BTF') b.writeUInt32LE(0xffffff, Number(b.readBigUInt64LE(o + 0x18)) + 12);
  }
  const file = path.join(scratchDir('btf'), 'bad-btf.o');
  writeFileSync(file, b);
  return file;
}

function truncatedObject(): string {
  const file = path.join(scratchDir('cut'), 'cut.o');
  writeFileSync(file, readFileSync(OBJ('firewall')).subarray(0, 3000));
  return file;
}

const FAILURES: [string, () => string, RegExp][] = [
  ['a missing kfunc', () => OBJ('missing_kfunc'), /missing_kfunc\.bpf\.o calls the kfunc xdpb_no_such_kfunc, which this kernel does not have:\n\s+extern \(func ksym\) 'xdpb_no_such_kfunc'/],
  ['a missing helper', () => OBJ('missing_helper'), /missing_helper\.bpf\.o calls helper #9999, which this kernel does not have:[\s\S]*invalid func unknown#9999/],
  ['the verifier', () => OBJ('unbounded'), /the kernel's verifier rejected unbounded\.bpf\.o \(Permission denied, errno 13\):[\s\S]*invalid access to packet/],
  ['bad BTF', badBtfObject, /bad-btf\.o has BTF the kernel or libbpf cannot use:[\s\S]*BTF is required, but is missing or corrupted/],
  ['a truncated file', truncatedObject, /cut\.o: not a valid BPF object: the section table ends at byte \d+ but the file has 3000 bytes: truncated/],
];
for (const [what, object, heading] of FAILURES) {
  test.serial(`an object that fails on ${what}: its own heading and the lines that show it, exit 2, nothing left`, async (t) => {
    const out = outDir('own-fail');
    const r = await run(t, ['run', '--program', object(), '--out', out]);
    t.is(r.exitCode, 2);
    t.regex(String(r.stderr), heading);
    t.notRegex(String(r.stderr), /Unknown error|Retrying without BTF|skipping/);
    t.false(existsSync(out));
  });
}

test.serial('bpf_trace_printk on every packet: warned about and recorded in the environment block', async (t) => {
  const { results, stdout, stderr } = await okRun(t, ['--program', OBJ('trace_printk'), '--expect', 'drop']);
  t.deepEqual(results.environment.slowHelpers?.map((h) => [h.program, h.helper, h.where]), [['drop_with_printk', 'bpf_trace_printk', 'the program']]);
  t.regex(stderr, /warning: drop_with_printk \(trace_printk\.bpf\.o\) calls bpf_trace_printk/);
  t.regex(stdout, /WARNING: drop_with_printk \(trace_printk\.bpf\.o\) calls bpf_trace_printk/);
  t.is(typeof results.environment.bpfStatsEnabled, 'boolean');
});

for (const [prog, slot] of [['returns_aborted', 'abortedPps'], ['returns_invalid_action', 'invalidActionPps']] as const) {
  test.serial(`${prog}: counted apart from drop through xdp:xdp_exception in native and generic mode`, async (t) => {
    const { cases, stdout } = await okRun(t, ['--program', OBJ('exceptions'), '--prog', prog, '--expect', 'aborted']);
    for (const c of cases) {
      t.true(share(c, (tr) => tr.exceptions![slot]) > 0.99, `${c.mode}: ${JSON.stringify(c.trials.map((tr) => tr.exceptions))}`);
      t.true(share(c, (tr) => tr.actionPps.drop) < 0.01, `${c.mode}: drop share`);
      if (slot === 'abortedPps') t.true(share(c, (tr) => tr.actionPps.aborted) > 0.99);
      else t.true(c.flags.includes('unexpected-action'));
      for (const tr of c.trials) t.true(Object.values(tr.actionPps).every((pps) => pps >= 0), 'never a negative rate');
      t.true(c.trials.every((tr) => tr.exceptions!.perCpuPps.reduce((a, b) => a + b, 0) > 0), 'per-CPU split');
    }
    t.regex(stdout, new RegExp(`exceptions\\s+native\\s.*${slot === 'abortedPps' ? 'aborted' : 'invalid'} 100 %`));
  });
}

test.serial('the exception tracepoints never fire for XDP_DROP at full rate: every exception rate is 0 in native mode', async (t) => {
  const out = outDir('own-drop');
  const r = await run(t, ['run', 'drop-all', '--modes', 'native', ...QUICK, '--out', out]);
  t.is(r.exitCode, 0, String(r.stderr));
  const c = readResults(out).cases[0] as OkCase;
  for (const tr of c.trials) {
    t.true(tr.xdpPps > 100_000, `xdp ${tr.xdpPps}`);
    t.deepEqual(tr.exceptions && [tr.exceptions.abortedPps, tr.exceptions.invalidActionPps, tr.exceptions.txErrorPps, tr.exceptions.redirectErrorPps], [0, 0, 0, 0]);
  }
  t.false(c.flags.includes('sources-disagree'), c.notes.join('; '));
});

/* `bench run ... --dry-run` prints the plan and creates nothing: no netns, no
 * pins, no lock holder, no output directory (real runs of ./bench as root). */
import test from 'ava';
import { existsSync } from 'node:fs';
import { bench, leftoversOf, outDir } from './helpers.ts';

test.serial('bench run drop-all --modes all --dry-run: every case, generator and placement with why; nothing created', async (t) => {
  const out = outDir('dry-run');
  const r = await bench(['run', 'drop-all', '--modes', 'all', '--dry-run', '--out', out], 60_000);
  t.is(r.exitCode, 0, String(r.stderr));
  const text = String(r.stdout);
  const runId = /^plan of run ([0-9a-f]{8}) \(dry run: nothing is created\)$/m.exec(text)?.[1];
  t.truthy(runId, text);
  for (const [i, mode] of ['native', 'generic', 'offload'].entries()) t.regex(text, new RegExp(`^ {2}${i + 1} {2}drop-all {2}${mode} +64 B {2}3$`, 'm'));
  t.regex(text, /^generator: \w+ \(.+\)$/m);
  t.regex(text, /^placement: (de)?coupled: /m);
  t.regex(text, new RegExp(`^ {4}ip netns add xdpb-${runId}-gen$`, 'm'), 'the commands it would run');
  t.regex(text, /^expected: at most about \d+ s/m);
  t.regex(text, /^checks: ready to run/m);
  t.deepEqual(await leftoversOf(runId!), [], 'no namespace, pins, scratch dir or process of the planned run');
  t.false(existsSync(out), 'no output directory');
});

test.serial('--dry-run with --prog-run and with --topology vm prints their plans; --wait is refused with it', async (t) => {
  const progRun = await bench(['run', 'drop-all', 'pass-all', '--prog-run', '--dry-run'], 60_000);
  t.is(progRun.exitCode, 0, String(progRun.stderr));
  t.regex(String(progRun.stdout), /^prog-run: 2 programs through BPF_PROG_TEST_RUN on a 64 B frame \(drop-all, pass-all\); no rig, no traffic$/m);
  const vm = await bench(['run', 'drop-all', '--modes', 'native', '--topology', 'vm', '--dry-run'], 60_000);
  t.is(vm.exitCode, 0, String(vm.stderr));
  t.regex(String(vm.stdout), /^rig: vm: a qemu guest/m);
  t.regex(String(vm.stdout), /^generator: chosen in the guest/m);
  const wait = await bench(['run', 'drop-all', '--dry-run', '--wait=5'], 30_000);
  t.is(wait.exitCode, 2);
  t.regex(String(wait.stderr), /--wait goes with a run; --dry-run takes no lock/);
});

/* Bad input: one clear error naming the flag, exit code 2, nothing created. */
import test from 'ava';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bench, outDir, scratchDir } from './helpers.ts';

const cases: [string, string[], RegExp][] = [
  ['unknown scenario', ['run', 'drop-everything'], /unknown scenario "drop-everything": expected one of drop-all, pass-all/],
  ['bad mode', ['run', 'drop-all', '--modes', 'native,turbo'], /--modes: unknown mode "turbo"/],
  ['negative duration', ['run', 'drop-all', '--duration', '-1'], /--duration "-1": expected a number from 0.2 to 3600/],
  ['absurd duration', ['run', 'drop-all', '--duration', '99999999'], /--duration "99999999"/],
  ['zero trials', ['run', 'drop-all', '--trials', '0'], /--trials "0": expected an integer from 1 to 100/],
  ['bad generator', ['run', 'drop-all', '--generator', 'warp'], /--generator.*warp/],
  ['unknown option', ['run', 'drop-all', '--turbo'], /unknown option '--turbo'/],
  ['missing scenario', ['run'], /missing scenario: give one or more of drop-all/],
];

for (const [name, args, message] of cases) {
  test(`bad input: ${name}`, async (t) => {
    const out = outDir('bad');
    const r = await bench([...args, '--out', out], 30_000);
    t.is(r.exitCode, 2, `${String(r.stdout)}\n${String(r.stderr)}`);
    t.regex(String(r.stderr), message);
    t.false(existsSync(out), 'nothing created');
  });
}

test('bad input: --out under /proc (a system directory, not writable)', async (t) => {
  const r = await bench(['run', 'drop-all', '--out', '/proc/xdpb-bench-test/out'], 30_000);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /--out \/proc\/xdpb-bench-test\/out: is inside the system directory \/proc/);
});

test('several bad flags are reported at once', async (t) => {
  const r = await bench(['run', 'drop-all', '--trials', '0', '--sizes', '20', '--modes', 'x'], 30_000);
  t.is(r.exitCode, 2);
  for (const flag of ['--trials', '--sizes', '--modes']) t.true(String(r.stderr).includes(flag), flag);
});

test('bench list names scenarios, modes and generators with availability', async (t) => {
  const r = await bench(['list'], 30_000);
  t.is(r.exitCode, 0);
  for (const word of ['drop-all', 'tx-reflect', 'native', 'generic', 'offload', 'live', 'trafgen', 'pktgen']) t.true(String(r.stdout).includes(word), word);
});

test('bench doctor passes here and names packages for what is missing', async (t) => {
  const r = await bench(['doctor'], 30_000);
  t.is(r.exitCode, 0, String(r.stdout));
  t.regex(String(r.stdout), /ok\s+root/);
  t.regex(String(r.stdout), /native build/);
});

test('--help on run lists every flag and the exit codes', async (t) => {
  const r = await bench(['run', '--help'], 30_000);
  t.is(r.exitCode, 0);
  for (const flag of ['--modes', '--trials', '--duration', '--warmup', '--generator', '--out', '--json']) t.true(String(r.stdout).includes(flag), flag);
  const top = await bench(['--help'], 30_000);
  t.regex(String(top.stdout), /130\s+interrupted/);
  t.regex(String(top.stdout), /129\s+the terminal hung up \(SIGHUP/);
});

test('bench run --config LAB.yaml --dry-run prints the expanded plan; a bad config names every problem; lab-only flags need --config', async (t) => {
  const plan = await bench(['run', '--config', 'scenarios/lab/example-lab.yaml', '--dry-run'], 60_000);
  // The example lab's hosts do not exist: the plan is printed, the safety verdict (read on the hosts) cannot be.
  t.is(plan.exitCode, 1, String(plan.stderr));
  t.regex(String(plan.stderr), /dry run: no safety verdict without every host: ssh to loadgen/);
  t.regex(String(plan.stdout), /dry run: nothing is touched/);
  t.regex(String(plan.stdout), /3 scenarios x 2 modes x 3 sizes = 18 cases/);
  const dir = scratchDir('lab');
  const bad = path.join(dir, 'bad-lab.yaml');
  writeFileSync(bad, 'name: x\nhosts: 5\n');
  const r = await bench(['run', '--config', bad, '--dry-run'], 30_000);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /hosts: expected a mapping/);
  t.regex(String(r.stderr), /roles: missing/);
  // --baseline and --force-interface belong to a lab run (the example lab's hosts are not contacted here).
  const misuse = await bench(['run', 'drop-all', '--baseline', dir, '--force-interface', 'eth0'], 30_000);
  t.is(misuse.exitCode, 2);
  t.regex(String(misuse.stderr), /--baseline and --force-interface go with --config/);
});

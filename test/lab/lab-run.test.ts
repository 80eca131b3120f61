/* A whole lab over real SSH: a controller namespace runs `bench`; two "lab
 * host" namespaces each run a throwaway sshd with a default route over their
 * management link; a veth pair between the hosts plays the cable between
 * the generator's and the DUT's NICs (which the harness must not create or
 * reconfigure: the fixture sets them up, GRO on the DUT port as a lab would
 * configure its NICs for generic XDP on veth). Every address is inside
 * namespaces this file creates (198.18.220-223.0/24). */
import test from 'ava';
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runOn } from '../../drivers/ssh.ts';
import { DUT_LOCK_DIR } from '../../harness/lab/dut-lock.ts';
import { REPO_ROOT } from '../../ground/paths.ts';
import type { RunResults } from '../../ground/result-schema.ts';
import { BENCH } from '../e2e/helpers.ts';
import { startLockHolder } from './lock-holder-process.ts';
import { labHostYaml, sshdAvailable, startSshd, TEST_NETNS_PREFIX, type SshdFixture } from './sshd-fixture.ts';

const unavailable = await sshdAvailable();
const id = randomBytes(3).toString('hex');
const ctlNetns = `${TEST_NETNS_PREFIX}${id}-lab`;
const GEN_IF = `xlg${id}`;
const DUT_IF = `xld${id}`;
let gen: SshdFixture | undefined;
let dut: SshdFixture | undefined;
let prepared: Awaited<ReturnType<typeof benchInCtl>> | undefined;
const dir = mkdtempSync(path.join(tmpdir(), `${TEST_NETNS_PREFIX}lab-`));

/** The DUT lock's file (the "hosts" share this machine's /run). */
const lockFile = (ifname = DUT_IF) => `/run/xdp-bench/locks/dut1__${ifname}.lock`;

async function sh(argv: string[]): Promise<string> {
  return String((await execa(argv[0]!, argv.slice(1), { timeout: 15_000 })).stdout);
}

test.before(async () => {
  if (unavailable) return;
  await sh(['ip', 'netns', 'add', ctlNetns]);
  gen = await startSshd({ subnet: 220, controllerNetns: ctlNetns, defaultRoute: true, clientAliveS: 1 });
  dut = await startSshd({ subnet: 221, controllerNetns: ctlNetns, defaultRoute: true, clientAliveS: 1 });
  // The cable between the lab's NICs.
  await sh(['ip', 'link', 'add', GEN_IF, 'netns', gen.hostNetns, 'type', 'veth', 'peer', 'name', DUT_IF, 'netns', dut.hostNetns]);
  for (const [ns, dev, ip] of [[gen.hostNetns, GEN_IF, '198.18.222.1/24'], [dut.hostNetns, DUT_IF, '198.18.222.2/24']] as const) {
    await sh(['ip', '-n', ns, 'addr', 'add', ip, 'dev', dev]);
    await sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  }
  await sh(['ip', 'netns', 'exec', dut.hostNetns, 'ethtool', '-K', DUT_IF, 'gro', 'on']);
  // Every test needs the helper and objects on the hosts: prepared once, checked by the first test.
  prepared = await benchInCtl(['lab', 'prepare', '--config', writeConfig('lab.yaml', labYaml({}))], 120_000);
});

test.after.always(async () => {
  await gen?.stop();
  await dut?.stop();
  await execa('ip', ['netns', 'del', ctlNetns], { reject: false });
  rmSync(dir, { recursive: true, force: true });
  rmSync(lockFile(), { force: true });
});

const benchDirOf = (host: string) => path.join(dir, `${host} bench's`);

function hostYaml(name: string, f: SshdFixture): string {
  // A space and a quote in benchDir (issue 13: prepare passed, then every run said the files were missing).
  return labHostYaml(f, name, benchDirOf(name));
}

function labYaml(o: { dutIf?: string; durationS?: number; trials?: number; modes?: string; output?: string }): string {
  return [
    'version: 1',
    'name: ci-lab',
    'hosts:',
    hostYaml('loadgen', gen!),
    hostYaml('dut1', dut!),
    'roles:',
    '  generator:',
    '    host: loadgen',
    `    interfaces: { port0: { name: ${GEN_IF}, ip: 198.18.222.1/24 } }`,
    '  dut:',
    '    host: dut1',
    `    interfaces: { port0: { name: ${o.dutIf ?? DUT_IF}, ip: 198.18.222.2/24 } }`,
    'scenarios: [drop-all]',
    `modes: [${o.modes ?? 'native, generic, offload'}]`,
    `trials: ${o.trials ?? 2}`,
    `durationS: ${o.durationS ?? 0.5}`,
    'warmupS: 0.3',
    'intervalMs: 100',
    'generator: auto',
    `output: ${o.output ?? path.join(dir, 'results')}`,
    '',
  ].join('\n');
}

function writeConfig(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** `bench` as the controller: inside the controller namespace, where the lab hosts' management links end. */
function benchInCtl(args: string[], timeoutMs = 240_000) {
  return execa('ip', ['netns', 'exec', ctlNetns, BENCH, ...args], { reject: false, timeout: timeoutMs, cwd: REPO_ROOT, all: true });
}

/** What is left of a run on a lab host: XDP on its interface, pins, our processes. */
async function leftoversOn(f: SshdFixture, ifname: string): Promise<string[]> {
  const left: string[] = [];
  const link = JSON.parse(await sh(['ip', '-n', f.hostNetns, '-j', 'link', 'show', 'dev', ifname])) as { xdp?: unknown }[];
  if (link[0]?.xdp) left.push(`XDP still attached to ${ifname}: ${JSON.stringify(link[0].xdp)}`);
  // The host's own bpffs (its sshd's mount namespace), seen through its own SSH.
  const pins = await runOn(f.target, ['sh', '-c', 'ls /sys/fs/bpf 2>/dev/null | grep "^xdpb-" || true']);
  if (pins.stdout.trim()) left.push(`pins: ${pins.stdout.trim()}`);
  const pids = (await sh(['ip', 'netns', 'pids', f.hostNetns])).split('\n').filter(Boolean);
  for (const pid of pids) {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    if (/\/xdpb(\s|$)|xdpb-(guard|lock|watchdog)/.test(cmdline)) left.push(`process ${pid}: ${cmdline}`);
  }
  return left;
}

test.serial('bench lab prepare puts the helper and objects on both hosts; bench run --config runs drop-all native and generic over SSH (offload refused by the kernel); nothing is left on either host', async (t) => {
  if (unavailable) return t.fail(`needs ${unavailable}`);
  t.timeout(300_000);
  const cfg = path.join(dir, 'lab.yaml');
  const prep = prepared!;
  t.is(prep.exitCode, 0, prep.all);
  t.regex(prep.all, /loadgen: .* in place \(sha256 checked\), helper runs/);
  t.regex(prep.all, /dut1: .* in place \(sha256 checked\), helper runs/);
  t.true(existsSync(path.join(benchDirOf('dut1'), 'xdpb')));

  const out = path.join(dir, 'run1');
  const r = await benchInCtl(['run', '--config', cfg, '--out', out]);
  t.log(r.all.split('\n').filter((l) => /Mpps|kpps|topology|lab |results/.test(l)).join('\n'));
  t.is(r.exitCode, 0, r.all);
  const res = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResults;
  t.is(res.parameters.topology, 'physical');
  t.is(res.state, 'complete');
  t.deepEqual(res.cases.map((c) => `${c.mode}:${c.state}`), ['native:ok', 'generic:ok', 'offload:skipped']);
  // Offload loads the object on the DUT host (its own copy) bound to the device; veth refuses that with EINVAL.
  const offload = res.cases[2]!;
  if (offload.state === 'skipped') t.is(offload.errno, 22, offload.reason);
  for (const c of res.cases) {
    if (c.state !== 'ok') continue;
    t.true(c.stats.xdpPps.median > 1000, `${c.mode}: frames reached the DUT program over the "cable" (${c.stats.xdpPps.median} pps)`);
    t.true(c.stats.genTxPps.median > 0, 'the generator host sent');
    t.is(c.counterSource, 'program');
  }
  const lab = res.lab!;
  t.deepEqual(lab.hosts.map((h) => `${h.name}:${h.kind}:${h.roles.join('+')}`).sort(), ['dut1:ssh:dut', 'loadgen:ssh:generator']);
  t.deepEqual(lab.interfaces.map((i) => `${i.role}:${i.ifname}:${i.driver}`), [`generator:${GEN_IF}:veth`, `dut:${DUT_IF}:veth`]);
  t.is(lab.clockAlignment.length, 2, 'the generator host\'s samples were lined up on the DUT host\'s clock');
  t.true(lab.clockAlignment.every((a) => Number.isFinite(a.offsetMs) && a.uncertaintyMs >= 0));
  t.true(lab.lock.startsWith('dut1:'), lab.lock);
  t.is(res.environment.driver, 'veth');
  t.true(existsSync(path.join(out, 'report.html')));

  t.deepEqual(await leftoversOn(dut!, DUT_IF), []);
  t.deepEqual(await leftoversOn(gen!, GEN_IF), [], 'the sink on the generator port is gone too');
  const masters = await execa('pgrep', ['-f', `ControlPath=/run/xdp-bench/ssh`], { reject: false });
  t.is(String(masters.stdout).trim(), '', 'no SSH master connection lingers');

  // Nightly gate: the same lab against this run as the baseline, with a threshold it cannot cross by chance.
  const gated = writeConfig('lab-gated.yaml', `${labYaml({ modes: 'native' })}thresholds: { failOn: ["drop-all/native/xdpPps<-99%"] }\n`);
  const again = await benchInCtl(['run', '--config', gated, '--baseline', out, '--out', path.join(dir, 'run2')]);
  t.is(again.exitCode, 0, again.all);
  t.regex(again.all, /comparing with the baseline/);
  t.true(existsSync(path.join(dir, 'run2', 'compare.json')));
  const missing = await benchInCtl(['run', '--config', gated, '--baseline', path.join(dir, 'no-such-run'), '--out', path.join(dir, 'run3')]);
  t.is(missing.exitCode, 5, `a baseline that is not there: not comparable\n${missing.all}`);
});

test.serial('the safety check refuses the DUT host\'s management interface (default route, SSH session): exit 2, nothing taken', async (t) => {
  if (unavailable) return t.fail(`needs ${unavailable}`);
  t.timeout(120_000);
  const cfg = writeConfig('lab-mgmt.yaml', labYaml({ dutIf: dut!.hostDev }));
  const out = path.join(dir, 'refused');
  const r = await benchInCtl(['run', '--config', cfg, '--out', out], 120_000);
  t.is(r.exitCode, 2, r.all);
  t.false(existsSync(out), 'a refusal creates nothing: no out dir, no results file');
  t.regex(r.all, new RegExp(`refusing to attach an XDP program to ${dut!.hostDev} on dut1: it carries the IPv4 default route`));
  t.regex(r.all, /SSH session/);
  t.regex(r.all, new RegExp(`--force-interface ${dut!.hostDev}`));
  t.deepEqual(await leftoversOn(dut!, dut!.hostDev), []);
  t.false(existsSync(lockFile(dut!.hostDev)), 'the refusal came before the DUT lock');
  // The prepared lab's own interfaces: the dry run's verdict is ok on both, the hosts ready, exit 0.
  const dry = await benchInCtl(['run', '--config', path.join(dir, 'lab.yaml'), '--dry-run'], 120_000);
  t.is(dry.exitCode, 0, dry.all);
  t.regex(dry.stdout, new RegExp(`generator port0 ${GEN_IF} on loadgen: ok`));
  t.regex(dry.stdout, new RegExp(`dut port0 ${DUT_IF} on dut1: ok`));
  t.regex(dry.stdout, /hosts ready: this build's helper and objects in place/);
});

test.serial('a dropped SSH connection mid-run: the case fails with the cause, the DUT host cleans up by itself (guard), the run ends', async (t) => {
  if (unavailable) return t.fail(`needs ${unavailable}`);
  t.timeout(240_000);
  const cfg = writeConfig('lab-drop.yaml', labYaml({ modes: 'native', trials: 3, durationS: 3 }));
  const child = execa('ip', ['netns', 'exec', ctlNetns, BENCH, 'run', '--config', cfg, '--out', path.join(dir, 'dropped')], { reject: false, timeout: 200_000, cwd: REPO_ROOT, all: true });
  let seen = '';
  child.all!.on('data', (b: Buffer) => (seen += b.toString()));
  // Bounded wait for the first measured trial to start.
  for (let i = 0; i < 600 && !/trial 1\/3/.test(seen) && child.exitCode === null; i++) await sleep(100);
  t.regex(seen, /trial 1\/3/, seen);
  // Cut the DUT host's management link, from the controller's side.
  await sh(['ip', '-n', ctlNetns, 'link', 'set', dut!.controllerDev, 'down']);
  // sshd (ClientAliveInterval 1, CountMax 2) drops the session; the guard then detaches and unpins. Bounded: 30 s.
  let attached = true;
  for (let i = 0; i < 60 && attached; i++) {
    await sleep(500);
    const link = JSON.parse(await sh(['ip', '-n', dut!.hostNetns, '-j', 'link', 'show', 'dev', DUT_IF])) as { xdp?: unknown }[];
    attached = Boolean(link[0]?.xdp);
  }
  if (attached) {
    const ps = await execa('ps', ['-eo', 'pid,ppid,stat,args'], { reject: false });
    const pids = new Set((await sh(['ip', 'netns', 'pids', dut!.hostNetns])).split('\n'));
    t.log(String(ps.stdout).split('\n').filter((l) => pids.has(l.trim().split(/\s+/)[0]!)).join('\n'));
  }
  t.false(attached, 'the DUT host detached the program by itself after the connection was lost');
  await sh(['ip', '-n', ctlNetns, 'link', 'set', dut!.controllerDev, 'up']);
  const r = await child;
  t.log(r.all.split('\n').slice(-12).join('\n'));
  t.is(r.exitCode, 1, 'a failed case');
  const res = JSON.parse(readFileSync(path.join(dir, 'dropped', 'results.json'), 'utf8')) as RunResults;
  const c = res.cases[0]!;
  t.is(c.state, 'failed');
  if (c.state === 'failed') t.regex(c.reason, /SSH connection to dut1 was lost/);
  t.deepEqual(await leftoversOn(dut!, DUT_IF), []);
  t.deepEqual(await leftoversOn(gen!, GEN_IF), []);
});

test.serial('a DUT held by another run: exit 3 naming the holder, and the --out stays free (a refusal creates nothing)', async (t) => {
  if (unavailable) return t.fail(`needs ${unavailable}`);
  t.timeout(180_000);
  const children: ResultPromise[] = [];
  // The "hosts" share this machine's /run: another run's holder of dut1's lock on the DUT port.
  const holder = await startLockHolder(DUT_LOCK_DIR, 'dut1', DUT_IF, 'cccc0003', children);
  const out = path.join(dir, 'dut-busy');
  try {
    const r = await benchInCtl(['run', '--config', path.join(dir, 'lab.yaml'), '--out', out], 120_000);
    t.is(r.exitCode, 3, r.all);
    t.regex(r.all, /cccc0003/, 'the holder is named');
    t.false(existsSync(out), 'the refused run left no out dir: the same --out works once the DUT is free');
    t.deepEqual(await leftoversOn(dut!, DUT_IF), []);
  } finally {
    holder.child.stdin?.end();
    await holder.child;
    rmSync(lockFile(), { force: true });
  }
});

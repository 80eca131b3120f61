/* Real SSH: a throwaway sshd in a network namespace (the "lab host"),
 * reached from a second namespace (the "controller") over a veth pair in
 * 198.18.0.0/15. Commands, exit codes, output, hostile argv, multiplexing,
 * host key checking, remote cleanup when stopped, when the client dies and
 * when the link drops; the physical probe and the safety check over SSH. */
import test from 'ava';
import { execa } from 'execa';
import { randomInt } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { probePhysicalInterface } from '../../drivers/physical-topology.ts';
import { closeMaster, remoteExec, runOn, spawnOn, sshBaseArgv, SshConnectionError, type SshTarget } from '../../drivers/ssh.ts';
import { acquireRemoteDutLock, DutLockedError } from '../../harness/lab/dut-lock.ts';
import { CommandError } from '../../ground/errors.ts';
import { assertSafeToAttach, findProtectedInterfaces, ProtectedInterfaceError } from '../../harness/lab/interface-safety.ts';
import { HOSTILE } from './hostile-strings.ts';
import { sshdAvailable, startSshd, type SshdFixture } from './sshd-fixture.ts';

const unavailable = await sshdAvailable();
let f: SshdFixture | undefined;

test.before(async () => {
  if (!unavailable) f = await startSshd({ subnet: 210 });
});

test.after.always(async () => {
  await f?.stop();
});

const serial = unavailable ? test.serial.skip : test.serial;
if (unavailable) {
  // In CI these tests are meant to run for real (setup.sh installs openssh-server): a skip there is a failure.
  test('ssh tests need root and openssh-server', (t) => {
    if (process.env.CI) t.fail(unavailable);
    else t.log(`skipped: ${unavailable}`);
    t.pass();
  });
}

/** A process on the lab host whose command line is exactly `sleep <unique seconds>`. */
function uniqueSleep(): string[] {
  return ['sleep', `${300 + randomInt(0, 600)}.${randomInt(100, 999)}`];
}

async function running(argv: string[]): Promise<boolean> {
  const r = await execa('pgrep', ['-fx', argv.join(' ')], { reject: false, timeout: 5000 });
  return r.exitCode === 0;
}

/** Polls (bounded: tries x 200 ms) until `want` holds. */
async function until(what: () => Promise<boolean>, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await what()) return true;
    await sleep(200);
  }
  return what();
}

serial('runs argv on the lab host: stdout, stderr, exit code 0; the session comes from the controller', async (t) => {
  const r = await runOn(f!.target, ['sh', '-c', 'echo out; echo err >&2; echo "$SSH_CONNECTION"']);
  t.is(r.exitCode, 0);
  t.is(r.stderr, 'err');
  const [out, conn] = r.stdout.split('\n');
  t.is(out, 'out');
  t.regex(conn!, new RegExp(`^${f!.controllerIp.replace(/\./g, '\\.')} \\d+ ${f!.hostIp.replace(/\./g, '\\.')} ${f!.port}$`));
  const ns = await runOn(f!.target, ['ip', '-j', 'link', 'show', 'dev', f!.hostDev]);
  t.true(ns.stdout.includes(f!.hostDev), 'the command ran in the lab host namespace');
});

serial('a failing command: CommandError with its exit status and stderr; or accepted with okExitCodes', async (t) => {
  const err = await t.throwsAsync(runOn(f!.target, ['sh', '-c', 'echo boom >&2; exit 3']), { instanceOf: CommandError });
  t.is(err!.exitStatus, 3);
  t.is(err!.stderrTail, 'boom');
  t.regex(err!.message, /^sshd-\w+: sh -c .* exited with 3: boom$/);
  const ok = await runOn(f!.target, ['sh', '-c', 'exit 3'], { okExitCodes: [0, 3] });
  t.is(ok.exitCode, 3);
  const missing = await t.throwsAsync(runOn(f!.target, ['/nonexistent/tool', '--x']), { instanceOf: CommandError });
  t.is(missing!.exitStatus, 127);
});

serial('hostile argv round-trips exactly (spaces, quotes, $(), ;, newlines, empty string, ...)', async (t) => {
  const r = await runOn(f!.target, ['printf', '%s\\0', ...HOSTILE]);
  t.deepEqual(r.stdout.split('\0').slice(0, -1), HOSTILE);
  const marker = `/tmp/xdpbt-ssh-pwned-${randomInt(1e9)}`;
  await runOn(f!.target, ['echo', `$(touch ${marker})`, `; touch ${marker}`, `\`touch ${marker}\``, `\ntouch ${marker}`]);
  t.false(existsSync(marker), 'nothing inside an argument ran');
});

serial('stdin input reaches the remote command', async (t) => {
  const r = await runOn(f!.target, ['cat'], { input: 'line one\nline two' });
  t.is(r.stdout, 'line one\nline two');
});

serial('one multiplexed connection: a master socket serves the calls; closeMaster ends it', async (t) => {
  await runOn(f!.target, ['true']);
  const sockets = readdirSync(f!.target.controlDir!);
  t.is(sockets.length, 1);
  const check = async () => (await execa(sshBaseArgv(f!.target)[0]!, [...sshBaseArgv(f!.target).slice(1), '-O', 'check', `root@${f!.hostIp}`], { reject: false, timeout: 10_000 })).exitCode;
  t.is(await check(), 0, 'master running');
  const started = performance.now();
  for (let i = 0; i < 5; i++) await runOn(f!.target, ['true']);
  t.log(`5 multiplexed calls: ${Math.round(performance.now() - started)} ms`);
  await closeMaster(f!.target);
  t.not(await check(), 0, 'master gone');
  t.deepEqual(readdirSync(f!.target.controlDir!), []);
  await runOn(f!.target, ['true']); // and a new one comes up on demand
});

serial('host keys are checked: an unknown or wrong key is refused, with how to fix it', async (t) => {
  const emptyKnown = path.join(f!.dir, 'known_hosts_empty');
  writeFileSync(emptyKnown, '');
  const wrongKnown = path.join(f!.dir, 'known_hosts_wrong');
  // A real, different ed25519 key for the same host.
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(f!.dir, 'other_host_key')], { timeout: 10_000 });
  const other = (await execa('cat', [path.join(f!.dir, 'other_host_key.pub')])).stdout.split(' ').slice(0, 2).join(' ');
  writeFileSync(wrongKnown, `[${f!.hostIp}]:${f!.port} ${other}\n`);
  for (const knownHostsFile of [emptyKnown, wrongKnown]) {
    // Own control dir: an existing master must not vouch for this target.
    const target: SshTarget = { ...f!.target, knownHostsFile, controlDir: path.join(f!.dir, `ctl-${path.basename(knownHostsFile)}`) };
    const err = await t.throwsAsync(runOn(target, ['true']), { instanceOf: SshConnectionError });
    t.regex(err!.message, /Host key verification failed/);
    t.regex(err!.message, /check the host's key fingerprint, then add it to .*known_hosts_(empty|wrong)/);
  }
});

serial('a key the host does not accept: SshConnectionError that says so, no prompt', async (t) => {
  const key = path.join(f!.dir, 'stranger_key');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], { timeout: 10_000 });
  const target: SshTarget = { ...f!.target, identityFile: key, controlDir: path.join(f!.dir, 'ctl-stranger') };
  const err = await t.throwsAsync(runOn(target, ['true'], { timeoutMs: 20_000 }), { instanceOf: SshConnectionError });
  t.regex(err!.message, /Permission denied/);
});

serial('spawnOn + stop(): the remote command is killed and the session ends', async (t) => {
  const argv = uniqueSleep();
  const p = spawnOn(f!.target, argv);
  t.true(await until(() => running(argv), 50), 'started on the lab host');
  const r = await p.stop();
  t.is(r.exitCode, 143, 'SIGTERM from the watchdog');
  t.true(await until(async () => !(await running(argv)), 25), 'gone on the lab host');
});

serial('spawnOn: output and exit code of a command that ends by itself', async (t) => {
  const p = spawnOn(f!.target, ['sh', '-c', 'echo hello; echo oops >&2; exit 7']);
  const r = await p.child;
  t.is(r.exitCode, 7);
  t.is(r.stdout, 'hello');
  t.is(r.stderr, 'oops');
});

serial('the controller dies (ssh client SIGKILLed): the remote command is cleaned up', async (t) => {
  const argv = uniqueSleep();
  const p = spawnOn(f!.target, argv);
  t.true(await until(() => running(argv), 50));
  p.child.kill('SIGKILL');
  await p.child;
  t.true(await until(async () => !(await running(argv)), 50), 'remote command gone within 10 s');
});

serial('physical probe over SSH: the same driver reads the lab host interface', async (t) => {
  const p = await probePhysicalInterface(remoteExec(f!.target), f!.hostDev);
  t.is(p.ifname, f!.hostDev);
  t.is(p.linkKind, 'veth');
  t.is(p.driver.value?.driver, 'veth');
  t.true(p.carrier);
  t.is(p.channels.value?.max.rx, p.numRxQueues);
});

serial('safety over SSH: the interface carrying the SSH session is refused, unless forced by name', async (t) => {
  const list = await findProtectedInterfaces(remoteExec(f!.target));
  const hit = list.find((p) => p.ifname === f!.hostDev);
  t.truthy(hit, JSON.stringify(list));
  t.true(hit!.reasons.some((r) => r.startsWith(`holds the address ${f!.hostIp} of the SSH session from ${f!.controllerIp}`)));
  const err = t.throws(() => assertSafeToAttach(f!.hostDev, list, [], f!.target.name), { instanceOf: ProtectedInterfaceError });
  t.true(err!.message.endsWith(`--force-interface ${f!.hostDev}`));
  t.is(assertSafeToAttach(f!.hostDev, list, [f!.hostDev]).forced, true);
});

serial('DUT lock on the lab host: a second run is refused naming the holder; a lost connection frees it (taken over, reported)', async (t) => {
  const dir = path.join(f!.dir, 'locks');
  const opts = { dutHost: 'dut1', ifname: f!.hostDev, dir };
  const first = await acquireRemoteDutLock(f!.target, { ...opts, runId: 'aaaa0001' });
  t.is(first.tookOverFrom, null);
  const err = await t.throwsAsync(acquireRemoteDutLock(f!.target, { ...opts, runId: 'aaaa0002' }), { instanceOf: DutLockedError });
  t.is(err!.holder?.runId, 'aaaa0001');
  t.is(err!.holder?.pid, process.pid);
  t.regex(err!.message, new RegExp(`^DUT dut1:${f!.hostDev} on sshd-\\w+ is in use by run aaaa0001 \\(pid ${process.pid} on `));
  await first.release();
  const second = await acquireRemoteDutLock(f!.target, { ...opts, runId: 'aaaa0003' });
  t.is(second.tookOverFrom, null, 'clean release');
  // The connection goes away without a release: the lab host drops the lock, the next run takes it over.
  await closeMaster(f!.target);
  const third = await (async () => {
    for (let i = 0; i < 50; i++) {
      try {
        return await acquireRemoteDutLock(f!.target, { ...opts, runId: 'aaaa0004' });
      } catch (e) {
        if (!(e instanceof DutLockedError)) throw e;
        await sleep(200); // the watchdog needs a moment to end the old holder
      }
    }
    throw new Error('the lock was never freed');
  })();
  t.like(third.tookOverFrom, { runId: 'aaaa0003', pid: process.pid });
  await second.release(); // the lost holder's late cleanup must not clear the new holder's name
  const refused = await t.throwsAsync(acquireRemoteDutLock(f!.target, { ...opts, runId: 'aaaa0005' }), { instanceOf: DutLockedError });
  t.is(refused!.holder?.runId, 'aaaa0004');
  await third.release();
});

// Last: it takes the master connection down.
serial('a dropped link mid-command: SshConnectionError within the keepalive bound, remote command cleaned up, next call reconnects', async (t) => {
  const argv = uniqueSleep();
  const call = runOn(f!.target, argv, { timeoutMs: 60_000 });
  const failed = t.throwsAsync(call, { instanceOf: SshConnectionError });
  t.true(await until(() => running(argv), 50));
  const started = performance.now();
  await f!.cutLink();
  const err = await failed;
  const noticedMs = performance.now() - started;
  t.log(`client noticed the dropped link after ${Math.round(noticedMs)} ms`);
  t.true(noticedMs < 20_000, 'ServerAliveInterval 1 x 3 bounds it');
  t.regex(err!.message, /^ssh to sshd-\w+ \(root@198\.18\.210\.2:\d+\) failed running sleep/);
  // sshd notices too (ClientAliveInterval 1 x 2), ends the session, the watchdog kills the command.
  t.true(await until(async () => !(await running(argv)), 100), 'remote command gone within 20 s');
  await f!.restoreLink();
  const r = await runOn(f!.target, ['echo', 'back']);
  t.is(r.stdout, 'back');
});

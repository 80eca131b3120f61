import test from 'ava';
import { execa } from 'execa';
import {
  closeMasterArgv, remoteCommand, shellQuote, sshArgv, sshOptionProblem, watchdogArgv, WATCHDOG_SCRIPT, type SshTarget,
} from '../../drivers/ssh.ts';
import { HOSTILE } from '../lab/hostile-strings.ts';

const T: SshTarget = {
  name: 'dut1',
  user: 'bench',
  host: '198.18.100.20',
  port: 2222,
  identityFile: '/keys/id_ed25519',
  knownHostsFile: '/keys/known_hosts',
  controlDir: '/run/xdp-bench/ssh',
  options: { ServerAliveInterval: '5' },
};


test('shellQuote: safe words stay bare, everything else single-quoted with \'\\\'\'', (t) => {
  t.is(shellQuote('ip'), 'ip');
  t.is(shellQuote('/usr/sbin/ip'), '/usr/sbin/ip');
  t.is(shellQuote('--dev=eth0,1:2@x'), '--dev=eth0,1:2@x');
  t.is(shellQuote(''), "''");
  t.is(shellQuote('two words'), "'two words'");
  t.is(shellQuote("it's"), "'it'\\''s'");
  t.is(shellQuote('$(id)'), "'$(id)'");
  t.is(shellQuote('a\nb'), "'a\nb'");
  t.is(shellQuote('~'), "'~'", 'no tilde expansion');
  t.is(shellQuote('*'), "'*'", 'no globbing');
});

test('remoteCommand: hostile argv round-trips exactly through sh, dash and bash', async (t) => {
  for (const shell of ['sh', 'dash', 'bash']) {
    const which = await execa('sh', ['-c', 'command -v "$1"', 'sh', shell], { reject: false });
    if (which.exitCode !== 0) continue;
    // As sshd does: the login shell runs the one command string with -c.
    const r = await execa(shell, ['-c', remoteCommand(['printf', '%s\\0', ...HOSTILE])], { stripFinalNewline: false, timeout: 10_000 });
    t.deepEqual(r.stdout.split('\0').slice(0, -1), HOSTILE, shell);
  }
});

test('remoteCommand: nothing in an argument is executed', async (t) => {
  const r = await execa('sh', ['-c', remoteCommand(['echo', '$(touch /tmp/xdpbt-pwned)', '; touch /tmp/xdpbt-pwned', '`touch /tmp/xdpbt-pwned`'])], { timeout: 10_000 });
  t.is(r.stdout, '$(touch /tmp/xdpbt-pwned) ; touch /tmp/xdpbt-pwned `touch /tmp/xdpbt-pwned`');
  const exists = await execa('test', ['-e', '/tmp/xdpbt-pwned'], { reject: false });
  t.not(exists.exitCode, 0);
});

test('remoteCommand refuses an empty argv and NUL bytes', (t) => {
  t.throws(() => remoteCommand([]), { instanceOf: TypeError });
  t.throws(() => remoteCommand(['a\0b']), { instanceOf: TypeError });
});

test('sshArgv: host keys checked, batch mode, multiplexed, port, key, then user@host -- one quoted command', (t) => {
  const argv = sshArgv(T, ['ip', '-j', 'link', 'show', 'dev', 'ens 1']);
  t.deepEqual(argv, [
    'ssh', '-F', 'none',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'UserKnownHostsFile=/keys/known_hosts',
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'ControlMaster=auto',
    '-o', 'ControlPath=/run/xdp-bench/ssh/%C',
    '-o', 'ControlPersist=60',
    '-o', 'LogLevel=ERROR',
    '-o', 'ForwardAgent=no',
    '-o', 'ForwardX11=no',
    '-o', 'ForwardX11Trusted=no',
    '-o', 'ClearAllForwardings=yes',
    '-o', 'Tunnel=no',
    '-o', 'PermitLocalCommand=no',
    '-o', 'KnownHostsCommand=none',
    '-o', 'RemoteCommand=none',
    '-o', 'RequestTTY=no',
    '-o', 'EscapeChar=none',
    '-o', 'UpdateHostKeys=no',
    '-o', 'PKCS11Provider=none',
    '-o', 'ProxyCommand=none',
    '-o', 'ConnectTimeout=10',
    '-o', 'ServerAliveInterval=5',
    '-p', '2222',
    '-i', '/keys/id_ed25519',
    '-T',
    'bench@198.18.100.20', '--', "ip -j link show dev 'ens 1'",
  ]);
});

test('sshArgv: a launcher prefix (ip vrf exec / ip netns exec) goes first', (t) => {
  const argv = sshArgv({ ...T, launcher: ['ip', 'vrf', 'exec', 'mgmt'] }, ['true']);
  t.deepEqual(argv.slice(0, 5), ['ip', 'vrf', 'exec', 'mgmt', 'ssh']);
});

test('sshArgv: IPv6 literal in brackets becomes a bare destination', (t) => {
  t.is(sshArgv({ ...T, host: '[2001:db8::20]' }, ['true']).at(-3), 'bench@2001:db8::20');
});

test('sshArgv refuses user, host or options that would become ssh options or commands', (t) => {
  t.throws(() => sshArgv({ ...T, user: '-oProxyCommand=x' }, ['true']), { message: /bad user/ });
  t.throws(() => sshArgv({ ...T, host: '-oProxyCommand=x' }, ['true']), { message: /bad host/ });
  t.throws(() => sshArgv({ ...T, host: 'a b' }, ['true']), { message: /bad host/ });
  t.throws(() => sshArgv({ ...T, port: 0 }, ['true']), { message: /bad port/ });
  t.throws(() => sshArgv({ ...T, options: { StrictHostKeyChecking: 'no' } }, ['true']), { message: /set by the harness/ });
  t.throws(() => sshArgv({ ...T, options: { proxyCommand: 'nc' } }, ['true']), { message: /not allowed/ });
});

test('sshOptionProblem: an allowlist, each value checked; the rest refused by name', (t) => {
  t.is(sshOptionProblem('ProxyJump', 'jump@198.18.100.1'), null);
  t.is(sshOptionProblem('proxyjump', 'a@j1:2222,[2001:db8::1]:22,j3'), null, 'names ignore case, as in ssh_config');
  t.is(sshOptionProblem('ConnectTimeout', '10'), null);
  t.regex(sshOptionProblem('UserKnownHostsFile', '/dev/null')!, /set by the harness/);
  t.regex(sshOptionProblem('StrictHostKeyChecking', 'accept-new')!, /set by the harness/);
  for (const name of ['LocalCommand', 'PermitLocalCommand', 'ProxyCommand', 'KnownHostsCommand', 'XAuthLocation', 'ForwardX11', 'ForwardAgent', 'Match', 'Include',
    'LocalForward', 'RemoteForward', 'DynamicForward', 'Tunnel', 'SendEnv', 'SetEnv', 'PKCS11Provider', 'SecurityKeyProvider', 'ControlPath', 'RemoteCommand', 'NoSuchOption']) {
    t.regex(sshOptionProblem(name, 'x')!, /^(not allowed|set by the harness)/, name);
  }
  t.regex(sshOptionProblem('ProxyCommand', 'nc %h %p')!, /use ProxyJump/);
  t.regex(sshOptionProblem('ProxyJump', '-oProxyCommand=x')!, /jump host/);
  t.regex(sshOptionProblem('ProxyJump', 'a@b;id')!, /jump host/);
  t.regex(sshOptionProblem('ProxyJump', 'a@b:99999')!, /port 1\.\.65535/);
  t.regex(sshOptionProblem('CertificateFile', 'cert.pub')!, /absolute/);
  t.regex(sshOptionProblem('Bad-Name', 'x')!, /option name/);
  t.regex(sshOptionProblem('Ciphers', 'a\nb')!, /one line/);
});

test('sshArgv: a configured jump host replaces ProxyCommand=none (ssh uses the first of the two it sees)', (t) => {
  const argv = sshArgv({ ...T, options: { ProxyJump: 'jump@198.18.100.1' } }, ['true']);
  t.false(argv.includes('ProxyCommand=none'));
  t.true(argv.includes('ProxyJump=jump@198.18.100.1'));
  t.is(argv.indexOf('-F') + 1, argv.indexOf('none'), 'no ssh config file is read');
  t.true(argv.includes('ConnectTimeout=10'), 'a default connect time-out');
  const own = sshArgv({ ...T, options: { connecttimeout: '3' } }, ['true']);
  t.false(own.includes('ConnectTimeout=10'), 'the config\'s own time-out is the one ssh sees first');
});

test('closeMasterArgv: ssh -O exit with the same ControlPath', (t) => {
  const argv = closeMasterArgv(T);
  t.deepEqual(argv.slice(-3), ['-O', 'exit', 'bench@198.18.100.20']);
  t.true(argv.includes('ControlPath=/run/xdp-bench/ssh/%C'));
});

test('watchdogArgv: fixed script, the command as positional parameters', (t) => {
  t.deepEqual(watchdogArgv(['sleep', '1; rm -rf /']), ['sh', '-c', WATCHDOG_SCRIPT, 'xdpb-watchdog', 'sleep', '1; rm -rf /']);
});

test('watchdog (locally): exit code and output pass through; EOF on stdin kills the command', async (t) => {
  const ok = await execa(watchdogArgv(['sh', '-c', 'echo out; echo err >&2; exit 3'])[0]!, watchdogArgv(['sh', '-c', 'echo out; echo err >&2; exit 3']).slice(1), { reject: false, timeout: 10_000, stdin: 'pipe' });
  t.is(ok.exitCode, 3);
  t.is(ok.stdout, 'out');
  t.is(ok.stderr, 'err');
  const argv = watchdogArgv(['sleep', '30']);
  const started = Date.now();
  const child = execa(argv[0]!, argv.slice(1), { reject: false, timeout: 10_000, stdin: 'pipe' });
  setTimeout(() => child.stdin!.end(), 300);
  const r = await child;
  t.is(r.exitCode, 143, 'SIGTERM');
  t.true(Date.now() - started < 5000);
});

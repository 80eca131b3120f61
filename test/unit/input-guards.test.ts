/* The guards in front of user input: bounded reads of named files, --out
 * checks, decimal numbers, the VM-guest check, run discovery through symlinks. */
import test from 'ava';
import { execa } from 'execa';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readUserFile, UserFileError, USER_FILE_CAPS } from '../../ground/user-file.ts';
import { checkOutDir } from '../../harness/run/out-dir.ts';
import { parseDecimal } from '../../ground/values.ts';
import { cmdlineHasGuestToken, vmGuestSettings } from '../../harness/vm/vm-guest.ts';
import { findRuns } from '../../harness/cli/commands/shared.ts';
import { UsageError } from '../../ground/errors.ts';
import { parseScenarioFile } from '../../scenarios/scenario-file.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bench-test-input-guards-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const at = (...p: string[]) => path.join(dir, ...p);

function problemOf(file: string, max: number): string {
  try {
    readUserFile(file, max);
    return 'read';
  } catch (err) {
    if (err instanceof UserFileError) return `${err.problem}: ${err.message}`;
    throw err;
  }
}

test('readUserFile: a regular file up to the cap is read whole', (t) => {
  writeFileSync(at('ok.txt'), 'x'.repeat(1000));
  t.is(readUserFile(at('ok.txt'), 1000).length, 1000);
});

test('readUserFile: one byte over the cap is refused with both sizes', (t) => {
  writeFileSync(at('over.txt'), 'x'.repeat(1001));
  t.is(problemOf(at('over.txt'), 1000), 'too-large: 1001 bytes, larger than the 1000 bytes limit for this file');
});

test('readUserFile: a sparse 70 MiB file is refused by its size, not read', (t) => {
  closeSync(openSync(at('sparse'), 'w'));
  truncateSync(at('sparse'), 70 * 1024 * 1024);
  t.regex(problemOf(at('sparse'), USER_FILE_CAPS.resultsFile), /^too-large: 70 MiB, larger than the 64 MiB limit/);
});

test('readUserFile: devices, directories and FIFOs are not regular files (a FIFO without a writer does not block)', async (t) => {
  t.is(problemOf('/dev/zero', 100), 'not-regular: a character device, not a regular file');
  t.is(problemOf(dir, 100), 'not-regular: a directory, not a regular file');
  await execa('mkfifo', [at('fifo')]);
  t.is(problemOf(at('fifo'), 100), 'not-regular: a FIFO, not a regular file');
  symlinkSync('/dev/zero', at('zero-link'));
  t.is(problemOf(at('zero-link'), 100), 'not-regular: a character device, not a regular file');
});

test('readUserFile: a missing file is "missing"', (t) => {
  t.is(problemOf(at('nope'), 100), 'missing: no such file');
});

test('parseDecimal: decimal digits only', (t) => {
  for (const [text, want] of [['3', 3], ['-2.5', -2.5], ['.5', 0.5], ['+7', 7]] as const) t.is(parseDecimal(text), want, text);
  for (const text of ['0x3', '3e0', '1e6', 'Infinity', 'NaN', '', ' 3', '3 ', '0b11', '0o7', '1.', '1_000', '١']) t.true(Number.isNaN(parseDecimal(text)), text);
});

function outProblems(out: string, ownFiles: string[] = []): string[] {
  const errors: string[] = [];
  checkOutDir(out, { flag: '--out', ownFiles }, errors);
  return errors;
}

test('checkOutDir: new, empty, or bench-output directories are fine', (t) => {
  t.deepEqual(outProblems(at('new', 'deeper')), []);
  mkdirSync(at('empty'));
  t.deepEqual(outProblems(at('empty')), []);
  mkdirSync(at('run'));
  writeFileSync(at('run', 'results.json'), '{}');
  t.deepEqual(outProblems(at('run')), []);
  mkdirSync(at('cmp'));
  writeFileSync(at('cmp', 'compare.json'), '{}');
  t.deepEqual(outProblems(at('cmp'), ['compare.json']), []);
});

test('checkOutDir: refuses empty text, files, foreign directories, system directories (through symlinks too)', (t) => {
  t.deepEqual(outProblems(''), ['--out: empty; give a directory (it is created if needed)']);
  writeFileSync(at('file'), 'x');
  t.regex(outProblems(at('file'))[0]!, /exists and is not a directory/);
  mkdirSync(at('src'));
  writeFileSync(at('src', 'Makefile'), 'all:\n');
  t.regex(outProblems(at('src'))[0]!, /an existing directory with other files in it \(Makefile\), not xdp bench output/);
  for (const d of ['/', '/etc', '/usr', '/proc', '/sys', '/dev', '/boot', '/home', '/tmp', '/var', '/root']) t.regex(outProblems(d)[0] ?? '', /is a system directory/, d);
  for (const d of ['/etc/xdpb', '/usr/share/xdpb/x', '/proc/1', '/sys/fs/bpf/xdpb', '/run/xdpb']) t.regex(outProblems(d)[0] ?? '', /is inside the system directory/, d);
  symlinkSync('/etc', at('etc-link'));
  t.regex(outProblems(path.join(at('etc-link'), 'sub'))[0]!, /\(\/etc\/sub\) is inside the system directory \/etc/);
});

test('vmGuestSettings: XDPB_VM is obeyed only with the guest token on the kernel command line', (t) => {
  const guestCmdline = () => 'console=ttyS0 panic=-1 net.ifnames=0 xdpb.job=/tmp/xdpb-vm-1/job xdpb.modules=/m';
  const hostCmdline = () => 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet';
  t.is(vmGuestSettings({}, hostCmdline), null);
  t.is(vmGuestSettings({ XDPB_VM: '0' }, hostCmdline), null);
  t.deepEqual(vmGuestSettings({ XDPB_VM: '1', XDPB_VM_DUT_LINK: 'virtio' }, guestCmdline), { dutLink: 'virtio', offloadDev: undefined });
  t.throws(() => vmGuestSettings({ XDPB_VM: '1', XDPB_VM_DUT_LINK: 'virtio' }, hostCmdline), { instanceOf: UsageError, message: /not the xdp bench VM guest.*eth0 and eth1/ });
  t.throws(() => vmGuestSettings({ XDPB_VM: 'yes' }, guestCmdline), { instanceOf: UsageError });
  t.throws(() => vmGuestSettings({ XDPB_VM: '1' }, () => { throw new Error('no /proc'); }), { instanceOf: UsageError });
  t.false(cmdlineHasGuestToken('xdpb.job= quiet'), 'an empty job is no token');
  t.false(cmdlineHasGuestToken('root=/dev/sda1 myxdpb.job=/x'));
});

test('vmGuestSettings: this machine is not the guest', (t) => {
  t.throws(() => vmGuestSettings({ XDPB_VM: '1' }), { instanceOf: UsageError });
});

test('findRuns: symlinked run directories are followed, a run reached twice is read once, a link loop ends', (t) => {
  const root = at('nightly');
  mkdirSync(path.join(root, 'a'), { recursive: true });
  writeFileSync(path.join(root, 'a', 'results.json'), '{}');
  mkdirSync(at('elsewhere', 'b'), { recursive: true });
  writeFileSync(at('elsewhere', 'b', 'results.json'), '{}');
  symlinkSync(at('elsewhere', 'b'), path.join(root, 'b'));
  symlinkSync(path.join(root, 'a'), path.join(root, 'c-same-as-a'));
  symlinkSync(root, path.join(root, 'loop'));
  symlinkSync(path.join(root, 'nowhere'), path.join(root, 'dangling'));
  const found = findRuns([root, path.join(root, 'a')]);
  t.deepEqual(found.sources, [path.join(root, 'a'), path.join(root, 'b')]);
  t.deepEqual(found.problems, []);
});

test('a maps[].file within its limit is read (bounded reader) and its entries parsed', (t) => {
  mkdirSync(at('sc'));
  writeFileSync(at('sc', 'ports.json'), JSON.stringify([{ key: 53, value: 1 }, { key: 'hex:0050', value: [1, 0, 0, 0] }]));
  writeFileSync(at('sc', 'fw.yaml'), 'name: fw\nprogram: ./fw.bpf.o\nmaps: [{ name: blocked, file: ports.json }]\n');
  const sf = parseScenarioFile(at('sc', 'fw.yaml'));
  t.deepEqual(sf.maps, [{ name: 'blocked', entries: [{ key: 53, value: 1 }, { key: 'hex:0050', value: [1, 0, 0, 0] }] }]);
});

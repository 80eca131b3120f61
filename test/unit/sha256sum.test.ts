import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSha256sumZ, sha256sumArgv, sha256sumOn } from '../../drivers/sha256sum.ts';
import { REPO_ROOT } from '../../ground/paths.ts';

/** Captured by test/fixtures/capture-sha256sum.ts (real sha256sum -z, hostile names, one missing file). */
const FIXTURE = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'lab', 'sha256sum-z.json'), 'utf8')) as {
  argv: string[]; exitCode: number; stdout: string; expected: Record<string, string>;
};

test('sha256sum -z (captured): every name comes back as given (space, quote, backslash, newline, leading dash, UTF-8); a missing file has no entry', (t) => {
  t.deepEqual(FIXTURE.argv, sha256sumArgv(FIXTURE.argv.slice(3)), 'captured with the argv this module builds');
  t.is(FIXTURE.exitCode, 1, 'sha256sum exits 1 when a file is missing');
  const sums = parseSha256sumZ(FIXTURE.stdout);
  t.deepEqual(Object.fromEntries(sums), FIXTURE.expected);
  t.false(sums.has('missing'));
});

test('parseSha256sumZ: binary-mode marker, empty output, junk records', (t) => {
  const h = 'a'.repeat(64);
  t.deepEqual([...parseSha256sumZ(`${h} *bin file\0`)], [['bin file', h]]);
  t.is(parseSha256sumZ('').size, 0);
  t.is(parseSha256sumZ(`sha256sum: x: No such file\0${'A'.repeat(64)}  upper\0${h}\0`).size, 0);
});

test('sha256sumOn: one call, exit 1 (a missing file) accepted', async (t) => {
  const calls: { argv: readonly string[]; ok?: number[] }[] = [];
  const sums = await sha256sumOn(async (argv, o) => {
    calls.push({ argv, ok: o?.okExitCodes });
    return { stdout: FIXTURE.stdout };
  }, ['/opt/xdp bench/xdpb']);
  t.deepEqual(calls, [{ argv: ['sha256sum', '-z', '--', '/opt/xdp bench/xdpb'], ok: [0, 1] }]);
  t.is(sums.get('with space'), FIXTURE.expected['with space']);
});

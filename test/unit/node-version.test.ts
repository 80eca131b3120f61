/* harness/cli/node-version.sh, which ./bench and ./setup.sh source before node runs
 * anything: `node --version` as Debian 12 (18.20.4), the minimum and others print it. */
import test from 'ava';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../ground/paths.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bench-test-node-version-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

async function problemWith(versionLine: string | null): Promise<string> {
  const bin = path.join(dir, `bin-${Math.random().toString(16).slice(2)}`);
  mkdirSync(bin);
  if (versionLine !== null) writeFileSync(path.join(bin, 'node'), `#!/bin/sh\necho '${versionLine}'\n`, { mode: 0o755 });
  const r = await execa('/bin/sh', ['-c', `. "${path.join(REPO_ROOT, 'harness', 'cli', 'node-version.sh')}"; xdpb_node_problem`], { env: { PATH: bin }, extendEnv: false });
  return String(r.stdout).replace(bin, 'BIN');
}

test('node versions below 20.19 are too old, 20.19 and later are fine', async (t) => {
  t.is(await problemWith('v18.20.4'), 'node 18.20.4 (BIN/node) is too old');
  t.is(await problemWith('v20.18.3'), 'node 20.18.3 (BIN/node) is too old');
  t.is(await problemWith('v20.19.0'), '');
  t.is(await problemWith('v20.20.2'), '');
  t.is(await problemWith('v22.1.0'), '');
  t.is(await problemWith('v100.0.0'), '');
});

test('no node, or a node that prints nonsense, is said so', async (t) => {
  t.is(await problemWith(null), 'no node on PATH');
  t.is(await problemWith('hello'), 'BIN/node --version printed "hello"');
  t.is(await problemWith('v20'), 'BIN/node --version printed "20"');
});

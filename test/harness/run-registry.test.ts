/* bench cleanup (the real command) on leftovers this test makes itself:
 * user-program check pins of a dead and of a live process, scratch dirs under
 * a TMPDIR of its own, a dead run's record naming its TMPDIR. Live ones stay. */
import test from 'ava';
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BPFFS_ROOT, RUN_REGISTRY_DIR } from '../../harness/paths.ts';
import { ensureBpffs } from '../../harness/preflight.ts';
import { processAlive } from '../../harness/process-alive.ts';
import { registerRun, unregisterRun } from '../../harness/run-registry.ts';
import { BENCH } from '../e2e/helpers.ts';

const made: string[] = [];
const sleepers: ResultPromise[] = [];
test.after.always(() => {
  for (const s of sleepers) s.kill('SIGKILL');
  for (const p of made) rmSync(p, { recursive: true, force: true });
});

/** A pid that was ours and has exited (reuse within the test is improbable; checked). */
async function deadPid(): Promise<number> {
  const c = execa('true');
  await c;
  return c.pid!;
}

/** A process that stays alive for the test (killed after). */
function livePid(): number {
  const c = execa('sleep', ['120'], { reject: false });
  sleepers.push(c);
  return c.pid!;
}

function tmpRoot(name: string): string {
  const d = mkdtempSync(path.join(tmpdir(), `xdpbt-${name}-`));
  made.push(d);
  return d;
}

const cleanup = (env: Record<string, string> = {}) => execa(BENCH, ['cleanup'], { reject: false, timeout: 60_000, env });

test.serial('cleanup removes the xdpb-check pins of a dead process and keeps a live process\'s', async (t) => {
  await ensureBpffs();
  const dead = await deadPid();
  t.false(processAlive(dead));
  const live = livePid();
  const deadPin = path.join(BPFFS_ROOT, `xdpb-check-${dead}`);
  const livePin = path.join(BPFFS_ROOT, `xdpb-check-${live}`);
  for (const p of [deadPin, livePin]) {
    mkdirSync(p);
    made.push(p);
  }
  const r = await cleanup();
  t.is(r.exitCode, 0, String(r.stderr));
  t.false(existsSync(deadPin), String(r.stdout));
  t.true(String(r.stdout).includes(deadPin));
  t.true(existsSync(livePin), 'a live process\'s check pins are never touched');
  t.false(String(r.stdout).includes(livePin));
});

test.serial('cleanup looks for scratch dirs under TMPDIR (os.tmpdir(), where runs make them), keeping a live run\'s', async (t) => {
  const root = tmpRoot('tmpdir');
  const deadId = randomBytes(4).toString('hex');
  const liveId = randomBytes(4).toString('hex');
  const liveRecord = path.join(RUN_REGISTRY_DIR, `${liveId}.json`);
  mkdirSync(RUN_REGISTRY_DIR, { recursive: true });
  writeFileSync(liveRecord, JSON.stringify({ runId: liveId, pid: livePid(), startedAt: new Date().toISOString() }));
  made.push(liveRecord);
  const deadDir = path.join(root, `xdpb-${deadId}`);
  const liveDir = path.join(root, `xdpb-${liveId}`);
  const notOurs = path.join(root, 'xdpb-commands-abc');
  for (const d of [deadDir, liveDir, notOurs]) mkdirSync(d);
  const r = await cleanup({ TMPDIR: root });
  t.is(r.exitCode, 0, String(r.stderr));
  t.false(existsSync(deadDir), String(r.stdout));
  t.true(existsSync(liveDir), 'a live run\'s scratch dir stays');
  t.true(existsSync(notOurs), 'only xdpb-<run id> names are ours');
});

test.serial('a dead run\'s record names its TMPDIR: cleanup with another TMPDIR still finds its scratch dir', async (t) => {
  const root = tmpRoot('recorded');
  const id = randomBytes(4).toString('hex');
  const record = path.join(RUN_REGISTRY_DIR, `${id}.json`);
  writeFileSync(record, JSON.stringify({ runId: id, pid: await deadPid(), startedAt: new Date().toISOString(), tmpRoot: root }));
  made.push(record);
  const scratch = path.join(root, `xdpb-${id}`);
  mkdirSync(scratch);
  const r = await cleanup({ TMPDIR: tmpRoot('elsewhere') });
  t.is(r.exitCode, 0, String(r.stderr));
  t.false(existsSync(scratch), String(r.stdout));
  t.false(existsSync(record), 'the dead run\'s record goes too');
});

test.serial('registerRun writes a whole record (temp file + rename) naming pid, start and TMPDIR', (t) => {
  const id = randomBytes(4).toString('hex');
  registerRun(id);
  const file = path.join(RUN_REGISTRY_DIR, `${id}.json`);
  made.push(file);
  try {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    t.like(rec, { runId: id, pid: process.pid, tmpRoot: tmpdir() });
    t.deepEqual(readdirSync(RUN_REGISTRY_DIR).filter((f) => f.includes(id) && f !== `${id}.json`), [], 'no temp file left');
  } finally {
    unregisterRun(id);
  }
  t.false(existsSync(file));
});

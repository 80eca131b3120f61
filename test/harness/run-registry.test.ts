/* What `bench cleanup` and every run's start find (findLeftovers), on
 * leftovers this test makes itself: user-program check pins of a dead and of a
 * live process, scratch dirs under a TMPDIR of its own, a dead run's record
 * naming its TMPDIR. Live ones stay. In-process, and only this test's own
 * items are removed: other runs on this machine keep their leftovers to their
 * own cleanup (and one of theirs may remove our dead record: retried). */
import test from 'ava';
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BPFFS_ROOT, RUN_REGISTRY_DIR } from '../../ground/paths.ts';
import { ensureBpffs } from '../../harness/run/preflight.ts';
import { processAlive } from '../../ground/process-alive.ts';
import { findLeftovers, registerRun, removeLeftovers, unregisterRun, type Leftovers } from '../../harness/run/run-registry.ts';

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

/** findLeftovers() as a process with this TMPDIR sees it (os.tmpdir() reads TMPDIR on every call). */
async function leftoversWithTmpdir(tmp: string): Promise<Leftovers> {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    return await findLeftovers();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

const only = (paths: string[]): Leftovers => ({ netns: [], bpffsDirs: paths.filter((p) => p.startsWith(BPFFS_ROOT)), tmpDirs: paths.filter((p) => !p.startsWith(BPFFS_ROOT)), vmJobDirs: [], records: [] });

test.serial('the xdpb-check pins of a dead process are leftovers, a live process\'s are not', async (t) => {
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
  const l = await findLeftovers();
  t.true(l.bpffsDirs.includes(deadPin), l.bpffsDirs.join(', '));
  t.false(l.bpffsDirs.includes(livePin), 'a live process\'s check pins are never touched');
  t.deepEqual(await removeLeftovers(only([deadPin])), [deadPin]);
  t.false(existsSync(deadPin));
  t.true(existsSync(livePin));
});

test.serial('scratch dirs are looked for under TMPDIR (os.tmpdir(), where runs make them), a live run\'s kept', async (t) => {
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
  const l = await leftoversWithTmpdir(root);
  const mine = l.tmpDirs.filter((d) => d.startsWith(root));
  t.deepEqual(mine, [deadDir], 'the dead run\'s dir only: a live run\'s stays, and only xdpb-<run id> names are ours');
});

test.serial('a dead run\'s record names its TMPDIR: found from a process with another TMPDIR', async (t) => {
  const root = tmpRoot('recorded');
  const elsewhere = tmpRoot('elsewhere');
  // Bounded: another run's cleanup on this machine may remove our dead record between writing and looking.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const id = randomBytes(4).toString('hex');
    const record = path.join(RUN_REGISTRY_DIR, `${id}.json`);
    const scratch = path.join(root, `xdpb-${id}`);
    mkdirSync(scratch);
    made.push(record);
    writeFileSync(record, JSON.stringify({ runId: id, pid: await deadPid(), startedAt: new Date().toISOString(), tmpRoot: root }));
    const l = await leftoversWithTmpdir(elsewhere);
    if (!existsSync(record) && !l.records.includes(record)) {
      t.log(`attempt ${attempt}: the record was removed by another cleanup meanwhile; again`);
      continue;
    }
    t.true(l.tmpDirs.includes(scratch), l.tmpDirs.join(', '));
    t.true(l.records.includes(record), 'the dead run\'s record is a leftover too');
    return;
  }
  t.fail('three times, another cleanup removed the record before it was looked at');
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

test.serial('removeLeftovers goes on past one that cannot be removed, and names it', async (t) => {
  const root = tmpRoot('partial');
  const removable = path.join(root, `xdpb-${randomBytes(4).toString('hex')}`);
  mkdirSync(removable);
  const failures: string[] = [];
  const removed = await removeLeftovers(only(['/proc/self/status', removable]), (what, err) => failures.push(`${what}: ${String(err)}`));
  t.deepEqual(removed, [removable]);
  t.false(existsSync(removable));
  t.is(failures.length, 1);
  t.regex(failures[0]!, /^\/proc\/self\/status: Error: E[A-Z]+: /);
});

/* Which process owns which run id. Leftovers of a run whose owner is dead
 * (SIGKILL, power loss) are removed by `bench cleanup` and at the next run's
 * start; resources of a live run are never touched. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../ground/atomic-write.ts';
import { BPFFS_ROOT, RESOURCE_PREFIX, RUN_REGISTRY_DIR } from '../../ground/paths.ts';
import { deleteNetns, listNetns } from '../../drivers/veth-topology.ts';
import { staleVmJobDirs } from '../../drivers/vm/qemu-vm.ts';
import { processAlive } from '../../ground/process-alive.ts';

export interface RunRecord {
  runId: string;
  pid: number;
  startedAt: string;
  /** os.tmpdir() of the run (TMPDIR): where its scratch dir is, for a cleanup run with another TMPDIR. */
  tmpRoot?: string;
}

/** The user-program check's pins (harness/plan/user-program.ts), named by the checking process's pid. */
const CHECK_PIN = new RegExp(`^${RESOURCE_PREFIX}check-(\\d+)$`);

export function resourcePrefix(runId: string): string {
  return `${RESOURCE_PREFIX}${runId}`;
}

/** `xdpb-<runId>-gen` -> runId; null for names that are not ours. */
export function runIdOfResource(name: string): string | null {
  const m = new RegExp(`^${RESOURCE_PREFIX}([0-9a-f]{8})(?:-|$)`).exec(name);
  return m ? m[1]! : null;
}

export function registerRun(runId: string): void {
  mkdirSync(RUN_REGISTRY_DIR, { recursive: true });
  const rec: RunRecord = { runId, pid: process.pid, startedAt: new Date().toISOString(), tmpRoot: tmpdir() };
  writeFileAtomic(path.join(RUN_REGISTRY_DIR, `${runId}.json`), JSON.stringify(rec)); // a reader never sees half a record
}

export function unregisterRun(runId: string): void {
  rmSync(path.join(RUN_REGISTRY_DIR, `${runId}.json`), { force: true });
}

/** Run records only: `<run id>.json` (the directory also holds other things, e.g. locks/). */
function runRecordFiles(): string[] {
  if (!existsSync(RUN_REGISTRY_DIR)) return [];
  return readdirSync(RUN_REGISTRY_DIR).filter((f) => /^[0-9a-f]{8}\.json$/.test(f));
}

/** Temp files of record writes cut short (writeFileAtomic's `.<name>.<pid>.tmp`) whose writer is dead. */
function deadRecordTemps(): string[] {
  if (!existsSync(RUN_REGISTRY_DIR)) return [];
  return readdirSync(RUN_REGISTRY_DIR).filter((f) => {
    const m = /^\.[0-9a-f]{8}\.json\.(\d+)\.tmp$/.exec(f);
    return m !== null && !processAlive(Number(m[1]));
  });
}

function readRecord(file: string): RunRecord | null {
  try {
    const rec = JSON.parse(readFileSync(path.join(RUN_REGISTRY_DIR, file), 'utf8')) as RunRecord;
    return typeof rec.pid === 'number' && typeof rec.runId === 'string' ? rec : null;
  } catch {
    return null; // unreadable record: treated as dead
  }
}

function isRecent(file: string): boolean {
  const st = statSync(file, { throwIfNoEntry: false });
  return st !== undefined && Date.now() - st.mtimeMs < 60_000;
}

/** Run ids whose owner is alive, and the temp roots recorded by runs that are not. */
function scanRecords(): { live: Set<string>; deadTmpRoots: string[] } {
  const live = new Set<string>();
  const deadTmpRoots: string[] = [];
  for (const f of runRecordFiles()) {
    const rec = readRecord(f);
    if (rec && processAlive(rec.pid)) live.add(rec.runId);
    else if (!rec && isRecent(path.join(RUN_REGISTRY_DIR, f))) live.add(f.replace(/\.json$/, '')); // being written by an older version (not atomic): not dead
    else if (rec && typeof rec.tmpRoot === 'string' && path.isAbsolute(rec.tmpRoot)) deadTmpRoots.push(rec.tmpRoot);
  }
  return { live, deadTmpRoots };
}

export interface Leftovers {
  netns: string[];
  bpffsDirs: string[];
  tmpDirs: string[];
  /** Job dirs of VM runs whose qemu is gone (--topology vm). */
  vmJobDirs: string[];
  records: string[];
}

export async function findLeftovers(): Promise<Leftovers> {
  const { live, deadTmpRoots } = scanRecords();
  const stale = (name: string) => {
    const id = runIdOfResource(name);
    return id !== null && !live.has(id);
  };
  const staleCheck = (name: string) => {
    const check = CHECK_PIN.exec(name);
    return check !== null && !processAlive(Number(check[1])); // never a live process's check
  };
  const list = (dir: string, pred: (name: string) => boolean) => (existsSync(dir) ? readdirSync(dir).filter(pred).map((n) => path.join(dir, n)) : []);
  // Scratch dirs are made under os.tmpdir() (TMPDIR): this process's, and those dead runs recorded.
  const tmpRoots = [...new Set([tmpdir(), ...deadTmpRoots].map((d) => path.resolve(d)))];
  return {
    netns: (await listNetns()).filter(stale),
    bpffsDirs: list(BPFFS_ROOT, (n) => stale(n) || staleCheck(n)),
    tmpDirs: tmpRoots.flatMap((root) => list(root, stale)),
    vmJobDirs: staleVmJobDirs(),
    records: [
      ...runRecordFiles().filter((f) => !live.has(f.replace(/\.json$/, ''))),
      ...deadRecordTemps(),
    ].map((f) => path.join(RUN_REGISTRY_DIR, f)),
  };
}

/**
 * Removes leftovers of dead runs; returns what was removed. One that cannot be
 * removed (e.g. a pin dir another cleanup is emptying at the same time) is
 * passed to onFailure and the rest still go.
 */
export async function removeLeftovers(l: Leftovers, onFailure: (what: string, error: unknown) => void = () => undefined): Promise<string[]> {
  const removed: string[] = [];
  const attempt = async (what: string, remove: () => unknown) => {
    try {
      await remove();
      removed.push(what);
    } catch (err) {
      onFailure(what, err);
    }
  };
  for (const ns of l.netns) await attempt(`netns ${ns}`, () => deleteNetns(ns)); // takes its veths and XDP attachments with it
  for (const dir of [...l.bpffsDirs, ...l.tmpDirs, ...l.vmJobDirs]) await attempt(dir, () => rmSync(dir, { recursive: true, force: true }));
  for (const f of l.records) await attempt(f, () => rmSync(f, { force: true }));
  return removed;
}

/* Which process owns which run id. Leftovers of a run whose owner is dead
 * (SIGKILL, power loss) are removed by `bench cleanup` and at the next run's
 * start; resources of a live run are never touched. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BPFFS_ROOT, RESOURCE_PREFIX, RUN_REGISTRY_DIR } from './paths.ts';
import { deleteNetns, listNetns } from '../drivers/veth-topology.ts';
import { staleVmJobDirs } from '../drivers/vm/qemu-vm.ts';
import { processAlive } from './process-alive.ts';

export interface RunRecord {
  runId: string;
  pid: number;
  startedAt: string;
}

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
  const rec: RunRecord = { runId, pid: process.pid, startedAt: new Date().toISOString() };
  writeFileSync(path.join(RUN_REGISTRY_DIR, `${runId}.json`), JSON.stringify(rec));
}

export function unregisterRun(runId: string): void {
  rmSync(path.join(RUN_REGISTRY_DIR, `${runId}.json`), { force: true });
}

/** Run records only: `<run id>.json` (the directory also holds other things, e.g. locks/). */
function runRecordFiles(): string[] {
  if (!existsSync(RUN_REGISTRY_DIR)) return [];
  return readdirSync(RUN_REGISTRY_DIR).filter((f) => /^[0-9a-f]{8}\.json$/.test(f));
}

function liveRunIds(): Set<string> {
  const live = new Set<string>();
  for (const f of runRecordFiles()) {
    try {
      const rec = JSON.parse(readFileSync(path.join(RUN_REGISTRY_DIR, f), 'utf8')) as RunRecord;
      if (processAlive(rec.pid)) live.add(rec.runId);
    } catch {
      /* unreadable record: treat as dead */
    }
  }
  return live;
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
  const live = liveRunIds();
  const stale = (name: string) => {
    const id = runIdOfResource(name);
    return id !== null && !live.has(id);
  };
  const list = (dir: string, keep = stale) => (existsSync(dir) ? readdirSync(dir).filter(keep).map((n) => path.join(dir, n)) : []);
  // The verifier check of a user's object before a run (harness/user-program.ts) loads into xdpb-check-<pid>.
  const deadCheck = (name: string) => {
    const m = new RegExp(`^${RESOURCE_PREFIX}check-(\\d+)$`).exec(name);
    return m !== null && !processAlive(Number(m[1]));
  };
  return {
    netns: (await listNetns()).filter(stale),
    bpffsDirs: [...list(BPFFS_ROOT), ...list(BPFFS_ROOT, deadCheck)],
    tmpDirs: list('/tmp'),
    vmJobDirs: staleVmJobDirs(),
    records: runRecordFiles().filter((f) => !live.has(f.replace(/\.json$/, ''))).map((f) => path.join(RUN_REGISTRY_DIR, f)),
  };
}

/** Removes leftovers of dead runs; returns what was removed. */
export async function removeLeftovers(l: Leftovers): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of l.netns) {
    await deleteNetns(ns); // takes its veths and XDP attachments with it
    removed.push(`netns ${ns}`);
  }
  for (const dir of [...l.bpffsDirs, ...l.tmpDirs, ...l.vmJobDirs]) {
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  for (const f of l.records) {
    rmSync(f, { force: true });
    removed.push(f);
  }
  return removed;
}

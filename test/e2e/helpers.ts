/* Shared by the end-to-end tests: they run the real `bench` on veth/netns as root. */
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../ground/paths.ts';
import type { RunResults } from '../../ground/result-schema.ts';

export const BENCH = path.join(REPO_ROOT, 'bench');

/** Short but real: enough trials and time for statistics, small enough for CI. */
export const QUICK = ['--trials', '2', '--duration', '0.5', '--warmup', '0.3', '--interval', '100'];

const scratchDirs: string[] = [];
process.on('exit', () => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits. */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `bench-test-${name}-`));
  scratchDirs.push(dir);
  return dir;
}

/** A fresh output directory (not created: the run creates it), removed when the test process exits. */
export function outDir(name: string): string {
  return path.join(scratchDir(name), 'out');
}

export async function bench(args: string[], timeoutMs = 120_000) {
  return execa(BENCH, args, { reject: false, timeout: timeoutMs, cwd: REPO_ROOT });
}

export function spawnBench(args: string[]): ResultPromise {
  return execa(BENCH, args, { reject: false, timeout: 120_000, cwd: REPO_ROOT, buffer: true });
}

export function readResults(dir: string): RunResults {
  return JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as RunResults;
}

/** What a run with this id may have left: netns, bpffs pins, scratch dir, processes. */
export async function leftoversOf(runId: string): Promise<string[]> {
  const left: string[] = [];
  const ns = await execa('ip', ['netns', 'list'], { reject: false });
  for (const line of String(ns.stdout).split('\n')) if (line.includes(`xdpb-${runId}`)) left.push(`netns ${line.split(' ')[0]}`);
  if (existsSync(`/sys/fs/bpf/xdpb-${runId}`)) left.push(`bpffs /sys/fs/bpf/xdpb-${runId}`);
  if (existsSync(path.join(tmpdir(), `xdpb-${runId}`))) left.push(`scratch dir of ${runId}`);
  const procs = await execa('pgrep', ['-af', `xdpb-${runId}`], { reject: false });
  for (const p of String(procs.stdout).split('\n').filter(Boolean)) left.push(`process ${p}`);
  return left;
}

/** Interfaces of the root namespace with an XDP program attached (the tests must never cause one). */
export async function rootXdpAttachments(): Promise<string[]> {
  const out = await execa('ip', ['-o', 'link', 'show'], { reject: false });
  return String(out.stdout).split('\n').filter((l) => / xdp(generic|drv|offload)? /.test(l)).map((l) => l.split(': ')[1] ?? l);
}

/** Resolves when `text` appears on the child's stderr (bounded by timeoutMs). */
export function waitForStderr(child: ResultPromise, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms; got:\n${seen}`)), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}

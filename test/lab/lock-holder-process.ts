/* Starts test/lab/lock-holder.ts: another process that holds a lock file (DUT or run lock) until its stdin closes. */
import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { REPO_ROOT } from '../../ground/paths.ts';

/** Resolves with the holder once it says "locked" (bounded); `children` collects it for the test's after hook. */
export async function startLockHolder(dir: string, dutHost: string, ifname: string, runId: string, children: ResultPromise[]): Promise<{ child: ResultPromise; pid: number }> {
  const child = execa(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test', 'lab', 'lock-holder.ts'), dir, dutHost, ifname, runId], {
    cwd: REPO_ROOT, stdin: 'pipe', reject: false, timeout: 60_000,
  });
  children.push(child);
  const pid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('lock holder did not lock within 20 s')), 20_000);
    let seen = '';
    child.stdout!.on('data', (b: Buffer) => {
      seen += b.toString();
      const m = /locked (\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void child.then((r) => reject(new Error(`lock holder exited: ${String(r.stderr)}`)));
  });
  return { child, pid };
}

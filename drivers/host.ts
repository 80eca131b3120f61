/* A host the harness drives: this machine, or a lab host over SSH. The same
 * argv runs on either; only where the helper and objects live differs
 * (a lab host has them in its benchDir, put there by `bench lab prepare`). */
import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { localExec, type Exec } from './host-exec.ts';
import { BENCH_OBJECT, GEN_OBJECT, XDPB_HELPER } from '../ground/paths.ts';
import { remoteExec, spawnOn, sshArgv, type SshTarget } from './ssh.ts';

/** A long-running command: its stdout streams, stdin stays open (its liveness channel over SSH). */
export interface HostProcess {
  readonly child: ResultPromise;
  /** Local: SIGTERM, SIGKILL after graceMs. Remote: stdin closed, the watchdog TERMs it; the client killed after graceMs. */
  stop(graceMs?: number): Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
}

export interface Host {
  /** "local", or the lab config's host name. */
  readonly name: string;
  readonly kind: 'local' | 'ssh';
  readonly exec: Exec;
  /**
   * Starts argv. `stdinIsInput`: the command reads stdin itself and ends at its
   * EOF (the sampler), so it runs without the remote watchdog; else the
   * watchdog kills it when the connection ends.
   */
  spawn(argv: readonly string[], opts?: { stdinIsInput?: boolean }): HostProcess;
  /** native/build files on that host. */
  readonly helperPath: string;
  readonly benchObject: string;
  readonly genObject: string;
  readonly target?: SshTarget;
}

/** Files `bench lab prepare` puts into a lab host's benchDir (names as in native/build). */
export const LAB_FILES = [XDPB_HELPER, BENCH_OBJECT, GEN_OBJECT] as const;

/** Each of LAB_FILES here, with where it is on `host`. */
export function labFilesOn(host: Host): { local: string; onHost: string }[] {
  const onHost = [host.helperPath, host.benchObject, host.genObject];
  return LAB_FILES.map((local, k) => ({ local, onHost: onHost[k]! }));
}

async function settle(child: ResultPromise, graceMs: number, end: () => void) {
  const settled = child.then((r) => r, (e) => e as Awaited<ResultPromise>);
  end();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  if ((await Promise.race([settled, late])) === 'late') child.kill('SIGKILL');
  clearTimeout(timer);
  const r = await settled;
  return { exitCode: typeof r.exitCode === 'number' ? r.exitCode : null, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export const localHost: Host = {
  name: 'local',
  kind: 'local',
  exec: localExec,
  spawn(argv, opts = {}) {
    const child = execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'pipe', buffer: { stdout: !opts.stdinIsInput }, cleanup: true });
    return {
      child,
      stop: (graceMs = 3000) => settle(child, graceMs, () => (opts.stdinIsInput ? child.stdin?.end() : child.kill('SIGTERM'))),
    };
  },
  helperPath: XDPB_HELPER,
  benchObject: BENCH_OBJECT,
  genObject: GEN_OBJECT,
};

export function sshHost(name: string, target: SshTarget, benchDir: string): Host {
  const inDir = (f: string) => path.join(benchDir, path.basename(f));
  return {
    name,
    kind: 'ssh',
    target,
    exec: remoteExec(target),
    spawn(argv, opts = {}) {
      if (!opts.stdinIsInput) return spawnOn(target, argv);
      const full = sshArgv(target, argv);
      const child = execa(full[0]!, full.slice(1), { reject: false, stdin: 'pipe', buffer: { stdout: false }, cleanup: true });
      return { child, stop: (graceMs = 5000) => settle(child, graceMs, () => child.stdin?.end()) };
    },
    helperPath: inDir(XDPB_HELPER),
    benchObject: inDir(BENCH_OBJECT),
    genObject: inDir(GEN_OBJECT),
  };
}

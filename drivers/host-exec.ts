/* Where a driver's argv runs: locally, inside a network namespace, or on a
 * lab host over SSH. Drivers that take an `Exec` run the same argv anywhere. */
import { remoteExec, type SshTarget } from './ssh.ts';
import { run, type CommandOutput, type RunOptions } from '../ground/exec.ts';

/** Runs argv (never a shell string); throws CommandError on a failing exit code, like ground/exec.ts run(). */
export type Exec = (argv: readonly string[], options?: RunOptions) => Promise<CommandOutput>;

export const localExec: Exec = (argv, options) => run(argv, options);

/** Runs argv inside a network namespace (through `ip netns exec`) with another Exec. */
export function netnsExec(netns: string, base: Exec = localExec): Exec {
  return (argv, options) => base(['ip', 'netns', 'exec', netns, ...argv], options);
}

export type HostAccess = { kind: 'local' } | { kind: 'ssh'; target: SshTarget };

export function execForHost(host: HostAccess): Exec {
  return host.kind === 'local' ? localExec : remoteExec(host.target);
}

import { readFileSync } from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import type { EnvironmentInfo } from '../../ground/result-schema.ts';
import { REPO_ROOT } from '../../ground/paths.ts';

export function harnessVersion(): string {
  const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string };
  return pkg.version;
}

export async function collectEnvironment(driver: string, argv: string[]): Promise<EnvironmentInfo> {
  const git = await execa('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'], { reject: false });
  const dirty = await execa('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--untracked-files=no'], { reject: false });
  const rev = git.exitCode === 0 ? String(git.stdout).trim() + (String(dirty.stdout).trim() ? '-dirty' : '') : null;
  return {
    kernel: os.release(),
    hostname: os.hostname(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cpuCount: os.cpus().length,
    driver,
    harnessVersion: harnessVersion(),
    gitRevision: rev,
    nodeVersion: process.version,
    commandLine: argv,
  };
}

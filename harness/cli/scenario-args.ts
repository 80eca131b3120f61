/* Turns `bench run` arguments into scenarios: built-in names, scenario files
 * (.yaml), and --program FILE.o. */
import path from 'node:path';
import { SCENARIOS, type Expectation, type Scenario } from '../../scenarios/builtin.ts';
import { parseScenarioFile, ScenarioFileError, type ScenarioFile } from '../../scenarios/scenario-file.ts';
import { UsageError } from '../../ground/errors.ts';
import { XDP_ACTIONS, type XdpAction } from '../../ground/result-schema.ts';
import type { RawRunOptions } from '../plan/run-options.ts';
import { parseDecimal } from '../../ground/values.ts';
import { prepareUserScenario } from '../plan/user-program.ts';

export interface ProgramOptions {
  program?: string;
  prog?: string;
  section?: string;
  expect?: string;
  dstPort?: string;
}

export function isScenarioFileArg(arg: string): boolean {
  return /\.ya?ml$/i.test(arg);
}

/** Parses every scenario file; all problems of all files in one UsageError. */
export function parseScenarioFiles(args: string[]): ScenarioFile[] {
  const problems: string[] = [];
  const files: ScenarioFile[] = [];
  for (const arg of args.filter(isScenarioFileArg)) {
    try {
      files.push(parseScenarioFile(arg));
    } catch (err) {
      if (err instanceof ScenarioFileError) problems.push(err.message);
      else if ((err as NodeJS.ErrnoException).code === 'ENOENT') problems.push(`${arg}: no such scenario file`);
      else throw err;
    }
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return files;
}

/** A single scenario file's run settings fill in what the command line did not set explicitly. */
export function applyFileRunSettings(raw: RawRunOptions, files: ScenarioFile[], explicit: (flag: keyof RawRunOptions) => boolean): RawRunOptions {
  if (files.length !== 1) return raw;
  const f = files[0]!;
  const out = { ...raw };
  if (f.run.modes && !explicit('modes')) out.modes = f.run.modes.join(',');
  if (f.run.trials !== undefined && !explicit('trials')) out.trials = String(f.run.trials);
  if (f.run.duration !== undefined && !explicit('duration')) out.duration = String(f.run.duration);
  if (f.run.warmup !== undefined && !explicit('warmup')) out.warmup = String(f.run.warmup);
  if (f.traffic.sizes && !explicit('sizes')) out.sizes = f.traffic.sizes.join(',');
  if (f.traffic.flows !== undefined && !explicit('flows')) out.flows = String(f.traffic.flows);
  if (f.traffic.rate !== undefined && !explicit('rate')) out.rate = f.traffic.rate;
  return out;
}

export function parseExpectFlag(text: string | undefined): Expectation {
  if (text === undefined || text === 'mixed') return { kind: 'mixed' };
  if ((XDP_ACTIONS as readonly string[]).includes(text)) return { kind: 'action', action: text as XdpAction };
  throw new UsageError(`--expect "${text}": expected one of ${XDP_ACTIONS.join(', ')}, or mixed`);
}

/** Checks and builds the scenarios of files and --program (needs root: it asks the verifier). */
export async function userScenarios(files: ScenarioFile[], p: ProgramOptions): Promise<Scenario[]> {
  const out: Scenario[] = [];
  for (const f of files) {
    if (f.program.kind === 'builtin') {
      const base = SCENARIOS.find((s) => s.program === (f.program as { name: string }).name)!;
      out.push({ ...base, name: f.name, doc: f.description, expect: f.expect, dstPort: f.traffic.dstPort, srcPort: f.traffic.srcPort, source: f.file });
      continue;
    }
    out.push(await prepareUserScenario({
      name: f.name, doc: f.description, objectPath: f.program.path, prog: f.prog, section: f.section,
      expect: f.expect, srcPort: f.traffic.srcPort, dstPort: f.traffic.dstPort, maps: f.maps, source: f.file,
    }));
  }
  if (p.program) {
    const dstPort = parseDecimal(p.dstPort ?? '9');
    if (!Number.isInteger(dstPort) || dstPort < 1 || dstPort > 65535) throw new UsageError(`--dst-port "${p.dstPort}": expected a port from 1 to 65535`);
    if (p.prog && p.section) throw new UsageError('--prog and --section: give one of them, not both');
    const objectPath = path.resolve(p.program);
    out.push(await prepareUserScenario({
      name: path.basename(objectPath).replace(/\.(bpf\.)?o$/, ''), doc: `user program ${path.basename(objectPath)}`,
      objectPath, prog: p.prog, section: p.section, expect: parseExpectFlag(p.expect), srcPort: 1024, dstPort, maps: [], source: '--program',
    }));
  }
  const names = new Set<string>();
  for (const s of out) {
    if (names.has(s.name)) throw new UsageError(`two scenarios are named ${s.name}: names must be unique in a run`);
    names.add(s.name);
  }
  return out;
}

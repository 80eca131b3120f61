/* Why an object did not load, from the helper's failure (stage, errno,
 * libbpf/verifier log): one heading per kind of cause, and the lines of the
 * log that show it. Pure: fixtures are the helper's real answers. */
import type { KernelRefusalError } from '../../ground/errors.ts';
import { errorText, meaningfulLines } from '../../ground/libbpf-log.ts';

export type LoadFailureKind =
  | 'invalid-object' | 'btf' | 'missing-kfunc' | 'missing-helper' | 'map-create'
  | 'pin-conflict' | 'pin-failed' | 'program-type' | 'verifier' | 'other';

export interface LoadFailure {
  kind: LoadFailureKind;
  /** One sentence: what happened, naming the object (and kfunc, helper, map where known). */
  heading: string;
  /** The log lines that show it (libbpf prefixes and noise dropped). */
  lines: string[];
  /** What to do about it, when there is something to do. */
  hint?: string;
}

interface FailureFacts {
  stage: string;
  errno: number;
  error: string;
  /** The path or name the stage failed on. */
  detail?: string;
  log?: string;
}

/** Why the helper could not pin a program or map of its own (not one libbpf pinned by name). */
function pinHint(errno: number): string | undefined {
  if (errno === 17) return 'a pin of that name is already there: another load used this pin dir';
  if (errno === 36) return "the pin path is longer than the kernel's PATH_MAX (4,096 bytes): use a shorter pin directory";
  return undefined;
}

/** The verifier's own lines: between BEGIN/END PROG LOAD LOG, without the state dumps' noise. */
function verifierLines(lines: string[], max: number): string[] {
  const begin = lines.findIndex((l) => /-- BEGIN PROG LOAD LOG --/.test(l));
  const end = lines.findIndex((l) => /-- END PROG LOAD LOG --/.test(l));
  const body = begin >= 0 ? lines.slice(begin + 1, end > begin ? end : undefined) : lines;
  return body.filter((l) => !/^processed \d+ insns/.test(l)).slice(-max);
}

export function classifyLoadFailure(f: FailureFacts, objectName: string): LoadFailure {
  const lines = meaningfulLines(f.log);
  const find = (re: RegExp) => lines.map((l) => re.exec(l)).find((m): m is RegExpExecArray => m !== null);
  const matching = (re: RegExp) => lines.filter((l) => re.test(l));

  const kfunc = find(/extern \((?:func )?ksym\) '([^']+)': not found in kernel/);
  if (kfunc) {
    return { kind: 'missing-kfunc', heading: `${objectName} calls the kfunc ${kfunc[1]}, which this kernel does not have`, lines: matching(/extern|ksym/), hint: 'it needs a newer kernel or a module that provides it' };
  }
  const helper = find(/invalid func (\S+)#(\d+)|unknown func (\S+)#(\d+)|program of this type (?:does not support|cannot use) helper (\S+)#(\d+)/);
  if (helper) {
    const name = helper[1] ?? helper[3] ?? helper[5];
    const id = helper[2] ?? helper[4] ?? helper[6];
    const what = name === 'unknown' ? `helper #${id}, which this kernel does not have` : `the helper ${name} (#${id}), which this kernel does not offer to XDP programs`;
    return { kind: 'missing-helper', heading: `${objectName} calls ${what}`, lines: verifierLines(lines, 4) };
  }
  const pin = find(/couldn't reuse pinned map at '([^']+)'|already has pin path '([^']+)'/);
  if (!pin && (f.stage === 'pin-program' || f.stage === 'pin-map')) {
    // The helper's own pins, made after the load: not a by-name map's collision.
    const what = f.stage === 'pin-program' ? 'a program' : 'a map';
    const hint = pinHint(f.errno);
    return { kind: 'pin-failed', heading: `${objectName} loaded, but ${what} could not be pinned${f.detail ? ` at ${f.detail}` : ''}: ${errorText(f.errno, f.error)} (errno ${f.errno})`, lines: matching(/pin/), ...(hint ? { hint } : {}) };
  }
  if (pin) {
    const where = pin ? (pin[1] ?? pin[2]) : undefined;
    return { kind: 'pin-conflict', heading: `${objectName}: a map pinned by name collides with a pin already in bpffs${where ? ` (${where})` : ''}`, lines: matching(/pin/), hint: 'another load of an incompatible map is pinned there' };
  }
  const btf = matching(/BTF|CO-RE|btf/i).filter((l) => !/Retrying/.test(l));
  if (btf.length && /Error loading|failed to (?:find|load|parse)|is required|missing or corrupted|relocat/i.test(btf.join('\n'))) {
    return { kind: 'btf', heading: `${objectName} has BTF the kernel or libbpf cannot use`, lines: btf.slice(-4), hint: 'rebuild with -g (BTF) against this kernel\'s headers, or without CO-RE' };
  }
  if (f.stage === 'open-object' || (f.errno >= 4000 && f.errno <= 4003)) {
    return { kind: 'invalid-object', heading: `${objectName} is not a valid BPF object: ${errorText(f.errno, f.error)}`, lines: lines.slice(-4), hint: 'rebuild it with clang -target bpf; a copied file may be truncated' };
  }
  const map = find(/map '([^']+)': failed to create/);
  if (map) {
    return { kind: 'map-create', heading: `${objectName}: the kernel refused to create map ${map[1]} (${f.error}, errno ${f.errno})`, lines: matching(new RegExp(`\\b${map[1]}\\b`)), hint: `a map declared with max_entries 0 needs a size: maps: [{name: ${map[1]}, maxEntries: N}] in a scenario file` };
  }
  const type = find(/missing BPF prog type, check ELF section name '([^']*)'|program type .* not supported|prog type \d+ not supported/);
  if (type || f.errno === 4010) {
    return { kind: 'program-type', heading: `${objectName}: a program type this kernel or libbpf does not know${type?.[1] !== undefined ? ` (section "${type[1]}")` : ''}`, lines: lines.slice(-3), hint: 'pick the XDP program with --prog NAME or --section NAME' };
  }
  if (lines.some((l) => /-- BEGIN PROG LOAD LOG --/.test(l)) || f.errno === 4007 || f.errno === 13) {
    return { kind: 'verifier', heading: `the kernel's verifier rejected ${objectName} (${errorText(f.errno, f.error)}, errno ${f.errno})`, lines: verifierLines(lines, 8) };
  }
  return { kind: 'other', heading: `libbpf could not load ${objectName}: ${errorText(f.errno, f.error)} (errno ${f.errno}, stage ${f.stage})`, lines: lines.slice(-4) };
}

/** The failure as text: heading, indented lines, hint. */
export function describeLoadFailure(err: KernelRefusalError, objectName: string): string {
  const f = classifyLoadFailure({ stage: err.stage, errno: err.errno, error: err.error, detail: err.detail, log: err.log }, objectName);
  return [f.heading + (f.lines.length ? ':' : ''), ...f.lines.map((l) => `    ${l}`), ...(f.hint ? [`  (${f.hint})`] : [])].join('\n');
}

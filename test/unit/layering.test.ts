/* The house's layering, read from the sources' own import lines: no import
 * cycles, layers point down (ground <- drivers <- scenarios <- harness; reports
 * only render), and no source file grows past about 450 lines unless its
 * opening comment says why. */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../ground/paths.ts';

const SOURCE_DIRS = ['ground', 'drivers', 'scenarios', 'harness', 'reports', 'benchmarks'];
const MAX_LINES = 450;

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(REPO_ROOT, dir))) {
    const rel = path.join(dir, name);
    if (statSync(path.join(REPO_ROOT, rel)).isDirectory()) out.push(...sourcesUnder(rel));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Static imports, re-exports and dynamic import('...') of relative modules. */
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|\n)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (spec.endsWith('.ts')) out.push(path.normalize(path.join(path.dirname(file), spec)));
  }
  return out;
}

const FILES = SOURCE_DIRS.flatMap(sourcesUnder);
const TEXT = new Map(FILES.map((f) => [f, readFileSync(path.join(REPO_ROOT, f), 'utf8')]));
const GRAPH = new Map(FILES.map((f) => [f, importsOf(f, TEXT.get(f)!)]));
const top = (f: string) => f.split(path.sep)[0]!;

test('the import graph is read: every source file is seen and most import something', (t) => {
  t.true(FILES.length > 80, `${FILES.length} files`);
  t.true(FILES.includes(path.join('harness', 'run', 'runner.ts')));
  t.true([...GRAPH.values()].filter((deps) => deps.length > 0).length > FILES.length / 2);
});

test('no import cycles (Tarjan: every strongly connected component is one file)', (t) => {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of GRAPH.get(v) ?? []) {
      if (!GRAPH.has(w)) continue; // outside the source dirs (tests, node_modules)
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (GRAPH.get(v) ?? []).includes(v)) cycles.push(scc);
    }
  };
  for (const f of FILES) if (!index.has(f)) visit(f);
  t.deepEqual(cycles, [], `import cycles:\n${cycles.map((c) => c.join(' <-> ')).join('\n')}`);
});

/** Which top-level folders each layer may import from. */
const ALLOWED: Record<string, string[]> = {
  ground: ['ground'],
  drivers: ['ground', 'drivers'],
  scenarios: ['ground', 'drivers', 'scenarios'],
  // reports only render: results (ground) and the analyses made in harness/analysis.
  reports: ['ground', 'reports', 'harness/analysis'],
  // The analyses reports render: computed from results and readings only, never from the run or CLI stages or renderers.
  'harness/analysis': ['ground', 'drivers', 'scenarios', 'harness/analysis'],
  harness: ['ground', 'drivers', 'scenarios', 'harness', 'reports'],
  benchmarks: ['ground', 'drivers', 'scenarios', 'harness', 'reports', 'benchmarks'],
};

test('layers point down: drivers never import harness; reports never import drivers; analysis never imports reports', (t) => {
  const wrong: string[] = [];
  for (const [file, deps] of GRAPH) {
    for (const dep of deps) {
      const layer = file.startsWith(`harness${path.sep}analysis${path.sep}`) ? 'harness/analysis' : top(file);
      const ok = ALLOWED[layer]!.some((layer) => dep === layer || dep.startsWith(`${layer}${path.sep}`));
      if (!ok) wrong.push(`${file} imports ${dep}`);
    }
  }
  t.deepEqual(wrong, []);
});

test(`no source file over ${MAX_LINES} lines unless its opening comment says why`, (t) => {
  const long: string[] = [];
  for (const [file, text] of TEXT) {
    const lines = text.split('\n').length;
    const opening = /^\s*\/\*[\s\S]*?\*\//.exec(text)?.[0] ?? '';
    if (lines > MAX_LINES && !/longer than \d+ lines because/i.test(opening)) long.push(`${file}: ${lines} lines`);
  }
  t.deepEqual(long, []);
});

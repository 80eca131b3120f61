/* An output directory holds one run (harness/run/out-dir.ts), on real files in a temp dir. */
import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT } from '../../ground/errors.ts';
import { assertOutDirFree, claimOutDir, outDirForRun, OutDirTakenError } from '../../harness/run/out-dir.ts';

const root = mkdtempSync(path.join(tmpdir(), 'xdpbt-outdir-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function dir(): string {
  const d = path.join(root, `d${n++}`);
  mkdirSync(d);
  return d;
}
const run = (runId: string, state: string) => JSON.stringify({ runId, state, startedAt: '2026-12-02T05:00:00.000Z' });

test('the first claim writes results.json; a second is refused (exit 2) naming the run, the first file untouched, no temp left', (t) => {
  const d = dir();
  claimOutDir(d, run('aaaa1111', 'running'));
  const err = t.throws(() => claimOutDir(d, run('bbbb2222', 'running')), { instanceOf: OutDirTakenError });
  t.is(err!.exitCode, EXIT.usage);
  t.is(err!.message, `--out ${d}: already holds a run (run aaaa1111, in progress, started 2026-12-02T05:00:00.000Z: ${d}/results.json); a run directory is never reused: choose a new --out, or leave --out out (results/<timestamp>)`);
  t.is(readFileSync(path.join(d, 'results.json'), 'utf8'), run('aaaa1111', 'running'));
  t.deepEqual(readdirSync(d), ['results.json']);
});

test('a finished run, a foreign results.json and a dangling symlink all count as taken; other files do not', (t) => {
  const done = dir();
  writeFileSync(path.join(done, 'results.json'), run('cccc3333', 'complete'));
  t.regex(t.throws(() => assertOutDirFree(done))!.message, /already holds a run \(run cccc3333, state complete, started /);
  const foreign = dir();
  writeFileSync(path.join(foreign, 'results.json'), 'not json');
  t.regex(t.throws(() => assertOutDirFree(foreign))!.message, new RegExp(`already holds a run \\(${foreign}/results.json\\)`));
  const dangling = dir();
  symlinkSync(path.join(root, 'nowhere'), path.join(dangling, 'results.json'));
  t.throws(() => assertOutDirFree(dangling), { instanceOf: OutDirTakenError });
  t.throws(() => claimOutDir(dangling, run('dddd4444', 'running')), { instanceOf: OutDirTakenError });
  const other = dir();
  writeFileSync(path.join(other, 'notes.txt'), 'mine');
  t.notThrows(() => assertOutDirFree(other));
  t.notThrows(() => assertOutDirFree(path.join(root, 'not-yet')));
});

test('outDirForRun: a given --out must be free; the default moves on to -2, -3 when taken', (t) => {
  const d = dir();
  t.is(outDirForRun(d, true), d);
  t.is(outDirForRun(d, false), d);
  writeFileSync(path.join(d, 'results.json'), run('eeee5555', 'complete'));
  t.throws(() => outDirForRun(d, true), { instanceOf: OutDirTakenError });
  t.is(outDirForRun(d, false), `${d}-2`);
  mkdirSync(`${d}-2`);
  writeFileSync(path.join(`${d}-2`, 'results.json'), run('ffff6666', 'running'));
  t.is(outDirForRun(d, false), `${d}-3`);
});

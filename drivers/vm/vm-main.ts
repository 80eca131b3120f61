/* `bench vm prepare|status|run` until cli.ts wires them in:
 *   node --import tsx drivers/vm/vm-main.ts prepare
 *   node --import tsx drivers/vm/vm-main.ts status
 *   node --import tsx drivers/vm/vm-main.ts run [--timeout-s N] [--keep] [--out-dir DIR] -- CMD ARGS...
 * Exit codes as bench's: 0 ok, 1 failure, 2 usage, 3 missing (with the fix). */
import path from 'node:path';
import { BenchError, EXIT } from '../../ground/errors.ts';
import { runInVm, vmAvailability } from './qemu-vm.ts';
import { prepareVmImage, vmCacheDir } from './vm-image.ts';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'prepare') {
    const t0 = performance.now();
    const image = await prepareVmImage({ log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`${JSON.stringify({ ok: true, ms: Math.round(performance.now() - t0), image }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (cmd === 'status') {
    const a = await vmAvailability();
    process.stdout.write(`${JSON.stringify({ cacheDir: vmCacheDir(), ...a }, null, 2)}\n`);
    return a.available ? EXIT.ok : EXIT.missingCapability;
  }
  if (cmd === 'run') {
    const dd = rest.indexOf('--');
    const opts = dd < 0 ? rest : rest.slice(0, dd);
    const command = dd < 0 ? [] : rest.slice(dd + 1);
    let timeoutS = 120;
    let keep = false;
    let outDir: string | undefined;
    for (let i = 0; i < opts.length; i++) {
      if (opts[i] === '--timeout-s' && /^\d+$/.test(opts[i + 1] ?? '')) timeoutS = Number(opts[++i]);
      else if (opts[i] === '--keep') keep = true;
      else if (opts[i] === '--out-dir' && opts[i + 1]) outDir = path.resolve(opts[++i]!);
      else {
        process.stderr.write(`vm run: unknown option ${opts[i]}\n`);
        return EXIT.usage;
      }
    }
    if (!command.length) {
      process.stderr.write('vm run: needs -- CMD ARGS...\n');
      return EXIT.usage;
    }
    const r = await runInVm({ argv: command, timeoutMs: timeoutS * 1000, keepJobDir: keep, outDir });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.stderr.write(`vm: exit ${r.exitCode}, guest ${r.guestKernel}, boot ${(r.bootMs / 1000).toFixed(1)} s, command ${(r.commandMs / 1000).toFixed(1)} s, total ${(r.totalMs / 1000).toFixed(1)} s${r.jobDir ? `, job dir ${r.jobDir}` : ''}\n`);
    return r.exitCode === 0 ? EXIT.ok : EXIT.runFailure;
  }
  process.stderr.write('usage: vm-main.ts prepare | status | run [--timeout-s N] [--keep] [--out-dir DIR] -- CMD ARGS...\n');
  return EXIT.usage;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`vm: ${(err as Error).message}\n`);
    process.exit(err instanceof BenchError ? err.exitCode : EXIT.runFailure);
  },
);

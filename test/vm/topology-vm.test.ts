/* bench run --topology vm, for real: the same harness in the guest, real pktgen,
 * results back on the host marked emulated. */
import test from 'ava';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../ground/paths.ts';
import type { AttachedCase, OkCase, RunResults } from '../../ground/result-schema.ts';
import { vmImage } from './helpers.ts';

test.serial('bench run drop-all --topology vm --generator pktgen: native and generic on virtio-net driven by real pktgen, emulated; offload attached on netdevsim with the native program\'s tag, no pps', async (t) => {
  t.timeout(300_000);
  await vmImage(); // prepared once (cached) by the VM helpers
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-vm-run-'));
  try {
    const out = path.join(dir, 'out');
    const r = await execa(path.join(REPO_ROOT, 'bench'), ['run', 'drop-all', '--modes', 'native,generic,offload', '--topology', 'vm', '--generator', 'pktgen', '--trials', '2', '--duration', '0.5', '--warmup', '0.3', '--out', out], { reject: false, timeout: 280_000 });
    t.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResults;
    t.true(results.environment.emulated);
    t.regex(results.environment.guestKernel ?? '', /^6\.1\./);
    t.is(results.parameters.generator, 'pktgen');
    // The guest's two virtio-net ports are the gen/DUT pair: a real NIC driver with native XDP.
    t.is(results.environment.driver, 'virtio_net');
    for (const mode of ['native', 'generic'] as const) {
      const c = results.cases.find((x) => x.mode === mode) as OkCase;
      t.is(c.state, 'ok', `${mode}: ${JSON.stringify(c)}`.slice(0, 500));
      for (const trial of c.trials) t.true(trial.xdpPps > 0 && trial.actionPps.drop / trial.xdpPps > 0.99, `${mode}: every frame dropped`);
      // virtio-net's own XDP counters (ethtool -S) exist only for native mode.
      if (mode === 'native') for (const trial of c.trials) t.true((trial.driverXdpPps ?? 0) > 0);
    }
    // Offload: the same program of the same object, bound to a netdevsim port: attached and verified, never a pps.
    const offload = results.cases.find((c) => c.mode === 'offload') as AttachedCase;
    t.is(offload.state, 'attached', JSON.stringify(offload));
    t.is(offload.driver, 'netdevsim');
    t.true(Number.isInteger(offload.progId) && offload.progId > 0);
    t.false('stats' in offload || 'trials' in offload, 'an attached case has no figure');
    const native = results.cases.find((c) => c.mode === 'native') as OkCase;
    t.regex(native.progTag ?? '', /^[0-9a-f]{16}$/, 'the native case records its program tag');
    t.not(offload.progId, native.progId, 'offload is its own, device-bound load');
    t.is(offload.progTag, native.progTag ?? '', 'the kernel\'s tag: the same instructions as the native program');
    t.true(offload.notes.some((n) => /capped at 2 entries/.test(n)));
    t.regex(r.stdout, /drop-all\s+offload\s.*attached \(netdevsim, no datapath\): prog id \d+, tag [0-9a-f]{16}/);
    t.regex(r.stdout, /EMULATED: measured in a qemu guest/);
    t.regex(r.stderr, /\[vm\] .*drop-all\/native\/64B: trial 1\/2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

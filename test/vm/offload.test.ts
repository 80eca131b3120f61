/* Offload mode on netdevsim, in the VM (netdevsim built out of tree by the
 * image preparation): attach, verify it is offloaded, detach, with the
 * harness's own helper. netdevsim never runs the program on packets: an
 * offload case there is attached-but-no-datapath, never a pps. */
import test from 'ava';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../ground/paths.ts';
import { inVm, jsonLines, tsArgv, vmImage } from './helpers.ts';

test.serial('netdevsim offload in the VM: attach, xdpb query shows an offload id, bpftool says offloaded_to, detach', async (t) => {
  t.timeout(180_000);
  const image = await vmImage();
  t.truthy(image.netdevsimKo, `netdevsim was built: ${image.netdevsimError ?? ''}`);
  // A map-less xdp_drop: offload with nothing the harness adapts (bench.bpf.o's maps need the cap to 2 entries).
  const dir = mkdtempSync(path.join(tmpdir(), 'xdpb-offload-obj-'));
  try {
    const obj = path.join(dir, 'xdp_drop_offload.bpf.o');
    const cc = await execa('clang', ['-O2', '-g', '-Wall', '-target', 'bpf', `-I/usr/include/${process.arch === 'x64' ? 'x86_64' : process.arch}-linux-gnu`, '-c', path.join(REPO_ROOT, 'test/vm/programs/xdp_drop_offload.bpf.c'), '-o', obj], { reject: false, timeout: 60_000 });
    t.is(cc.exitCode, 0, String(cc.stderr));
    // The guest's /tmp is its own: the object's dir is shared in as the out dir.
    const r = await inVm(t, { argv: tsArgv('test/vm/guest/offload-netdevsim.ts', '--obj', obj), timeoutMs: 150_000, outDir: dir });
    t.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    const o = jsonLines<{
      ok: boolean; error?: string; dev: string;
      benchObject: { ok: boolean; error?: string; errno?: number };
      capped: { name: string; ok: boolean; progTag?: string; plainTag: string; offloadId?: number; error?: string }[];
      before: { offload: number }; attached: { native: number; generic: number; offload: number }; after: { offload: number };
      prog: { id: number; name: string; dev?: { ifindex: number } }; xdpoffloadInLink: boolean;
    }>(r.stdout)[0]!;
    t.true(o.ok, o.error);
    t.is(o.before.offload, 0);
    t.true(o.attached.offload > 0, 'xdpb query: an offload program id');
    t.is(o.attached.native, 0);
    t.is(o.attached.generic, 0);
    t.is(o.prog.id, o.attached.offload);
    t.is(o.prog.name, 'xdp_drop');
    t.truthy(o.prog.dev, 'bpftool: the program is bound to (offloaded to) a device');
    t.true(o.xdpoffloadInLink, 'ip link shows xdpoffload');
    t.is(o.after.offload, 0, 'detached');
    // The harness's own object as the file is: its 5-entry counters are more than netdevsim allocates (2 per map).
    t.false(o.benchObject.ok);
    t.regex(o.benchObject.error!, /load-object.*\(errno 12\).*map 'xdpb_stats': failed to create/);
    t.log(`bench.bpf.o in offload mode, maps as in the file: ${o.benchObject.error}`);
    // With the maps capped at 2 it offloads: no global data any more. Every program but the redirects
    // (a devmap cannot be offloaded), with the same tag as the same program's plain load.
    const names = o.capped.map((c) => c.name);
    t.true(names.includes('xdp_drop') && names.includes('xdp_pass__parse_ip') && names.includes('xdp_tx'), names.join(','));
    for (const c of o.capped) {
      if (c.name.startsWith('xdp_redirect')) {
        t.false(c.ok, `${c.name}: its devmap cannot be offloaded (libbpf leaves it out; the load is refused)`);
        t.regex(c.error ?? '', /load-object .*prog 'xdp_redirect\w*': failed to load/, c.name);
        continue;
      }
      t.true(c.ok, `${c.name}: ${c.error ?? ''}`);
      t.true((c.offloadId ?? 0) > 0, `${c.name}: an offload id`);
      t.regex(c.progTag ?? '', /^[0-9a-f]{16}$/);
      t.is(c.progTag, c.plainTag, `${c.name}: same instructions offloaded as loaded for native`);
    }
    t.log(o.capped.map((c) => `${c.name}: ${c.ok ? `offloaded, tag ${c.progTag}` : `refused: ${c.error}`}`).join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/* Runs INSIDE the VM (started by test/vm/offload.test.ts through runInVm):
 * offload mode on netdevsim with the harness's own attach/query/detach
 * (drivers/xdpb-helper.ts, native/build/xdpb). Prints one JSON line.
 *
 *   node --import tsx test/vm/guest/offload-netdevsim.ts --obj OFFLOADABLE.o
 *
 * 1. netdevsim device 1 (one port), moved into a netns as the harness's DUT would be;
 * 2. bench.bpf.o's xdp_drop in offload mode as the file is: what the kernel says (netdevsim
 *    allocates at most 2 entries per map; xdpb_stats has 5);
 * 3. every program of bench.bpf.o in offload mode with the maps capped at 2 (--offload-max-entries):
 *    attached or refused, with its tag, and the tag of the same program loaded for native;
 * 4. OFFLOADABLE.o's xdp_drop in offload mode: attached, `xdpb query` shows an offload id,
 *    bpftool shows it offloaded_to the device; then detached, and the id is 0 again. */
import { readdirSync, rmSync } from 'node:fs';
import { run } from '../../../ground/exec.ts';
import { BENCH_OBJECT } from '../../../ground/paths.ts';
import { createNetdevsim, removeNetdevsim } from '../../../drivers/netdevsim.ts';
import { deleteNetns } from '../../../drivers/veth-topology.ts';
import { attachProgram, detachProgram, loadObject, queryAttached } from '../../../drivers/xdpb-helper.ts';

async function main(): Promise<void> {
  const i = process.argv.indexOf('--obj');
  const obj = i >= 0 ? process.argv[i + 1] : undefined;
  if (!obj) throw new Error('--obj OFFLOADABLE.o is required');
  const netns = 'xdpb-5e5e00aa-dut';
  await run(['ip', 'netns', 'add', netns]);
  let device: { id: number } | null = null;
  try {
    const d = await createNetdevsim(1, netns);
    device = d;
    const target = { netns, dev: d.dev, mode: 'offload' as const };
    let benchObject: { ok: boolean; error?: string; errno?: number };
    try {
      await attachProgram(target, { objectPath: BENCH_OBJECT, programName: 'xdp_drop', pinDir: '/sys/fs/bpf/xdpb-5e5e00aa-bench' });
      benchObject = { ok: true };
      await detachProgram(target);
    } catch (err) {
      benchObject = { ok: false, error: (err as Error).message, errno: (err as { errno?: number }).errno };
    }
    // 3: each program, maps capped; tags against a plain (native-style) load of the same file.
    const plain = await loadObject(BENCH_OBJECT, '/sys/fs/bpf/xdpb-5e5e00aa-plain');
    const capped: { name: string; ok: boolean; progTag?: string; plainTag: string; offloadId?: number; error?: string }[] = [];
    for (const p of plain.programs) {
      try {
        const a = await attachProgram(target, { objectPath: BENCH_OBJECT, programName: p.name, pinDir: `/sys/fs/bpf/xdpb-5e5e00aa-cap-${p.name}`, offloadMaxEntries: 2 });
        const q = await queryAttached(netns, d.dev);
        await detachProgram(target);
        capped.push({ name: p.name, ok: true, progTag: a.progTag, plainTag: p.tag, offloadId: q.offload });
      } catch (err) {
        capped.push({ name: p.name, ok: false, plainTag: p.tag, error: (err as Error).message });
      }
    }
    const before = await queryAttached(netns, d.dev);
    await attachProgram(target, { objectPath: obj, programName: 'xdp_drop', pinDir: '/sys/fs/bpf/xdpb-5e5e00aa-off' });
    const attached = await queryAttached(netns, d.dev);
    const prog = JSON.parse((await run(['bpftool', '-j', 'prog', 'show', 'id', String(attached.offload)])).stdout) as Record<string, unknown>;
    const link = (await run(['ip', '-n', netns, '-d', 'link', 'show', 'dev', d.dev])).stdout;
    await detachProgram(target);
    const after = await queryAttached(netns, d.dev);
    process.stdout.write(`${JSON.stringify({ ok: true, dev: d.dev, benchObject, capped, before, attached, prog, xdpoffloadInLink: /\bxdpoffload\b/.test(link), after })}\n`);
  } finally {
    await deleteNetns(netns);
    if (device) await removeNetdevsim(device);
    for (const pin of readdirSync('/sys/fs/bpf').filter((n) => n.startsWith('xdpb-5e5e00aa-'))) rmSync(`/sys/fs/bpf/${pin}`, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: (err as Error).message, name: (err as Error).name })}\n`);
  process.exitCode = 1;
});

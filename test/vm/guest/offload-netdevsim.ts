/* Runs INSIDE the VM (started by test/vm/offload.test.ts through runInVm):
 * offload mode on netdevsim with the harness's own attach/query/detach
 * (drivers/xdpb-helper.ts, native/build/xdpb). Prints one JSON line.
 *
 *   node --import tsx test/vm/guest/offload-netdevsim.ts --obj OFFLOADABLE.o
 *
 * 1. netdevsim device 1 (one port), moved into a netns as the harness's DUT would be;
 * 2. bench.bpf.o's xdp_drop in offload mode: what the kernel says (its maps cannot be offloaded);
 * 3. OFFLOADABLE.o's xdp_drop in offload mode: attached, `xdpb query` shows an offload id,
 *    bpftool shows it offloaded_to the device; then detached, and the id is 0 again. */
import { run } from '../../../harness/exec.ts';
import { BENCH_OBJECT } from '../../../harness/paths.ts';
import { createNetdevsim, removeNetdevsim } from '../../../drivers/netdevsim.ts';
import { deleteNetns } from '../../../drivers/veth-topology.ts';
import { attachProgram, detachProgram, queryAttached } from '../../../drivers/xdpb-helper.ts';

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
    const before = await queryAttached(netns, d.dev);
    await attachProgram(target, { objectPath: obj, programName: 'xdp_drop', pinDir: '/sys/fs/bpf/xdpb-5e5e00aa-off' });
    const attached = await queryAttached(netns, d.dev);
    const prog = JSON.parse((await run(['bpftool', '-j', 'prog', 'show', 'id', String(attached.offload)])).stdout) as Record<string, unknown>;
    const link = (await run(['ip', '-n', netns, '-d', 'link', 'show', 'dev', d.dev])).stdout;
    await detachProgram(target);
    const after = await queryAttached(netns, d.dev);
    process.stdout.write(`${JSON.stringify({ ok: true, dev: d.dev, benchObject, before, attached, prog, xdpoffloadInLink: /\bxdpoffload\b/.test(link), after })}\n`);
  } finally {
    await deleteNetns(netns);
    if (device) await removeNetdevsim(device);
  }
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: (err as Error).message, name: (err as Error).name })}\n`);
  process.exitCode = 1;
});

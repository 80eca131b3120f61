/* Runs INSIDE the VM (started by test/vm/pktgen.test.ts through runInVm): the
 * real pktgen driver (drivers/pktgen.ts) in several cases, one JSON line each.
 *
 *   node --import tsx test/vm/guest/pktgen-cases.ts [--duration-ms N] [--fixture-dir DIR] CASE...
 *
 * Cases:
 *   veth-start-xmit       gen0 -> dut0 (veth, namespaces), native XDP_DROP on dut0
 *   veth-start-xmit-2cpu  the same with a kpktgend thread on CPU 0 and CPU 1
 *   veth-netif-receive    frames injected into dut0's receive path (burst 32), no XDP (the stack drops them)
 *   veth-netif-receive-generic-refused  the same with generic XDP on dut0: the driver refuses (it panics 6.1)
 *   veth-burst-refused    start_xmit with burst 8 on veth (no IFF_TX_SKB_SHARING): pktgen says ENOTSUPP
 *   virtio-start-xmit     eth0 -> qemu hub -> eth1 (virtio-net), native XDP_DROP on eth1
 *
 * --fixture-dir writes the raw /proc/net/pktgen files after each case; it must
 * be inside the VM job's outDir (the guest's /tmp is its own tmpfs). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../ground/exec.ts';
import { buildUdpFrame } from '../../../ground/frame.ts';
import { BENCH_OBJECT } from '../../../ground/paths.ts';
import { createPktgenDriver, parsePktgenDevice, pktgenDeviceName, type PktgenXmitMode } from '../../../drivers/pktgen.ts';
import { bringUpVeth, deleteNetns, planVethTopology, type Endpoint } from '../../../drivers/veth-topology.ts';
import { attachProgram, detachProgram, execInNetnsArgv, queryAttached } from '../../../drivers/xdpb-helper.ts';
import type { XdpMode } from '../../../ground/result-schema.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function rxStats(e: Endpoint): Promise<Record<string, number>> {
  const out = await run(['ip', '-n', e.netns, '-j', '-s', 'link', 'show', 'dev', e.dev]);
  const s = (JSON.parse(out.stdout) as { stats64: { rx: { packets: number; dropped: number } } }[])[0]!.stats64;
  const stats: Record<string, number> = { rxPackets: s.rx.packets, rxDropped: s.rx.dropped };
  const eth = await run(execInNetnsArgv(e.netns, ['ethtool', '-S', e.dev]), { okExitCodes: [0, 1, 94] });
  for (const m of eth.stdout.matchAll(/^\s*(\w*xdp\w*):\s*(\d+)$/gm)) stats[m[1]!] = Number(m[2]);
  return stats;
}

function delta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(b).map((k) => [k, b[k]! - (a[k] ?? 0)]));
}

interface Case {
  name: string;
  mode: PktgenXmitMode;
  cpus: number[];
  burst: number;
  virtio: boolean;
  xdp: XdpMode | null;
}

const CASES: Record<string, Case> = {
  'veth-start-xmit': { name: 'veth-start-xmit', mode: 'start_xmit', cpus: [0], burst: 1, virtio: false, xdp: 'native' },
  'veth-start-xmit-2cpu': { name: 'veth-start-xmit-2cpu', mode: 'start_xmit', cpus: [0, 1], burst: 1, virtio: false, xdp: 'native' },
  'veth-netif-receive': { name: 'veth-netif-receive', mode: 'netif_receive', cpus: [0], burst: 32, virtio: false, xdp: null },
  'veth-netif-receive-generic-refused': { name: 'veth-netif-receive-generic-refused', mode: 'netif_receive', cpus: [0], burst: 1, virtio: false, xdp: 'generic' },
  'veth-burst-refused': { name: 'veth-burst-refused', mode: 'start_xmit', cpus: [0], burst: 8, virtio: false, xdp: null },
  'virtio-start-xmit': { name: 'virtio-start-xmit', mode: 'start_xmit', cpus: [0], burst: 32, virtio: true, xdp: 'native' },
};

interface Rig {
  gen0: Endpoint;
  dut0: Endpoint;
}

/** One topology per kind for all cases (bringing one up costs seconds under TCG); removed at the end. */
async function rigFor(virtio: boolean, created: string[], rigs: Map<boolean, Rig>): Promise<Rig> {
  const have = rigs.get(virtio);
  if (have) return have;
  const topo = planVethTopology(virtio ? 'xdpb-5e5e0002' : 'xdpb-5e5e0001');
  let rig: Rig;
  if (virtio) {
    // The two virtio-net NICs are ports of one qemu hub: eth0 sends, eth1 receives.
    for (const ns of [topo.genNetns, topo.dutNetns]) {
      await run(['ip', 'netns', 'add', ns]);
      created.push(ns);
    }
    rig = { gen0: { ...topo.gen0, dev: 'eth0', mac: '52:54:00:78:64:10' }, dut0: { ...topo.dut0, dev: 'eth1', mac: '52:54:00:78:64:11' } };
    for (const e of [rig.gen0, rig.dut0]) {
      await run(['ip', 'link', 'set', e.dev, 'netns', e.netns]);
      await run(['ip', '-n', e.netns, 'link', 'set', e.dev, 'up']);
    }
  } else {
    await bringUpVeth(topo, (ns) => created.push(ns));
    rig = { gen0: topo.gen0, dut0: topo.dut0 };
  }
  rigs.set(virtio, rig);
  return rig;
}

async function runCase(c: Case, rig: Rig, durationMs: number, fixtureDir: string): Promise<Record<string, unknown>> {
  const { gen0, dut0 } = rig;
  const target = c.xdp ? { netns: dut0.netns, dev: dut0.dev, mode: c.xdp } : null;
  if (target) await attachProgram(target, { objectPath: BENCH_OBJECT, programName: 'xdp_drop', pinDir: `/sys/fs/bpf/xdpb-5e5e-${c.name}` });
  try {
    const attached = target ? await queryAttached(dut0.netns, dut0.dev) : null;
    const driver = createPktgenDriver({ xmitMode: c.mode, burst: c.burst });
    // netif_receive injects into the receive path of the device it is given: the DUT's.
    const sender = c.mode === 'netif_receive' ? dut0 : gen0;
    const frame = buildUdpFrame({ srcMac: gen0.mac, dstMac: dut0.mac, srcIp: gen0.ip, dstIp: dut0.ip, srcPort: 9, dstPort: 9, pktSizeBytes: 64 });
    const before = await rxStats(dut0);
    const t0 = performance.now();
    let running;
    try {
      running = await driver.start({ netns: sender.netns, dev: sender.dev, frame, durationMs, cpus: c.cpus, ratePps: 0, flows: 1, scratchDir: mkdtempSync(path.join(os.tmpdir(), 'pktgen-')) });
    } catch (err) {
      return { case: c.name, ok: false, error: (err as Error).message, errorName: (err as Error).name };
    }
    const startMs = performance.now() - t0;
    const progress: number[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, durationMs / 4));
      progress.push((await running.progress()).packets);
    }
    const report = await running.finished;
    const after = await rxStats(dut0);
    const files: Record<string, string> = {};
    for (const f of [...c.cpus.map((cpu) => `kpktgend_${cpu}`), ...c.cpus.map((cpu) => pktgenDeviceName(sender.dev, cpu))]) {
      files[f] = (await run(execInNetnsArgv(sender.netns, ['cat', `/proc/net/pktgen/${f}`]))).stdout;
    }
    if (fixtureDir) for (const [f, text] of Object.entries(files)) writeFileSync(path.join(fixtureDir, `${c.name}-${f.replace(/@/g, '_at_')}.txt`), `${text}\n`);
    const results = Object.fromEntries(Object.entries(files).filter(([f]) => f.includes('@')).map(([f, text]) => [f, parsePktgenDevice(text)]));
    return { case: c.name, ok: true, startMs: Math.round(startMs), report, progress, dutDelta: delta(before, after), attached, results };
  } finally {
    if (target) await detachProgram(target);
  }
}

async function main(): Promise<void> {
  const durationMs = Number(option('--duration-ms', '1500'));
  const fixtureDir = option('--fixture-dir', '');
  const names = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
  if (!names.length) throw new Error(`name one or more cases: ${Object.keys(CASES).join(', ')}`);
  const created: string[] = [];
  const rigs = new Map<boolean, Rig>();
  try {
    for (const name of names) {
      const c = CASES[name];
      if (!c) throw new Error(`unknown case ${name}`);
      const t0 = performance.now();
      const r = await runCase(c, await rigFor(c.virtio, created, rigs), durationMs, fixtureDir);
      process.stdout.write(`${JSON.stringify({ ...r, caseMs: Math.round(performance.now() - t0) })}\n`);
    }
  } finally {
    for (const ns of created.reverse()) await deleteNetns(ns);
  }
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: (err as Error).stack ?? String(err) })}\n`);
  process.exitCode = 1;
});

/* Topology `veth`: two network namespaces joined by two veth pairs.
 *
 *   xdpb-<id>-gen                      xdpb-<id>-dut
 *   g<id>-0 198.18.0.1 -------------- d<id>-0 198.18.0.2   ingress: the DUT program
 *   g<id>-1 198.19.0.1 -------------- d<id>-1 198.19.0.2   egress of the redirect scenario
 *
 * 198.18.0.0/15 is the range RFC 2544 reserves for benchmarking. Every name
 * carries the run id, so two runs never collide and leftovers are found; the
 * device names too, because the kernel names threaded-NAPI kthreads after
 * the device ("napi/d<id>-0-N"), and the harness must find its own.
 * (Field names gen0/dut0/... are roles; `.dev` is the interface name.)
 */
import { run } from '../ground/exec.ts';

export interface Endpoint {
  netns: string;
  dev: string;
  mac: string;
  ip: string;
}

export interface VethTopology {
  kind: 'veth';
  genNetns: string;
  dutNetns: string;
  /** Generator side of the ingress pair, and the DUT's ingress interface. */
  gen0: Endpoint;
  dut0: Endpoint;
  /** Redirect egress pair. */
  dut1: Endpoint;
  gen1: Endpoint;
}

/** `resourcePrefix` is `xdpb-<8 hex run id>`; interface names use the id (IFNAMSIZ is 16). */
export function planVethTopology(resourcePrefix: string): VethTopology {
  const genNetns = `${resourcePrefix}-gen`;
  const dutNetns = `${resourcePrefix}-dut`;
  const id = resourcePrefix.slice(-8);
  return {
    kind: 'veth',
    genNetns,
    dutNetns,
    gen0: { netns: genNetns, dev: `g${id}-0`, mac: '02:58:44:50:00:10', ip: '198.18.0.1' },
    dut0: { netns: dutNetns, dev: `d${id}-0`, mac: '02:58:44:50:00:20', ip: '198.18.0.2' },
    gen1: { netns: genNetns, dev: `g${id}-1`, mac: '02:58:44:50:00:11', ip: '198.19.0.1' },
    dut1: { netns: dutNetns, dev: `d${id}-1`, mac: '02:58:44:50:00:21', ip: '198.19.0.2' },
  };
}

/**
 * Two existing NICs cabled to each other to use as the gen0/dut0 pair instead
 * of a veth pair (in the VM: two virtio-net ports on one qemu hub). They are
 * moved into the namespaces and renamed; deleting the namespaces gives them back.
 */
export interface ExistingPair {
  genDev: string;
  dutDev: string;
  driver: string;
}

/** The ip(8) commands that build the topology, in order (pure, for tests and --dry-run). */
export function vethUpCommands(t: VethTopology, existing?: ExistingPair): string[][] {
  const cmds: string[][] = [
    ['ip', 'netns', 'add', t.genNetns],
    ['ip', 'netns', 'add', t.dutNetns],
  ];
  if (existing) {
    for (const [dev, e] of [[existing.genDev, t.gen0], [existing.dutDev, t.dut0]] as const) {
      cmds.push(['ip', 'link', 'set', 'dev', dev, 'netns', e.netns]);
      cmds.push(['ip', '-n', e.netns, 'link', 'set', 'dev', dev, 'name', e.dev, 'address', e.mac]);
    }
  }
  for (const [a, b] of (existing ? [[t.gen1, t.dut1]] : [[t.gen0, t.dut0], [t.gen1, t.dut1]]) as [Endpoint, Endpoint][]) {
    // Created directly inside the namespaces: the root namespace never sees them.
    cmds.push(['ip', 'link', 'add', a.dev, 'netns', a.netns, 'address', a.mac, 'type', 'veth',
      'peer', 'name', b.dev, 'netns', b.netns, 'address', b.mac]);
  }
  for (const e of [t.gen0, t.dut0, t.gen1, t.dut1]) {
    cmds.push(['ip', '-n', e.netns, 'addr', 'add', `${e.ip}/24`, 'dev', e.dev]);
    cmds.push(['ip', '-n', e.netns, 'link', 'set', e.dev, 'up']);
  }
  for (const ns of [t.genNetns, t.dutNetns]) cmds.push(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  // Static neighbours: no ARP traffic mixed into the counters.
  cmds.push(['ip', '-n', t.genNetns, 'neigh', 'replace', t.dut0.ip, 'lladdr', t.dut0.mac, 'dev', t.gen0.dev, 'nud', 'permanent']);
  cmds.push(['ip', '-n', t.dutNetns, 'neigh', 'replace', t.gen0.ip, 'lladdr', t.gen0.mac, 'dev', t.dut0.dev, 'nud', 'permanent']);
  cmds.push(['ip', '-n', t.dutNetns, 'neigh', 'replace', t.gen1.ip, 'lladdr', t.gen1.mac, 'dev', t.dut1.dev, 'nud', 'permanent']);
  return cmds;
}

/**
 * Kills every process still inside the namespace (an orphaned generator
 * worker, say), then deletes it: that takes its veths and XDP attachments too.
 */
export async function deleteNetns(name: string): Promise<void> {
  const pids = await run(['ip', 'netns', 'pids', name], { okExitCodes: [0, 1] });
  for (const pid of pids.stdout.split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 1)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await run(['ip', 'netns', 'del', name], { okExitCodes: [0, 1] });
}

/**
 * Builds the topology; `onCreated` is called for each namespace as soon as it
 * exists, so the caller's cleanup stack owns it even if a later step fails.
 */
export async function bringUpVeth(t: VethTopology, onCreated: (netns: string) => void, existing?: ExistingPair): Promise<void> {
  for (const argv of vethUpCommands(t, existing)) {
    await run(argv);
    if (argv[1] === 'netns' && argv[2] === 'add') onCreated(argv[3]!);
  }
}

/** GRO on the receiving veth lets XDP-transmitted frames arrive when it has no native XDP program. */
export async function setGro(e: Endpoint, on: boolean): Promise<void> {
  await run(['ip', 'netns', 'exec', e.netns, 'ethtool', '-K', e.dev, 'gro', on ? 'on' : 'off']);
}

export async function listNetns(): Promise<string[]> {
  const out = await run(['ip', '-j', 'netns', 'list'], { okExitCodes: [0, 1] });
  if (!out.stdout.trim()) return [];
  return (JSON.parse(out.stdout) as { name: string }[]).map((n) => n.name);
}

/* netdevsim: the kernel's simulated NIC (drivers/net/netdevsim), the one
 * device here that accepts XDP in *offload* mode. It verifies and "offloads"
 * the program (bpftool shows `offloaded_to`, `ip link` shows xdpoffload) but
 * never runs it on packets: an offload case on netdevsim is
 * attached-but-no-datapath and has no pps.
 *
 * Debian does not build it (CONFIG_NETDEVSIM unset): the VM lab builds it out
 * of tree (drivers/vm/vm-image.ts). Devices are made through sysfs:
 * `echo "ID PORTS" > /sys/bus/netdevsim/new_device`; the netdev's name is under
 * /sys/bus/netdevsim/devices/netdevsimID/net/. One offloaded program per device. */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { run } from '../ground/exec.ts';

export const NETDEVSIM_BUS = '/sys/bus/netdevsim';

export interface NetdevsimDevice {
  id: number;
  /** Interface name (ethN here: no udev renames it). */
  dev: string;
  /** Namespace it was moved into ('' = the root namespace). */
  netns: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether netdevsim can be had here: loaded, or a module modprobe can find. */
export async function netdevsimAvailable(): Promise<boolean> {
  if (existsSync(NETDEVSIM_BUS)) return true;
  const r = await run(['modprobe', '-n', 'netdevsim'], { okExitCodes: [0, 1] }).catch(() => null);
  return r?.exitCode === 0;
}

/**
 * Creates netdevsim device `id` with one port, waits (bounded) for its netdev,
 * and moves it into `netns` when given. The caller removes it (removeNetdevsim).
 */
export async function createNetdevsim(id: number, netns = ''): Promise<NetdevsimDevice> {
  if (!Number.isInteger(id) || id < 1 || id > 65535) throw new RangeError(`netdevsim id must be 1..65535, got ${id}`);
  if (!existsSync(NETDEVSIM_BUS)) await run(['modprobe', 'netdevsim'], { timeoutMs: 60_000 });
  const netDir = `${NETDEVSIM_BUS}/devices/netdevsim${id}/net`;
  if (existsSync(netDir)) throw new Error(`netdevsim${id} already exists`);
  writeFileSync(`${NETDEVSIM_BUS}/new_device`, `${id} 1`);
  let dev = '';
  for (let i = 0; i < 100 && !dev; i++) {
    try {
      dev = readdirSync(netDir)[0] ?? '';
    } catch {
      /* not yet */
    }
    if (!dev) await sleep(50);
  }
  if (!dev) throw new Error(`netdevsim${id} was created but no netdev appeared under ${netDir} within 5 s`);
  if (netns) await run(['ip', 'link', 'set', 'dev', dev, 'netns', netns]);
  await run(['ip', ...(netns ? ['-n', netns] : []), 'link', 'set', 'dev', dev, 'up']);
  return { id, dev, netns };
}

/** The lowest netdevsim device id not in use (1 when the module is not loaded yet). */
export function freeNetdevsimId(): number {
  let used: Set<number>;
  try {
    used = new Set(readdirSync(`${NETDEVSIM_BUS}/devices`).map((d) => Number(d.replace(/^netdevsim/, ''))));
  } catch {
    return 1;
  }
  let id = 1;
  while (used.has(id)) id++;
  return id;
}

export async function removeNetdevsim(d: Pick<NetdevsimDevice, 'id'>): Promise<void> {
  if (existsSync(`${NETDEVSIM_BUS}/devices/netdevsim${d.id}`)) writeFileSync(`${NETDEVSIM_BUS}/del_device`, `${d.id}`);
}

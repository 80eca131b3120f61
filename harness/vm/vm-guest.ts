/* Whether this process runs inside the xdp bench VM guest. The guest's init
 * exports XDPB_VM=1, and with it `bench run` takes over eth0/eth1 (moves them
 * into the run's namespaces and renames them). On a host that would take away
 * its network, so XDPB_VM alone is never trusted: the guest's kernel command
 * line, set by drivers/vm/qemu-vm.ts, must carry the job token too. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../ground/errors.ts';

/** drivers/vm/qemu-vm.ts puts `xdpb.job=JOBDIR` on the guest kernel's command line. */
export const GUEST_CMDLINE_TOKEN = 'xdpb.job=';

export function cmdlineHasGuestToken(cmdline: string): boolean {
  return cmdline.trim().split(/\s+/).some((w) => w.startsWith(GUEST_CMDLINE_TOKEN) && w.length > GUEST_CMDLINE_TOKEN.length);
}

/** The guest-only settings, or null when XDPB_VM is unset; throws when it is set outside the guest. */
export function vmGuestSettings(env: NodeJS.ProcessEnv = process.env, readCmdline = () => readFileSync('/proc/cmdline', 'utf8')): { dutLink?: string; offloadDev?: string } | null {
  if (env.XDPB_VM === undefined || env.XDPB_VM === '' || env.XDPB_VM === '0') return null;
  let cmdline = '';
  try {
    cmdline = readCmdline();
  } catch {
    // No /proc/cmdline: not the guest either.
  }
  if (env.XDPB_VM !== '1' || !cmdlineHasGuestToken(cmdline)) {
    throw new UsageError(`XDPB_VM=${env.XDPB_VM} is set, but this is not the xdp bench VM guest (no ${GUEST_CMDLINE_TOKEN} on /proc/cmdline): ` +
      'it would move and rename this machine\'s eth0 and eth1. Unset XDPB_VM (and XDPB_VM_DUT_LINK, XDPB_VM_OFFLOAD_DEV); for a VM run use --topology vm');
  }
  return { dutLink: env.XDPB_VM_DUT_LINK, offloadDev: env.XDPB_VM_OFFLOAD_DEV };
}

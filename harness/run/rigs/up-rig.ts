/* The rig of a plan: veth (or the VM guest's pair) on this machine, or a lab.
 * A `vm` plan is run inside the guest (harness/vm), never by this runner. */
import type { RigSpec } from '../../plan/plan.ts';
import type { Rig, RigContext } from '../rig.ts';
import { upLabRig } from './lab-rig.ts';
import { upVethRig } from './veth-rig.ts';

export function upRig(spec: RigSpec, cx: RigContext): Promise<Rig> {
  switch (spec.kind) {
    case 'veth':
    case 'vm-pair':
      return upVethRig(spec, cx);
    case 'lab':
      return upLabRig(spec, cx);
    case 'vm':
      throw new Error(`plan ${cx.plan.runId}: rig vm runs inside the VM guest (bench run --topology vm), not here`);
  }
}

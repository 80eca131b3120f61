/* Offload mode on netdevsim (the VM lab, XDPB_VM_OFFLOAD_DEV=netdevsim): the
 * kernel's simulated NIC verifies and offloads an XDP program but never runs
 * it on packets. So the offload case is a check, not a measurement: the
 * scenario's program, from the same object file, is loaded bound to a fresh
 * netdevsim port in the DUT namespace, attached in offload mode, verified
 * (`xdpb query` shows it as the device's offload program; bpf_prog_info says
 * it is bound to that device), detached, and the device removed. The case is
 * `attached` with the program's id and tag (the tag equals the native load's:
 * same instructions), never a pps. A refusal is `skipped` with the kernel's words. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { createNetdevsim, freeNetdevsimId, removeNetdevsim } from '../../drivers/netdevsim.ts';
import { attachProgram, detachProgram, progInfo, queryAttached, type AttachTarget, type LoadOptions } from '../../drivers/xdpb-helper.ts';
import type { CleanupStack } from './cleanup-stack.ts';
import { KernelRefusalError } from '../../ground/errors.ts';
import type { AttachedCase, CaseCommon, SkippedCase } from '../../ground/result-schema.ts';

/** Offload devices the harness can check on; only netdevsim (no datapath) so far. */
import type { OffloadCheckDevice } from '../plan/plan.ts';
export type { OffloadCheckDevice } from '../plan/plan.ts';

/**
 * netdevsim allocates at most NSIM_BPF_MAX_KEYS (2) entries per offloaded map
 * (drivers/net/netdevsim/bpf.c, nsim_bpf_map_alloc: more is ENOMEM), so the
 * offloaded maps are capped at 2; the program's instructions are not touched.
 */
export const NSIM_BPF_MAX_KEYS = 2;

export const NO_DATAPATH_REASON = 'netdevsim verifies and offloads the program but has no datapath: no packets, no pps';

/** Numbers each check's pin dir: two scenarios whose programs share a name must not share one (EEXIST). */
let offloadChecks = 0;

export interface OffloadCheckInput {
  device: OffloadCheckDevice;
  /** Where the DUT lives: the netdevsim port is moved into this namespace. */
  netns: string;
  objectPath: string;
  programName: string;
  /** A user's object: loaded as for its native/generic load (map sizes, untyped section), then capped. */
  load?: LoadOptions;
  /** Pins of the device-bound load go under here (removed with the run's bpffs dir). */
  pinRoot: string;
  stack: CleanupStack;
  log: (line: string) => void;
}

export class OffloadCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffloadCheckError';
  }
}

async function releaseOrThrow(stack: CleanupStack, mark: number): Promise<void> {
  const failures = await stack.releaseTo(mark);
  if (failures.length) throw new OffloadCheckError(failures.map((f) => `${f.what}: ${String(f.error)}`).join('; '));
}

/** One check for all the cases (packet sizes) given: each becomes `attached`, or `skipped` if the kernel refused. */
export async function checkOffloadAttach(input: OffloadCheckInput, cases: CaseCommon[]): Promise<(AttachedCase | SkippedCase)[]> {
  const { stack, netns } = input;
  const mark = stack.size;
  try {
    const nsim = await createNetdevsim(freeNetdevsimId(), netns);
    stack.push(`netdevsim${nsim.id}`, () => removeNetdevsim(nsim));
    const target: AttachTarget = { netns, dev: nsim.dev, mode: 'offload' };
    const notes = [`maps capped at ${NSIM_BPF_MAX_KEYS} entries for the device (netdevsim's NSIM_BPF_MAX_KEYS); the program's instructions are those of the object file`];
    const afterDevice = stack.size;
    let answer;
    try {
      answer = await attachProgram(target, {
        objectPath: input.objectPath, programName: input.programName, offloadMaxEntries: NSIM_BPF_MAX_KEYS,
        pinDir: path.join(input.pinRoot, `offload-check-${++offloadChecks}-${input.programName}`), ...(input.load ? { load: input.load } : {}),
      });
    } catch (err) {
      if (!(err instanceof KernelRefusalError)) throw err;
      input.log(`offload on ${nsim.dev} (netdevsim): skipped: ${err.message}`);
      return cases.map((c) => ({
        ...c, state: 'skipped', reason: `the kernel refused offload XDP on ${nsim.dev} (netdevsim): ${err.message}`,
        kernelMessage: err.kernelMessage, errno: err.errno,
      }));
    }
    stack.push(`detach offload from ${nsim.dev}`, () => detachProgram(target));
    const ids = await queryAttached(netns, nsim.dev);
    if (ids.offload !== answer.progId || ids.native !== 0 || ids.generic !== 0) {
      throw new OffloadCheckError(`after the offload attach of prog ${answer.progId}, ${nsim.dev} reports native ${ids.native}, generic ${ids.generic}, offload ${ids.offload}`);
    }
    const info = await progInfo(answer.progId);
    const nsIno = statSync(`/run/netns/${netns}`).ino;
    if (info.offloadIfindex !== answer.ifindex || info.offloadNetnsIno !== nsIno || info.tag !== answer.progTag) {
      throw new OffloadCheckError(`prog ${answer.progId} is not bound to ${nsim.dev} (ifindex ${answer.ifindex}, netns inode ${nsIno}): bpf_prog_info says ifindex ${info.offloadIfindex}, netns inode ${info.offloadNetnsIno}, tag ${info.tag}`);
    }
    await releaseOrThrow(stack, afterDevice); // detach
    const after = await queryAttached(netns, nsim.dev);
    if (after.offload !== 0) throw new OffloadCheckError(`${nsim.dev} still has offload prog ${after.offload} after the detach`);
    input.log(`offload on ${nsim.dev} (netdevsim): prog ${answer.progId} (tag ${answer.progTag}) offloaded, attached, detached; no datapath, no pps`);
    return cases.map((c) => ({
      ...c, state: 'attached', device: nsim.dev, driver: 'netdevsim', progId: answer.progId, progTag: answer.progTag,
      reason: NO_DATAPATH_REASON, notes,
    }));
  } finally {
    await releaseOrThrow(stack, mark);
  }
}

/* The pktgen driver for real, in the VM (Debian 6.1 kernel, pktgen as a
 * module): the same drivers/pktgen.ts the harness uses, run on a veth pair
 * between two namespaces by test/vm/guest/pktgen-cases.ts. */
import test from 'ava';
import { inVm, jsonLines, tsArgv } from './helpers.ts';
import type { GeneratorReport } from '../../drivers/traffic-driver.ts';
import type { PktgenDeviceState } from '../../drivers/pktgen.ts';

interface CaseResult {
  case: string;
  ok: boolean;
  error?: string;
  errorName?: string;
  report?: GeneratorReport;
  progress?: number[];
  dutDelta?: Record<string, number>;
  attached?: { native: number; generic: number };
  results?: Record<string, PktgenDeviceState>;
  startMs?: number;
  caseMs?: number;
}

test.serial('pktgen in the VM: start_xmit and netif_receive on veth, results parsed; refusals come back as GeneratorFailure', async (t) => {
  t.timeout(240_000);
  const r = await inVm(t, {
    argv: tsArgv('test/vm/guest/pktgen-cases.ts', '--duration-ms', '1500', 'veth-start-xmit', 'veth-netif-receive', 'veth-burst-refused', 'veth-netif-receive-generic-refused'),
    timeoutMs: 220_000,
  });
  t.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  const cases = Object.fromEntries(jsonLines<CaseResult>(r.stdout).map((c) => [c.case, c]));
  for (const c of Object.values(cases)) t.log(`${c.case}: ${c.ok ? `${c.report?.framesSent} frames, start ${c.startMs} ms` : c.error} (${c.caseMs} ms)`);

  // start_xmit gen0 -> dut0, native XDP_DROP on dut0.
  const sx = cases['veth-start-xmit']!;
  t.true(sx.ok, sx.error);
  const [dev, state] = Object.entries(sx.results!)[0]!;
  t.regex(dev, /^g5e5e00\d\d-0@0$/);
  t.truthy(state.result, `Result parsed: ${state.resultText}`);
  t.true(state.result!.pps > 0, 'pktgen reports pps > 0');
  t.is(state.result!.pktSizeBytes, 60);
  t.is(state.result!.errors, 0);
  t.is(sx.report!.framesSent, state.result!.packets, 'the driver reports what pktgen counted');
  t.true(sx.report!.durationMs > 1000 && sx.report!.durationMs < 10_000, `stopped at the duration: ${sx.report!.durationMs} ms`);
  t.true(sx.progress!.length === 3 && sx.progress![2]! > sx.progress![0]!, `pkts-sofar sampled while running: ${sx.progress}`);
  t.true(sx.progress![2]! <= state.result!.packets);
  // Every frame reached the native XDP_DROP on dut0 (veth's own counter); the link's IPv6 chatter (DAD, MLD) may add a few.
  const drops = sx.dutDelta!.rx_queue_0_xdp_drops!;
  t.true(drops >= state.result!.packets && drops <= state.result!.packets + 20, `veth xdp_drops ${drops} vs pktgen ${state.result!.packets}`);
  t.true(sx.attached!.native > 0);

  // netif_receive into dut0 with burst 32: injected into its receive path (not counted as link RX).
  const nr = cases['veth-netif-receive']!;
  t.true(nr.ok, nr.error);
  const nrState = Object.values(nr.results!)[0]!;
  t.is(nrState.xmitMode, 'netif_receive');
  t.true(nrState.result!.packets > 0 && nrState.result!.pps > 0);
  t.is(nr.report!.framesSent, nrState.result!.packets);

  // burst 8 with start_xmit on veth: pktgen refuses (ENOTSUPP): a GeneratorFailure with the file and the reason.
  const br = cases['veth-burst-refused']!;
  t.false(br.ok);
  t.is(br.errorName, 'GeneratorFailure');
  t.regex(br.error!, /writing "burst 8" to \/proc\/net\/pktgen\/g5e5e00\d\d-0@0: pktgen: not supported .*IFF_TX_SKB_SHARING.* \(ENOTSUPP\)/);

  // netif_receive into a device with generic XDP: refused before it could panic the kernel.
  const gr = cases['veth-netif-receive-generic-refused']!;
  t.false(gr.ok);
  t.regex(gr.error!, /refused: xmit_mode netif_receive into a device with a generic XDP program crashes the kernel/);
});

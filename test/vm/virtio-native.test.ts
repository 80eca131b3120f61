/* Native XDP on virtio-net, in the VM: xdp_drop (native/build/bench.bpf.o)
 * attached in native mode on eth1; pktgen start_xmit (burst 32) on eth0 sends
 * through the qemu hub that joins the two NICs, and virtio-net's own
 * rx_queue_0_xdp_drops counts every frame. */
import test from 'ava';
import { inVm, jsonLines, tsArgv } from './helpers.ts';

test.serial('native XDP_DROP on virtio-net in the VM: attached in native mode, every frame pktgen sent dropped by the driver', async (t) => {
  t.timeout(180_000);
  const r = await inVm(t, { argv: tsArgv('test/vm/guest/pktgen-cases.ts', '--duration-ms', '1500', 'virtio-start-xmit'), timeoutMs: 160_000 });
  t.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  const c = jsonLines<{ ok: boolean; error?: string; attached: { native: number; generic: number; offload: number }; report: { framesSent: number }; dutDelta: Record<string, number> }>(r.stdout)[0]!;
  t.true(c.ok, c.error);
  t.true(c.attached.native > 0, 'native (driver) mode on virtio-net');
  t.is(c.attached.generic, 0);
  t.true(c.report.framesSent > 0);
  // virtio-net's own counters: the program ran on every frame pktgen sent and dropped it (the links'
  // IPv6 chatter, DAD and MLD, may add a few frames).
  const near = (v: number | undefined) => v !== undefined && v >= c.report.framesSent && v <= c.report.framesSent + 20;
  t.true(near(c.dutDelta.rx_queue_0_xdp_packets), `xdp_packets ${c.dutDelta.rx_queue_0_xdp_packets} vs pktgen ${c.report.framesSent}`);
  t.true(near(c.dutDelta.rx_queue_0_xdp_drops), `xdp_drops ${c.dutDelta.rx_queue_0_xdp_drops} vs pktgen ${c.report.framesSent}`);
  t.log(`${c.report.framesSent} frames sent and dropped natively on virtio-net`);
});

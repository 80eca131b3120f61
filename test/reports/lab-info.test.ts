/* A lab run's reports name its hosts, interfaces, forced safety checks and clock alignment; a veth "lab" is called virtual. */
import test from 'ava';
import { assertValidResults } from '../../harness/results/results-io.ts';
import type { LabRecord, RunResults } from '../../ground/result-schema.ts';
import { environmentFields, runCaveats } from '../../ground/run-info.ts';
import { renderTerminalTable } from '../../reports/terminal-table.ts';
import { makeResults } from './fixture.ts';

function labRun(driver: string, forced = false): RunResults {
  const r = makeResults();
  r.parameters.topology = 'physical';
  const iface = (role: 'generator' | 'dut', host: string, ifname: string): LabRecord['interfaces'][number] => ({
    role, host, port: 'port0', ifname, macAddress: '02:00:00:00:00:01', driver, driverVersion: '1.0', firmwareVersion: role === 'dut' ? '16.35.2000' : null,
    busInfo: null, linkSpeedMbps: 100000, numRxQueues: 8, numTxQueues: 8, xdpFeatures: null, mtuBytes: 1500, irqCpus: [],
    safetyForced: forced && role === 'dut', safetyReasons: forced && role === 'dut' ? ['carries the IPv4 default route via 192.0.2.1'] : [],
  });
  r.lab = {
    name: 'rack7', configFile: '/etc/xdp-bench/lab.yaml', lock: 'dut1:/run/xdp-bench/locks/dut1__ens2f0.lock',
    hosts: [
      { name: 'loadgen', kind: 'ssh', roles: ['generator'], destination: 'bench@198.18.100.10:22', kernel: '6.8.0', hostname: 'gen', cpuCount: 32 },
      { name: 'dut1', kind: 'ssh', roles: ['dut'], destination: 'bench@198.18.100.20:22', kernel: '6.12.0', hostname: 'dut', cpuCount: 16 },
    ],
    interfaces: [iface('generator', 'loadgen', 'ens1f0'), iface('dut', 'dut1', 'ens2f0')],
    clockAlignment: [{ host: 'dut1', offsetMs: 0, uncertaintyMs: 0 }, { host: 'loadgen', offsetMs: -12.5, uncertaintyMs: 0.4 }],
  };
  return r;
}

test('a lab run is valid results and its environment names hosts, interfaces and the clock offset', (t) => {
  const r = labRun('mlx5_core');
  assertValidResults(r);
  const fields = new Map(environmentFields(r));
  t.regex(fields.get('Lab')!, /rack7 .*DUT lock dut1:/);
  t.regex(fields.get('Lab host dut1')!, /dut; ssh bench@198\.18\.100\.20:22; dut, kernel 6\.12\.0, 16 CPUs/);
  t.regex(fields.get('Lab dut port0')!, /ens2f0 on dut1: mlx5_core 1\.0 firmware 16\.35\.2000, 100000 Mb\/s, 8 RX \/ 8 TX queues$/);
  t.is(fields.get('Clock of loadgen'), "offset -12.500 ms to the DUT host's, +/- 0.400 ms");
  t.false(fields.has('Clock of dut1'), 'the reference host has no offset line');
  t.deepEqual(runCaveats(r), []);
  t.regex(renderTerminalTable(r), /Lab rack7: generator ens1f0 \(mlx5_core\) on loadgen -> DUT ens2f0 \(mlx5_core\) on dut1/);
});

test('a forced safety check is said in the report; veth "NICs" are called virtual', (t) => {
  const r = labRun('veth', true);
  t.regex(new Map(environmentFields(r)).get('Lab dut port0')!, /FORCED past the safety check \(carries the IPv4 default route via 192\.0\.2\.1\)/);
  t.true(runCaveats(r).some((c) => /ens1f0, ens2f0 are virtual \(veth\)/.test(c)));
});

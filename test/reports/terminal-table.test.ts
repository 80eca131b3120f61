import test from 'ava';
import { renderTerminalTable } from '../../reports/terminal-table.ts';
import { OFFLOAD_REASON, makeAttachedResults, makeResults } from './fixture.ts';

const GENERATOR_BOUND =
  'DUT processed about all that was offered: the figure is a lower bound, not capacity';
const COUPLED =
  "generator and DUT shared CPUs (veth runs the receiver's XDP on the sender's CPU): not a DUT capacity figure";

test('lists every mode and the skip reason', (t) => {
  const out = renderTerminalTable(makeResults());
  for (const mode of ['native', 'generic', 'offload']) {
    t.true(out.split('\n').some((l) => l.startsWith('xdp-drop') && l.includes(` ${mode} `)), mode);
  }
  const offloadLine = out.split('\n').find((l) => l.includes(' offload '))!;
  t.true(offloadLine.includes(`skipped: ${OFFLOAD_REASON}`));
  t.false(/\d+\.\d+ [kM]?pps/.test(offloadLine), 'a skipped case has no rate');
});

test('explains only the flags that occur, and prints notes', (t) => {
  const out = renderTerminalTable(makeResults());
  const lines = out.split('\n');
  t.true(lines.some((l) => /^\s*generator-bound\s+/.test(l) && l.includes(GENERATOR_BOUND)));
  t.true(lines.some((l) => /^\s*coupled\s+/.test(l) && l.includes(COUPLED)));
  t.false(out.includes('sources-disagree'));
  t.false(out.includes('high-variance'));
  t.true(out.includes('xdp-drop/generic: trafgen thread and veth NAPI both ran on CPU 0'));
});

test('no flag section when nothing is flagged', (t) => {
  const r = makeResults();
  r.cases = r.cases.filter((c) => c.mode === 'native');
  const out = renderTerminalTable(r);
  t.false(out.includes('Flags:'));
  t.false(out.includes(GENERATOR_BOUND));
});

test('columns are aligned and the table stays reasonably narrow', (t) => {
  const out = renderTerminalTable(makeResults());
  const lines = out.split('\n');
  const header = lines.find((l) => l.startsWith('scenario'))!;
  const native = lines.find((l) => l.includes(' native '))!;
  const generic = lines.find((l) => l.includes(' generic '))!;
  const end = header.indexOf('XDP median') + 'XDP median'.length;
  t.is(native.indexOf('6.41 Mpps') + '6.41 Mpps'.length, end);
  t.is(generic.indexOf('2.10 Mpps') + '2.10 Mpps'.length, end);
  // Everything but the free-text last column fits in 120 characters.
  t.true(header.indexOf('flags / reason') <= 120, header);
  t.false(out.includes('\u001b['), 'no colour codes');
  // Size and generator are the same for every case: hoisted into the heading.
  t.true(lines[0]!.includes('packet size 64 B'));
  t.true(lines[0]!.includes('generator trafgen'));
});

test('failed cases show stage and reason; incomplete runs say so', (t) => {
  const r = makeResults();
  r.state = 'interrupted';
  r.cases.push({ scenario: 'xdp-tx', mode: 'native', pktSizeBytes: 64, generator: 'trafgen', state: 'failed', stage: 'attach', reason: 'Device or resource busy' });
  const out = renderTerminalTable(r);
  t.true(out.includes('failed (attach): Device or resource busy'));
  t.true(out.includes('interrupted'));
});

test('offload attached on netdevsim: "attached (netdevsim, no datapath)" with prog id and tag, no rate, the map cap as a note', (t) => {
  const out = renderTerminalTable(makeAttachedResults());
  const offloadLine = out.split('\n').find((l) => l.includes(' offload '))!;
  t.regex(offloadLine, /attached \(netdevsim, no datapath\): prog id 68, tag 02d8081970209794$/);
  t.false(/\d+(\.\d+)? [kM]?pps/.test(offloadLine), 'an attached case has no rate');
  t.false(offloadLine.includes('skipped'));
  t.regex(out, /xdp-drop\/offload: maps capped at 2 entries for the device/);
});

import test from 'ava';
import { renderMarkdown } from '../../reports/markdown.ts';
import { OFFLOAD_KERNEL_MESSAGE, OFFLOAD_REASON, makeAttachedResults, makeResults } from './fixture.ts';

test('contains run identity, environment and parameters', (t) => {
  const md = renderMarkdown(makeResults(), {});
  t.true(md.startsWith('# '));
  t.true(md.includes('20251124-233012-a1b2c3'));
  t.true(md.includes('2025-11-24T23:30:12.000Z'));
  t.true(md.includes('2025-11-24T23:32:05.000Z'));
  t.true(md.includes('## Environment'));
  for (const s of ['6.8.0-48-generic', 'AMD EPYC 7443P 24-Core Processor', '3f2c9e1d0b7a', 'v20.19.5', '0.1.0',
    './bench run --scenario xdp-drop --trials 3']) {
    t.true(md.includes(s), s);
  }
  t.regex(md, /\| Driver \| veth \|/);
  t.regex(md, /\| Trials per case \| 3 \|/);
  t.regex(md, /\| Trial duration \| 10 s \|/);
  t.regex(md, /\| Warm-up \| 2 s \|/);
  t.regex(md, /\| Sample interval \| 1000 ms \|/);
  t.regex(md, /\| Packet sizes \| 64 B \|/);
  t.regex(md, /\| Counter agreement tolerance \| 5\.0 % \|/);
});

test('summary table is a Markdown table with one row per case', (t) => {
  const md = renderMarkdown(makeResults(), {});
  const lines = md.split('\n');
  const h = lines.findIndex((l) => l.startsWith('| scenario | mode |'));
  t.true(h >= 0);
  t.regex(lines[h + 1]!, /^\|( :?-{3}:? \|)+$/);
  const cols = lines[h]!.split(' | ').length;
  for (let i = 1; i <= 4; i++) t.is(lines[h + i]!.split(' | ').length, cols, lines[h + i]);
  t.regex(lines[h + 2]!, /\| native \|.*\| 6\.41 Mpps \|/);
  t.regex(lines[h + 3]!, /\| generic \|.*generator-bound, coupled \|$/);
  t.regex(lines[h + 4]!, /\| offload \|.*\| skipped \|/);
});

test('skipped case shows the kernel reason, message and errno verbatim', (t) => {
  const md = renderMarkdown(makeResults(), {});
  t.true(md.includes(`reason: ${OFFLOAD_REASON}\n`));
  t.true(md.includes(`kernel message: ${OFFLOAD_KERNEL_MESSAGE}\n`));
  t.true(md.includes('errno: 22 (EINVAL)'));
});

test('a multi-line kernel log with pipes and backticks survives verbatim', (t) => {
  const r = makeResults();
  const log = "libbpf: map 'xdpb_redirect_port': failed to create: Invalid argument(-22)\nlibbpf: a | b ```x```";
  const c = r.cases[2]!;
  if (c.state === 'skipped') c.kernelMessage = log;
  const md = renderMarkdown(r, {});
  t.true(md.includes(`kernel message: ${log}\n`));
  t.true(md.includes('````text'), 'fence longer than the backtick run inside');
  // The summary table row is still one row with the pipe escaped.
  t.true(md.split('\n').some((l) => l.startsWith('| xdp-drop | offload |') && l.includes('a \\| b')));
});

test('flag explanations and per-trial tables', (t) => {
  const md = renderMarkdown(makeResults(), {});
  t.true(md.includes('**generator-bound**: DUT processed about all that was offered: the figure is a lower bound, not capacity'));
  t.true(md.includes("**coupled**: generator and DUT shared CPUs (veth runs the receiver's XDP on the sender's CPU): not a DUT capacity figure"));
  t.false(md.includes('**high-variance**'));
  t.true(md.includes('| trial | duration | XDP pps | gen TX pps |'));
  t.true(md.includes('per-CPU XDP pps'));
  t.true(md.includes('lost before XDP'));
  t.regex(md, /\| 0 \| 10 s \| 6\.41 Mpps \| 7\.95 Mpps \|.*\| 1\.51 Mpps \|.*cpu2 3\.21 Mpps, cpu3 3\.20 Mpps/);
  t.regex(md, /\| 2 \| 10 s \| 2\.12 Mpps \|.*\| 500 pps \|.*cpu0 2\.12 Mpps/);
});

test('image link only when a chart file is given', (t) => {
  const results = makeResults();
  t.false(renderMarkdown(results, {}).includes('!['));
  const md = renderMarkdown(results, { chartFile: 'report-chart.png' });
  t.regex(md, /!\[[^\]]+\]\(report-chart\.png\)/);
  t.regex(renderMarkdown(results, { chartFile: 'my charts/a (1).png' }), /!\[[^\]]+\]\(<my charts\/a \(1\)\.png>\)/);
});

test('unfinished run is called out', (t) => {
  const r = makeResults();
  r.state = 'interrupted';
  r.finishedAt = null;
  const md = renderMarkdown(r, {});
  t.true(md.includes('not finished'));
  t.regex(md, /Warning:.*interrupted/);
});

test('attached case: the no-datapath reason, device, prog id and tag, notes; no rates', (t) => {
  const md = renderMarkdown(makeAttachedResults());
  const section = md.slice(md.indexOf('### xdp-drop/offload: attached'));
  t.true(section.length > 0 && md.includes('### xdp-drop/offload: attached'));
  t.regex(section, /- attached \(netdevsim, no datapath\): netdevsim verifies and offloads the program but has no datapath/);
  t.regex(section, /Device: eth0 \(netdevsim\), program id 68, tag `02d8081970209794`/);
  t.regex(section, /Note: maps capped at 2 entries/);
  t.notRegex(section, /XDP program: /);
});

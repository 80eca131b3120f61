import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadImage, createCanvas } from 'canvas';
import {
  MODE_COLOURS,
  buildPpsChartConfig,
  buildPpsChartModel,
  emptySlotText,
  renderPpsChartPng,
} from '../../reports/chart-png.ts';
import { makeAllSkippedResults, makeAttachedResults, makeResults } from './fixture.ts';

const ARTIFACT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts', 'report-chart.png');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdrSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(12, 16).toString('ascii') !== 'IHDR') throw new Error('IHDR is not the first chunk');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

async function pixels(png: Buffer): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const img = await loadImage(png);
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { data: ctx.getImageData(0, 0, img.width, img.height).data, width: img.width, height: img.height };
}

function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function countColour(data: Uint8ClampedArray, [r, g, b]: readonly number[], tol = 3): number {
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i]! - r!) <= tol && Math.abs(data[i + 1]! - g!) <= tol && Math.abs(data[i + 2]! - b!) <= tol && data[i + 3] === 255) n++;
  }
  return n;
}

test('model: skipped cases are empty labelled slots, never zero bars', (t) => {
  const model = buildPpsChartModel(makeResults());
  t.deepEqual(model.groups, ['xdp-drop']);
  t.deepEqual(model.modes, ['native', 'generic', 'offload']);
  t.is(model.slots[2]![0]!.kind, 'skipped');
  const config = buildPpsChartConfig(model);
  const data = config.data.datasets.map((d) => d.data[0]);
  t.is(data[2], null);
  t.true(Math.abs((data[0] as number) - 6.412345) < 1e-9);
  t.regex(model.title, /64 B/);
  t.regex(model.subtitle.join(' '), /min\.\.max over trials/);
  t.regex(buildPpsChartModel(makeResults(), 'ci95').subtitle.join(' '), /95 % CI/);
  const y = (config.options?.scales as Record<string, { title?: { text?: string } }>)['y'];
  t.is(y?.title?.text, 'Mpps');
});

test('model: whiskers use min..max by default and the CI on request', (t) => {
  const r = makeResults();
  const native = r.cases[0]!;
  if (native.state !== 'ok') throw new Error('fixture');
  const mm = buildPpsChartModel(r).slots[0]![0]!;
  const ci = buildPpsChartModel(r, 'ci95').slots[0]![0]!;
  if (mm.kind !== 'ok' || ci.kind !== 'ok') throw new Error('expected ok slots');
  t.is(mm.lowMpps, native.stats.xdpPps.min / 1e6);
  t.is(mm.highMpps, native.stats.xdpPps.max / 1e6);
  t.is(ci.lowMpps, native.stats.xdpPps.ci95Low / 1e6);
});

test('PNG: signature, requested size, white background, bars drawn', async (t) => {
  const png = await renderPpsChartPng(makeResults(), { widthPx: 900, heightPx: 500 });
  mkdirSync(dirname(ARTIFACT), { recursive: true });
  writeFileSync(ARTIFACT, png);

  t.true(png.subarray(0, 8).equals(PNG_SIGNATURE));
  t.deepEqual(ihdrSize(png), { width: 900, height: 500 });
  t.true(png.length > 10_000, `PNG is ${png.length} bytes`);

  // Larger than a blank white image of the same size (which compresses to a few hundred bytes).
  const white = createCanvas(900, 500);
  const wctx = white.getContext('2d');
  wctx.fillStyle = '#ffffff';
  wctx.fillRect(0, 0, 900, 500);
  const blankPng = white.toBuffer('image/png');
  t.true(png.length > blankPng.length * 10, `${png.length} vs blank ${blankPng.length}`);

  const { data, width, height } = await pixels(png);
  t.deepEqual([width, height], [900, 500]);
  // Opaque white background in the corners.
  for (const [x, y] of [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]] as const) {
    const i = (y * width + x) * 4;
    t.deepEqual([...data.subarray(i, i + 4)], [255, 255, 255, 255]);
  }
  // The native bar is a large block of its colour; the legend swatch alone is small.
  const nativePx = countColour(data, rgb(MODE_COLOURS.native));
  t.true(nativePx > 10_000, `native pixels ${nativePx}`);
  // The flagged generic bar is drawn pale (alpha 0.4 over white).
  const pale = rgb(MODE_COLOURS.generic).map((c) => Math.round(255 + (c - 255) * 0.4));
  t.true(countColour(data, pale, 4) > 3_000, 'pale generic bar');
  // Skipped offload: no filled bar, only legend swatch and the dashed outline.
  const offloadPx = countColour(data, rgb(MODE_COLOURS.offload));
  t.true(offloadPx < 2_000, `offload pixels ${offloadPx}`);
  // Whiskers are the only near-black strokes (text is #222 or lighter).
  const whiskerPx = countColour(data, [17, 17, 17], 6);
  t.true(whiskerPx >= 30, `whisker pixels ${whiskerPx}`);

});

test('PNG with no measured case: slots only, no bars', async (t) => {
  const png = await renderPpsChartPng(makeAllSkippedResults(), { widthPx: 900, heightPx: 500 });
  t.deepEqual(ihdrSize(png), { width: 900, height: 500 });
  const { data } = await pixels(png);
  for (const mode of ['native', 'generic', 'offload'] as const) {
    const n = countColour(data, rgb(MODE_COLOURS[mode]));
    t.true(n < 2_000, `${mode} pixels ${n}`);
  }
  t.true(countColour(data, [17, 17, 17], 6) < 5, 'no whiskers without measurements');
});

test('PNG: default size and repeated renders reuse the renderer', async (t) => {
  const a = await renderPpsChartPng(makeResults());
  const b = await renderPpsChartPng(makeResults());
  t.deepEqual(ihdrSize(a), { width: 1000, height: 560 });
  t.true(a.equals(b), 'rendering is deterministic');
  await t.throwsAsync(renderPpsChartPng(makeResults(), { widthPx: 0 }), { instanceOf: RangeError });
});

test('model: an offload attached on netdevsim is an empty labelled slot ("attached, no pps"), never a bar', (t) => {
  const model = buildPpsChartModel(makeAttachedResults());
  t.is(model.slots[2]![0]!.kind, 'attached');
  t.is(buildPpsChartConfig(model).data.datasets[2]!.data[0], null);
  t.is(emptySlotText('offload', 'attached'), 'offload: attached, no pps');
  t.is(emptySlotText('offload', 'skipped'), 'offload: skipped');
});

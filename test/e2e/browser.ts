/* Opens an HTML report in Debian's headless chromium (installed by setup.sh): console messages, the DOM, a screenshot. */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadImage, createCanvas } from 'canvas';
import { REPO_ROOT } from '../../ground/paths.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-artifacts');

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface BrowserView {
  /** Messages the page logged to the console (errors, CSP violations...), one per line. */
  consoleLines: string[];
  /** The DOM after load. */
  dom: string;
  screenshotFile: string;
  screenshot: Buffer;
}

async function chromium(args: string[]) {
  const profile = mkdtempSync(path.join(tmpdir(), 'xdpb-chromium-'));
  try {
    return await execa(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { reject: false, timeout: 90_000 });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export async function openInChromium(htmlFile: string, screenshotName: string): Promise<BrowserView> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run ./setup.sh (apt package chromium)`);
  const url = pathToFileURL(path.resolve(htmlFile)).href;
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const screenshotFile = path.join(ARTIFACTS_DIR, screenshotName);
  rmSync(screenshotFile, { force: true });
  const shot = await chromium([`--screenshot=${screenshotFile}`, '--window-size=1200,2000', url]);
  if (!existsSync(screenshotFile)) throw new Error(`chromium wrote no screenshot (exit ${shot.exitCode}): ${String(shot.stderr).slice(-2000)}`);
  const dump = await chromium(['--enable-logging=stderr', '--v=0', '--dump-dom', url]);
  const consoleLines = String(dump.stderr).split('\n').filter((l) => l.includes(':CONSOLE'));
  return { consoleLines, dom: String(dump.stdout), screenshotFile, screenshot: readFileSync(screenshotFile) };
}

/** The <img> data: URIs in a DOM, decoded. */
export function dataImages(dom: string): { mime: string; bytes: Buffer }[] {
  return [...dom.matchAll(/<img\b[^>]*\bsrc="data:([^;"]+);base64,([^"]*)"/g)].map((m) => ({ mime: m[1]!, bytes: Buffer.from(m[2]!, 'base64') }));
}

/** Pixels of the screenshot within `tolerance` of `hex`, or of `hex` drawn at `alpha` over white. */
export async function countColour(png: Buffer, hex: string, alphas: readonly number[] = [1], tolerance = 6): Promise<number> {
  const img = await loadImage(png);
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data;
  const n = Number.parseInt(hex.slice(1), 16);
  const targets = alphas.map((a) => [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => c * a + 255 * (1 - a)));
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (targets.some(([r, g, b]) => Math.abs(data[i]! - r!) <= tolerance && Math.abs(data[i + 1]! - g!) <= tolerance && Math.abs(data[i + 2]! - b!) <= tolerance)) count++;
  }
  return count;
}

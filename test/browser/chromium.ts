// Opening a report as a reader would: Debian's chromium, headless, driven by playwright-core (its
// own browser download cannot run here). Every request that is not the file itself or a data: URI
// is recorded and refused, so a report that reaches for the network fails its test instead of
// quietly loading something.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.PIPELINE_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Where screenshots go: test-results/screenshots/ (gitignored), to look at after a run. */
export const SHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium), or set PIPELINE_CHROMIUM to one`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

export interface Opened {
  page: Page;
  /** Console errors and uncaught page errors, in order. */
  errors: string[];
  /** Every URL the page asked for beyond its own file and data: URIs (all refused). */
  network: string[];
}

export async function open(browser: Browser, file: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const network: string[] = [];
  const self = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === self || url.startsWith('data:')) return route.continue();
    network.push(url);
    return route.abort();
  });
  await page.goto(self, { waitUntil: 'load' });
  return { page, errors, network };
}

/** Each image's source (shortened) and natural size; each inline SVG's rendered size and marks. */
export async function rendered(page: Page): Promise<{ images: { src: string; w: number; h: number }[]; plots: { w: number; h: number; marks: number }[] }> {
  return page.evaluate(() => ({
    images: [...document.images].map((img) => ({ src: img.src.slice(0, 40), w: img.complete ? img.naturalWidth : 0, h: img.complete ? img.naturalHeight : 0 })),
    plots: [...document.querySelectorAll('svg')]
      .filter((svg) => !svg.parentElement?.closest('svg'))
      .map((svg) => {
        const box = svg.getBoundingClientRect();
        return { w: box.width, h: box.height, marks: svg.querySelectorAll('path, circle, rect, line, text').length };
      }),
  }));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// Vega-Lite spec -> SVG text, in Node, with no browser and no canvas package. vega and vega-lite
// are imported on first use (they take a few hundred ms to load), so commands that write no
// report never pay for them.
//
// Rendering is a function of the spec, the prefix and the renderer alone, so a run that made the
// same plots before (a re-run of cached stages: the same loss curves) can reuse them: inside
// `withSvgMemo(memo, ...)`, renderSvg keeps each SVG it makes in the memo (memo.ts) and returns a
// kept one instead of rendering again, and vega is not even imported. The memo's name for an SVG
// is the hash of the whole spec (data included), the prefix, this file's own text and the version
// of every package in vega's and vega-lite's dependency trees: whatever could change the SVG.
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';
import { sha256 } from '../keys/hash.js';
import { MONO_FONT } from './html.js';
import type { FileMemo } from './memo.js';

/** The advance of every glyph of DejaVu Sans Mono (1233/2048 em, regular and bold) and Menlo;
 * Consolas is narrower, so a label measured with this never overflows. */
export const GLYPH_EM = 0.602;

interface TextItem {
  fontSize?: number | string;
}

/** vega's `textMetrics.width` for the monospace font every text role uses: without a canvas
 * vega would guess 0.8 em per character and leave legends and axis titles badly spaced. */
export function monoTextWidth(item: TextItem, text: unknown): number {
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  const s = text == null ? '' : String(text).trim();
  return size <= 0 ? 0 : [...s].length * size * GLYPH_EM;
}

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
let libs: Promise<{ vega: Vega; vl: VegaLite }> | undefined;

function load(): Promise<{ vega: Vega; vl: VegaLite }> {
  libs ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => {
    // Once, before anything is laid out, and the same on every machine: layout never depends on
    // which fonts happen to be installed.
    (vega as unknown as { textMetrics: { width: typeof monoTextWidth } }).textMetrics.width = monoTextWidth;
    return { vega, vl };
  });
  return libs;
}

/** vega and vega-lite log warnings (a dropped non-finite value, say) to the console; the runner
 * prints nothing of its own, so they are dropped: the plot shows what is valid. */
function silentLogger() {
  let level = 0;
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error: () => logger,
    warn: () => logger,
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

const CONFIG = {
  font: MONO_FONT,
  background: 'white',
  padding: 6,
  axis: { labelFont: MONO_FONT, titleFont: MONO_FONT, labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const },
  legend: { labelFont: MONO_FONT, titleFont: MONO_FONT, labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  title: { font: MONO_FONT, subtitleFont: MONO_FONT, fontSize: 13, anchor: 'start' as const },
  header: { labelFont: MONO_FONT, titleFont: MONO_FONT },
  text: { font: MONO_FONT },
  view: { stroke: '#d0d7de' },
};

/** The memo of the renderSvg calls made inside withSvgMemo. */
const memoOf = new AsyncLocalStorage<FileMemo>();

/** Run `fn` with renderSvg keeping and reusing its SVGs in `memo`; without one, `fn` renders everything. */
export function withSvgMemo<T>(memo: FileMemo | undefined, fn: () => Promise<T>): Promise<T> {
  return memo ? memoOf.run(memo, fn) : fn();
}

/** Every package of a dependency tree, `name@version`, found as Node finds packages: the
 * nearest node_modules/NAME above the folder of the package that depends on it. */
export function packageTree(roots: string[], from: string): string[] {
  const seen = new Map<string, string>();
  const queue = roots.map((name) => ({ name, from }));
  while (queue.length > 0) {
    const { name, from } = queue.pop()!;
    let dir: string | undefined;
    for (let d = from; ; d = dirname(d)) {
      const candidate = join(d, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        dir = candidate;
        break;
      }
      if (dirname(d) === d) break;
    }
    if (dir === undefined) {
      seen.set(`missing:${name}`, `${name}@missing`);
      continue;
    }
    if (seen.has(dir)) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string; dependencies?: Record<string, string> };
    seen.set(dir, `${pkg.name ?? name}@${pkg.version ?? '?'}`);
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir });
  }
  return [...new Set(seen.values())].sort();
}

/** What says the packages above `from` are as they were: the node_modules folders on the way up
 * (a package added, removed or replaced changes its folder's entries) and the install records
 * npm, yarn and pnpm rewrite on every install (a nested package's change shows there). */
function installStamp(from: string): string {
  const stamps: string[] = [];
  for (let d = from; ; d = dirname(d)) {
    for (const p of ['node_modules', 'node_modules/.package-lock.json', 'node_modules/.yarn-integrity', 'node_modules/.modules.yaml']) {
      const st = statSync(join(d, p), { bigint: true, throwIfNoEntry: false });
      stamps.push(st ? `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}` : '-');
    }
    if (dirname(d) === d) break;
  }
  return stamps.join(',');
}

/** packageTree, kept in `memo` while the installed packages stay as they were (installStamp):
 * walking vega's tree reads ~80 package.json files, more than the rest of a report of hits. */
export function keptPackageTree(roots: string[], from: string, memo: FileMemo | undefined): string[] {
  if (!memo) return packageTree(roots, from);
  const name = `packages-${sha256(JSON.stringify([roots, from, installStamp(from)]))}.json`;
  const kept = memo.get(name);
  if (kept) return JSON.parse(kept.toString('utf8')) as string[];
  const tree = packageTree(roots, from);
  memo.set(name, Buffer.from(JSON.stringify(tree)));
  return tree;
}

let rendererId: string | undefined;
/** What renders: this file (the config, the text measure, the post-processing) and the packages. */
function renderer(memo: FileMemo | undefined): string {
  const self = fileURLToPath(import.meta.url);
  rendererId ??= sha256(JSON.stringify({ self: sha256(readFileSync(self)), packages: keptPackageTree(['vega', 'vega-lite'], dirname(self), memo) }));
  return rendererId;
}

/** JSON that tells apart what JSON.stringify would not: NaN, the infinities, -0 (a plot may show them). */
const specText = (v: unknown): string =>
  JSON.stringify(v, (_, x) => (typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0)) ? `\u0000number:${Object.is(x, -0) ? '-0' : x}` : x));

/**
 * Render one spec to an SVG element for inline use. Its ids (clip paths, gradients) get `prefix`
 * so several plots in one page do not point at each other's; the XML namespaces are dropped
 * (an HTML parser puts inline SVG in the right one) so the page names no URL at all.
 */
export async function renderSvg(spec: TopLevelSpec, prefix: string): Promise<string> {
  const full = { ...spec, config: { ...CONFIG, ...spec.config } } as TopLevelSpec;
  const memo = memoOf.getStore();
  let name: string | undefined;
  if (memo) {
    try {
      name = `${sha256(JSON.stringify({ renderer: renderer(memo), prefix, spec: specText(full) }))}.svg`;
    } catch {
      name = undefined; // the renderer cannot be named: render, keep nothing
    }
    const kept = name && memo.get(name);
    if (kept) return kept.toString('utf8');
  }
  const svg = await render(full, prefix);
  if (memo && name) memo.set(name, Buffer.from(svg, 'utf8'));
  return svg;
}

async function render(full: TopLevelSpec, prefix: string): Promise<string> {
  const { vega, vl } = await load();
  type Logger = NonNullable<Parameters<VegaLite['compile']>[1]>['logger'];
  const logger = silentLogger() as unknown as Logger;
  const compiled = vl.compile(full, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    return svg
      .replace(/ xmlns(:xlink)?="[^"]*"/g, '')
      .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}${id}"`)
      .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}${id})`)
      .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}${id}"`);
  } finally {
    view.finalize();
  }
}

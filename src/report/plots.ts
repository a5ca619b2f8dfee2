// Vega-Lite spec -> SVG text, in Node, with no browser and no canvas package. vega and vega-lite
// are imported on first use (they take a few hundred ms to load), so commands that write no
// report never pay for them.
import type { TopLevelSpec } from 'vega-lite';
import { MONO_FONT } from './html.js';

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

/**
 * Render one spec to an SVG element for inline use. Its ids (clip paths, gradients) get `prefix`
 * so several plots in one page do not point at each other's; the XML namespaces are dropped
 * (an HTML parser puts inline SVG in the right one) so the page names no URL at all.
 */
export async function renderSvg(spec: TopLevelSpec, prefix: string): Promise<string> {
  const { vega, vl } = await load();
  type Logger = NonNullable<Parameters<VegaLite['compile']>[1]>['logger'];
  const logger = silentLogger() as unknown as Logger;
  const compiled = vl.compile({ ...spec, config: { ...CONFIG, ...spec.config } } as TopLevelSpec, { logger }).spec;
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

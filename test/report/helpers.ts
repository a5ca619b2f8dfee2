// Reading a report back as a user's browser would: its pictures decoded, its plots' points
// counted, its links and resource references listed.
import pngjs from 'pngjs';

/** Every data: URI PNG of the page, decoded. */
export function pngsOf(html: string): pngjs.PNG[] {
  return [...html.matchAll(/src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => pngjs.PNG.sync.read(Buffer.from(m[1], 'base64')));
}

/** The inline SVG plots: each <figure class="plot ..."> with its data attributes and SVG. */
export function plotsOf(html: string): Array<{ kind: string; attrs: Record<string, string>; svg: string }> {
  return [...html.matchAll(/<figure class="plot ([a-z]+)"([^>]*)>(<svg[\s\S]*?<\/svg>)<\/figure>/g)].map((m) => ({
    kind: m[1],
    attrs: Object.fromEntries([...m[2].matchAll(/ data-([a-z-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
    svg: m[3],
  }));
}

/** The vertices of each line of a plot (vega draws a line mark as one path of M/L commands). */
export function lineVertices(svg: string): number[] {
  return [...svg.matchAll(/aria-roledescription="line mark" d="([^"]*)"/g)].map((m) => (m[1].match(/[ML]/g) ?? []).length);
}

/** The point markers of a plot. */
export const pointCount = (svg: string): number => (svg.match(/aria-roledescription="point"/g) ?? []).length;

/** Values of src=, href= and CSS url() of the page: what a browser would load or follow. */
export function references(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]*)/gi), ...html.matchAll(/url\(\s*["']?([^"')]*)/gi)].map((m) => m[1]);
}

/** References that leave the page's folder: any scheme but data:, or a protocol-relative URL. */
export const outsideReferences = (html: string): string[] => references(html).filter((r) => /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(r) && !/^data:/i.test(r));

// A stage's picture as a figure: the PNG embedded, scaled up by a whole factor with pixelated
// rendering (digits stay sharp), and a caption saying what the picture is. The built-in stages'
// pictures get their own captions and, for generate, a class and confidence under each digit.
import { esc, pngDataUri } from './html.js';
import type { ReportPicture, ReportStage } from './types.js';
import { isNumberArray, num } from './values.js';

/** The whole factor (1 to 3) that brings a picture closest to `target` pixels wide without
 * going over, never below its own size. */
export function displayScale(width: number, target = 640): number {
  return Math.max(1, Math.min(3, Math.floor(target / Math.max(1, width))));
}

/** `cssWidth`: what the picture fills, so a narrow window shrinks it with its labels. */
function img(pic: ReportPicture, alt: string, cssWidth: string): string {
  return `<img class="picture" src="${pngDataUri(pic.png)}" alt="${esc(alt)}" style="width:${cssWidth}">`;
}

/** generate: one label per column, the same width as the picture, so each sits under its digit. */
function classLabels(stage: ReportStage): string | undefined {
  const classes = stage.params.classes;
  const confidence = (stage.metrics as Record<string, unknown> | undefined)?.confidence;
  if (!isNumberArray(classes) || !isNumberArray(confidence) || confidence.length !== classes.length) return undefined;
  const cells = classes.map(
    (c, i) => `<span title="class ${esc(c)}: confidence ${esc(confidence[i])}"><b>${esc(c)}</b>${esc(confidence[i].toFixed(2))}</span>`,
  );
  return `<div class="labels" aria-label="class and confidence of each digit">${cells.join('')}</div>`;
}

function caption(stage: ReportStage, pic: ReportPicture): string {
  const file = `<code>${esc(`${stage.id}/${pic.name}.png`)}</code>`;
  const p = stage.params;
  if (stage.type === 'reconstruct' && pic.name === 'reconstruct') {
    const n = typeof p.count === 'number' ? `${p.count} ` : '';
    return `Left grid: the first ${esc(n)}test digits. Right grid: their reconstructions (each digit through the classifier to its last hidden layer, then back to pixels through the inverse), in the same positions. ${file}`;
  }
  if (stage.type === 'generate' && pic.name === 'generate') {
    return `One generated digit per entry of <code>classes</code>: a hidden code optimised until the classifier is sure of the class, projected back to pixels. Under each: its class (bold) and the classifier's confidence in it (<code>confidence</code>). ${file}`;
  }
  if (stage.type === 'features' && pic.name === 'features') {
    const count = (stage.metrics as Record<string, unknown> | undefined)?.count;
    const n = typeof count === 'number' ? `${num(count)} ` : '';
    return `Each of the ${esc(n)}last-hidden-layer units projected back to pixels on its own (one unit active, scaled by <code>scale</code>): what each unit stands for. ${file}`;
  }
  return `${esc(pic.name)}. ${file}`;
}

/** One picture with its caption (run report). */
export function pictureFigure(stage: ReportStage, pic: ReportPicture): string {
  const width = pic.width * displayScale(pic.width);
  const labels = stage.type === 'generate' ? classLabels(stage) : undefined;
  return [
    `<figure class="picture" data-stage="${esc(stage.id)}" data-picture="${esc(pic.name)}">`,
    `<div style="width:${width}px;max-width:100%">`,
    img(pic, `${stage.id} ${pic.name}`, '100%'),
    labels ?? '',
    '</div>',
    `<figcaption><b>${esc(stage.id)}</b>: ${caption(stage, pic)}</figcaption>`,
    '</figure>',
  ].join('');
}

/** A picture in a sweep's grid: at most `maxHeight` tall, so a row of variants stays on screen
 * (each variant's own report has it full size), labelled under generate's digits too. */
export function pictureCell(stage: ReportStage, pic: ReportPicture, maxHeight = 180): string {
  const width = Math.round(pic.width * Math.min(1, maxHeight / Math.max(1, pic.height)));
  const labels = stage.type === 'generate' ? classLabels(stage) : undefined;
  return `<div style="width:${width}px">${img(pic, `${stage.id} ${pic.name}`, '100%')}${labels ?? ''}</div>`;
}

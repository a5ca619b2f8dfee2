// One graph for a whole sweep. Stage instances that are the same in several variants (same type,
// code, params, seed and the same upstream instances: hence the same cache key, keys/recipe.ts) become a single
// node, so shared upstream stages run once for the whole sweep.
//
// Linear in the number of instances: each identity remembers the variant that first had it (its
// upstream identities name the upstream nodes), so 10,000 variants cost no search over them.
import { instanceIdentity } from '../keys/recipe.js';
import type { Registry } from '../sdk/stage.js';
import { buildGraph, topoOrder, type Graph, type StageNode } from './graph.js';
import type { Variant } from './sweep.js';

export interface SweepGraph extends Graph {
  variants: Array<{ variant: Variant; graph: Graph /** stage id -> node id in the sweep graph */; nodeOf: Record<string, string> }>;
  /** Node ids every variant uses. */
  shared: string[];
}

interface Instance {
  node: StageNode;
  users: string[];
  /** The stage id -> identity map of the first variant that has this instance. */
  owner: Record<string, string>;
}

export function buildSweepGraph(variants: Variant[], registry: Registry): SweepGraph {
  const byIdentity = new Map<string, Instance>();
  const perVariant = variants.map((variant) => {
    const graph = buildGraph(variant.config, registry);
    const identityOf: Record<string, string> = {};
    for (const id of graph.order) {
      const n = graph.nodes.get(id)!;
      const identity = instanceIdentity(n, identityOf);
      identityOf[id] = identity;
      const seen = byIdentity.get(identity);
      if (seen) seen.users.push(variant.id);
      else byIdentity.set(identity, { node: n, users: [variant.id], owner: identityOf });
    }
    return { variant, graph, identityOf };
  });
  // Name each instance: its stage id when every variant shares it, else the variants using it.
  const idOf = new Map<string, string>();
  for (const [identity, { node, users }] of byIdentity) {
    idOf.set(identity, users.length === variants.length ? node.stageId : `${node.stageId}@${users.join('+')}`);
  }
  const nodes = new Map<string, StageNode>();
  for (const [identity, { node, owner }] of byIdentity) {
    const id = idOf.get(identity)!;
    const inputs = Object.fromEntries(Object.entries(node.inputs).map(([k, r]) => [k, { stage: idOf.get(owner[r.stage])!, output: r.output }]));
    nodes.set(id, { ...node, id, inputs });
  }
  return {
    name: variants[0].config.name,
    nodes,
    order: topoOrder(nodes),
    shared: [...byIdentity.values()].filter((x) => x.users.length === variants.length).map((x) => x.node.stageId),
    variants: perVariant.map(({ variant, graph, identityOf }) => ({
      variant,
      graph,
      nodeOf: Object.fromEntries(Object.entries(identityOf).map(([sid, identity]) => [sid, idOf.get(identity)!])),
    })),
  };
}

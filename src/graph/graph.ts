// Stage instances and their order. The config layer has already checked references and cycles
// (with file positions); this turns a validated config into nodes the executor can walk.
import type { Registry, StageDef } from '../stage.js';

export interface InputRef {
  stage: string;
  output: string;
}

export interface StageNode {
  /** Unique in the graph. In a sweep, an instance not shared by every variant gets a longer id. */
  id: string;
  /** The stage's id in the pipeline file (what cache entries record and `why` compares by). */
  stageId: string;
  def: StageDef;
  seed: number;
  params: Record<string, unknown>;
  inputs: Record<string, InputRef>;
}

export interface Graph {
  name: string;
  nodes: Map<string, StageNode>;
  /** Topological order (dependencies first), stable with respect to the file's stage order. */
  order: string[];
}

export interface GraphConfig {
  name: string;
  seed: number;
  stages: Record<string, { uses: string; with: Record<string, unknown>; inputs: Record<string, string> }>;
}

/** "stage" means that stage's first declared output; "stage.output" names one. */
export function parseRef(ref: string, registry: Registry, stages: GraphConfig['stages']): InputRef {
  const dot = ref.indexOf('.');
  const stage = dot < 0 ? ref : ref.slice(0, dot);
  const def = registry[stages[stage]?.uses ?? ''];
  if (!def) throw new Error(`input refers to unknown stage "${stage}"`);
  const output = dot < 0 ? Object.keys(def.outputs)[0] : ref.slice(dot + 1);
  return { stage, output };
}

export function buildGraph(config: GraphConfig, registry: Registry): Graph {
  const nodes = new Map<string, StageNode>();
  for (const [id, s] of Object.entries(config.stages)) {
    const def = registry[s.uses];
    if (!def) throw new Error(`stage "${id}": unknown stage type "${s.uses}"`);
    const inputs = Object.fromEntries(
      Object.entries(s.inputs ?? {}).map(([name, ref]) => [name, parseRef(ref, registry, config.stages)]),
    );
    nodes.set(id, { id, stageId: id, def, seed: config.seed, params: s.with ?? {}, inputs });
  }
  return { name: config.name, nodes, order: topoOrder(nodes) };
}

export function topoOrder(nodes: Map<string, StageNode>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`cycle: ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    for (const ref of Object.values(nodes.get(id)!.inputs)) visit(ref.stage, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of nodes.keys()) visit(id, []);
  return order;
}

/** The stage and everything downstream of it. */
export function withDescendants(graph: Graph, id: string): Set<string> {
  const out = new Set<string>([id]);
  for (const n of graph.order) {
    if (Object.values(graph.nodes.get(n)!.inputs).some((r) => out.has(r.stage))) out.add(n);
  }
  return out;
}

// Stage instances and their order. The config layer has already checked references and cycles
// (with file positions); this turns a validated config into nodes the executor can walk.
import { parseRef, type PipelineConfig } from '../config/index.js';
import type { Registry, StageDef } from '../sdk/stage.js';

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

/** A reference resolved: a bare `stage` means that stage's first declared output. */
function inputRef(ref: string, registry: Registry, stages: PipelineConfig['stages']): InputRef {
  const { stage, output } = parseRef(ref);
  const def = registry[stages[stage]?.uses ?? ''];
  if (!def) throw new Error(`input refers to unknown stage "${stage}"`);
  return { stage, output: output ?? Object.keys(def.outputs)[0] };
}

export function buildGraph(config: Pick<PipelineConfig, 'name' | 'seed' | 'stages'>, registry: Registry): Graph {
  const nodes = new Map<string, StageNode>();
  for (const [id, s] of Object.entries(config.stages)) {
    const def = registry[s.uses];
    if (!def) throw new Error(`stage "${id}": unknown stage type "${s.uses}"`);
    const inputs = Object.fromEntries(Object.entries(s.inputs ?? {}).map(([name, ref]) => [name, inputRef(ref, registry, config.stages)]));
    nodes.set(id, { id, stageId: id, def, seed: config.seed, params: s.with ?? {}, inputs });
  }
  return { name: config.name, nodes, order: topoOrder(nodes) };
}

/** Dependencies first, in file order otherwise. The graph is acyclic: the config layer's
 * reference check (config/references.ts) is the one cycle check and reports any with positions. */
export function topoOrder(nodes: Map<string, StageNode>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const ref of Object.values(nodes.get(id)!.inputs)) visit(ref.stage);
    order.push(id);
  };
  for (const id of nodes.keys()) visit(id);
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

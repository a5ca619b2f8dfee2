// Checks that need the whole graph rather than one value: every input names a declared input,
// points at an existing stage and output of the right artifact kind, and nothing depends on
// itself. Runs after schema validation, on the config with defaults applied.
import type { Registry, StageDef } from '../sdk/stage.js';
import type { ConfigError, Position } from './errors.js';
import { isObject } from './json.js';
import type { OriginMap } from './origins.js';
import { didYouMean, listNames } from './suggest.js';

interface Edge {
  to: string;
  pos: Position | undefined;
}

const list = (names: string[]): string => listNames(names);

/** An input reference as written: `stage` (that stage's first declared output) or
 * `stage.output`. */
export interface Ref {
  stage: string;
  output?: string;
}
export function parseRef(ref: string): Ref {
  const dot = ref.indexOf('.');
  return dot < 0 ? { stage: ref } : { stage: ref.slice(0, dot), output: ref.slice(dot + 1) };
}

export function checkReferences(config: Record<string, unknown>, registry: Registry, origins: OriginMap): ConfigError[] {
  const errors: ConfigError[] = [];
  const add = (pos: Position | undefined, message: string): void => {
    errors.push({ ...(pos ?? { file: '<config>' }), message });
  };
  const stages = isObject(config.stages) ? config.stages : {};
  const ids = Object.keys(stages);
  const defOf = (id: string): StageDef | undefined => {
    const uses = isObject(stages[id]) ? stages[id].uses : undefined;
    return typeof uses === 'string' && Object.hasOwn(registry, uses) ? registry[uses] : undefined;
  };
  const edges = new Map<string, Edge[]>();

  for (const id of ids) {
    const def = defOf(id);
    if (!def) continue; // unknown or missing `uses`: already reported by the schema
    const inputs =
      isObject(stages[id]) && isObject((stages[id] as Record<string, unknown>).inputs) ? (stages[id] as { inputs: Record<string, unknown> }).inputs : {};
    const declared = Object.keys(def.inputs);
    const out: Edge[] = [];
    edges.set(id, out);
    for (const [name, ref] of Object.entries(inputs)) {
      const keyPos = origins.keyPos(['stages', id, 'inputs', name]);
      const valuePos = origins.valuePos(['stages', id, 'inputs', name]);
      if (!declared.includes(name)) {
        const hint = didYouMean(name, declared) || (declared.length ? `; inputs: ${list(declared)}` : '; it takes no inputs');
        add(keyPos, `unknown input "${name}" for stage "${id}" (${def.type})${hint}`);
        continue;
      }
      if (typeof ref !== 'string') continue; // type error already reported
      const { stage: refId, output: outName } = parseRef(ref);
      if (!Object.hasOwn(stages, refId)) {
        add(valuePos, `input "${name}": unknown stage "${refId}"${didYouMean(refId, ids) || `; stages: ${list(ids)}`}`);
        continue;
      }
      out.push({ to: refId, pos: valuePos });
      const target = defOf(refId);
      if (!target) continue;
      const outputs = Object.keys(target.outputs);
      const chosen = outName ?? outputs[0];
      if (chosen === undefined) {
        add(valuePos, `input "${name}": stage "${refId}" (${target.type}) has no outputs`);
        continue;
      }
      if (!Object.hasOwn(target.outputs, chosen)) {
        add(valuePos, `input "${name}": stage "${refId}" (${target.type}) has no output "${chosen}"; outputs: ${list(outputs)}${didYouMean(chosen, outputs)}`);
        continue;
      }
      const expected = def.inputs[name];
      const got = target.outputs[chosen];
      if (got !== expected) add(valuePos, `input "${name}" expects ${expected}, got ${got} from "${ref}"`);
    }
    for (const name of declared) {
      if (!Object.hasOwn(inputs, name)) {
        // `inputs` may have been filled in by a default: then this falls back to the stage node.
        add(origins.valuePos(['stages', id, 'inputs']), `stage "${id}" (${def.type}): missing input "${name}" (${def.inputs[name]})`);
      }
    }
  }
  return [...errors, ...findCycles(ids, edges)];
}

/** Depth-first search; every edge back into the current path closes a cycle, reported at the
 * input that closes it. Iterative, with the path indexed, so a chain of many stages neither
 * overflows the stack nor costs a scan of the path per edge. */
function findCycles(ids: string[], edges: Map<string, Edge[]>): ConfigError[] {
  const errors: ConfigError[] = [];
  const done = new Set<string>();
  const onPath = new Map<string, number>(); // stage -> its index in `path`
  const path: string[] = [];
  const frames: { id: string; next: number }[] = [];
  const enter = (id: string): void => {
    onPath.set(id, path.length);
    path.push(id);
    frames.push({ id, next: 0 });
  };
  for (const start of ids) {
    if (done.has(start)) continue;
    enter(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const edge = (edges.get(frame.id) ?? [])[frame.next++];
      if (edge === undefined) {
        frames.pop();
        path.pop();
        onPath.delete(frame.id);
        done.add(frame.id);
        continue;
      }
      const i = onPath.get(edge.to);
      if (i !== undefined) {
        // A cycle through thousands of stages is shown by its ends (and not copied per edge).
        const len = path.length - i + 1;
        const shown =
          len <= 12
            ? [...path.slice(i), edge.to].join(' -> ')
            : `${path.slice(i, i + 6).join(' -> ')} -> ... (${len - 8} more) -> ${path[path.length - 1]} -> ${edge.to}`;
        errors.push({ ...(edge.pos ?? { file: '<config>' }), message: `cycle: ${shown}` });
      } else if (!done.has(edge.to)) {
        enter(edge.to);
      }
    }
  }
  return errors;
}

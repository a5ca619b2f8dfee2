// A pipeline file once loaded, merged and validated (defaults applied): the one definition every
// layer after config uses.
import type { BackendChoice } from '../backend/index.js';

export interface StageConfig {
  uses: string;
  with: Record<string, unknown>;
  /** Input name -> reference: `stage` (its first output) or `stage.output`. */
  inputs: Record<string, string>;
}

export interface PipelineConfig {
  name: string;
  seed: number;
  backend: BackendChoice;
  stages: Record<string, StageConfig>;
  sweep?: Record<string, unknown[]>;
  /** As written: `{ name?, set: { PATH: value } }` items (see VariantBlock), or the older bare
   * `{ PATH: value }` maps, still read. */
  variants?: Array<VariantBlock | Record<string, unknown>>;
}

/** One item of `variants:`: the dotted paths it sets, and an optional name, the variant's id
 * (its run folder `<sweep-id>/<name>/`), else v1, v2, ... */
export interface VariantBlock {
  name?: string;
  set: Record<string, unknown>;
}

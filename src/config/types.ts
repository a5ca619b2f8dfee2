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
  variants?: Record<string, unknown>[];
}

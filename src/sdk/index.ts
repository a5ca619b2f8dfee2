// What a stage author imports: `import { defineStage, tf, adagradLoop } from 'mlpipe/sdk'`.
// Everything here is pure compute on the `tf` the runner set up (one tfjs instance, the runner's
// backend and kernels); I/O stays with the runner. Each module is also its own entry
// (`mlpipe/sdk/training`, ...): a stage that imports only what it uses keeps the rest out of its
// cache key.
export { tf } from './tf.js';
export { defineStage } from './stage.js';
export type {
  Artifact,
  DefaultedParamsSchema,
  GreyImage,
  Metrics,
  ParamsSchema,
  PropertySchema,
  ProgressInfo,
  Registry,
  RequiredParamsSchema,
  StageContext,
  StageDef,
  StageFile,
  StageResult,
  StageSpec,
} from './stage.js';
export { Rng } from './rng.js';
export { adagradLoop, BatchSampler, constantVariable, isLogStep, release, truncatedWeight, type AdagradOptions } from './training.js';
export { Adagrad } from './adagrad.js';
export { l1Distance, logit, rangeExcess, softmaxCrossEntropy, squash, squashLogit } from './losses.js';
export { grid, sideBySide, tensorGrid, type GridOptions } from './pictures.js';

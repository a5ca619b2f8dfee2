// The programmatic API: `import { runPipeline, planPipeline } from 'mlpipe'`. Stage authors
// import from 'mlpipe/sdk' instead.
export { runPipeline, type CommonOptions, type Display, type RunOptions, type RunResult, type RunView } from './runner/run.js';
export { planPipeline, type PlanResult, type PlanRow } from './runner/plan.js';
export { runStage, resolveParams, StageParamsError, type RunStageOptions, type RunStageResult } from './runner/run-stage.js';
export { loadRegistry, BUILTIN_STAGES } from './runner/stage-plugins.js';
export type { StageEvent, StageEvents } from './runner/events.js';
export type { StageOutcome } from './runner/executor.js';
export type { RunManifest } from './runner/run-record.js';
export type { SweepRow } from './runner/sweep-report.js';
export type { CacheEntry } from './store/entry.js';
export { initBackend, type BackendChoice } from './backend/index.js';
export { ConfigErrors, UsageError, formatError, type ConfigError, type PipelineConfig } from './config/index.js';
export type { KeyParts } from './keys/recipe.js';
export type { Artifact, GreyImage, Metrics, ProgressInfo, Registry, StageDef, StageFile, StageResult } from './sdk/stage.js';

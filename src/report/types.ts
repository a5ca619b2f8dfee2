// What a report is made from. Structural, so the runner hands over what it already has (its
// manifest rows, the graph's params and schema defaults, the PNG bytes it wrote) and this folder
// needs nothing of the runner's types.

/** A picture as written to the run folder. */
export interface ReportPicture {
  name: string;
  /** The PNG file's bytes: embedded as a data: URI, so the page needs no other file. */
  png: Uint8Array;
  width: number;
  height: number;
}

export interface ReportStage {
  id: string;
  type: string;
  status: string;
  key?: string;
  ms: number;
  computeMs?: number;
  storeMs?: number;
  /** input name -> `stage.output` it reads. */
  inputs?: Record<string, string>;
  /** The resolved `with:` block (defaults applied). */
  params: Record<string, unknown>;
  /** param -> its schema default; a param without one is absent. */
  defaults: Record<string, unknown>;
  metrics?: unknown;
  pictures: ReportPicture[];
  error?: string;
}

export interface ReportRun {
  pipeline: string;
  runId: string;
  status: string;
  started: string;
  finished: string;
  backend: string;
  seed?: number;
  /** The config files the run read (extends: chain). */
  files?: string[];
  /** A sweep variant's way back to its sweep's page, relative to the run folder. */
  sweepHref?: string;
  stages: ReportStage[];
}

export interface ReportVariant {
  id: string;
  /** The swept values, by dotted path (`confident.threshold`). */
  values: Record<string, unknown>;
  status: string;
  /** `stage.metric` -> its scalar value. */
  metrics: Record<string, number>;
  /** The variant's report.html, relative to the sweep folder; absent when it was not written. */
  href?: string;
  run: ReportRun;
}

export interface ReportSweep {
  pipeline: string;
  sweepId: string;
  status: string;
  started: string;
  finished: string;
  backend: string;
  variants: ReportVariant[];
}

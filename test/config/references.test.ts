// Inputs must name declared inputs and existing stages/outputs of the right kind, without cycles.
import { describe, expect, it } from 'vitest';
import { errorsOf, F, load } from './helpers.js';

describe('references', () => {
  it('reports each bad reference at its key or value', async () => {
    expect(await errorsOf('refs.yaml')).toEqual([
      `${F}refs.yaml:5:39: input "x" expects numbers, got dataset from "data"`,
      `${F}refs.yaml:6:49: stage "classifier" (train-classifier): missing input "data" (dataset)`,
      `${F}refs.yaml:6:51: unknown input "dta" for stage "classifier" (train-classifier); did you mean "data"?`,
      `${F}refs.yaml:7:41: input "data": unknown stage "dat"; did you mean "data"?`,
      `${F}refs.yaml:10:21: input "data": stage "parts" (split) has no output "valid"; outputs: train, test`,
      `${F}refs.yaml:12:35: cycle: a -> b -> a`,
    ]);
  });

  it('reports a missing inputs block at the stage node (a block map starts at its first key)', async () => {
    expect(await errorsOf('refs-missing.yaml')).toEqual([`${F}refs-missing.yaml:5:5: stage "twice" (double): missing input "x" (numbers)`]);
  });

  it('accepts bare and dotted references of the right kind', async () => {
    const { config } = await load('ok.yaml');
    expect(config.stages.confident.inputs).toEqual({ data: 'data', model: 'classifier' });
    const refs = await load('refs-ok.yaml');
    expect(refs.config.stages.tail.inputs).toEqual({ data: 'parts.test' });
  });
});

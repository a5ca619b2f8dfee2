// The built-in stages: a plugin like any other, loaded by package name (`mlpipe/stages`) through
// the same entry point as a user's stages. Its default export is the list of stage definitions.
import type { StageDef } from 'mlpipe/sdk/stage';
import { filterConfident } from './filter-confident.js';
import { features } from './features.js';
import { generate } from './generate.js';
import { load } from './load.js';
import { reconstruct } from './reconstruct.js';
import { trainClassifier } from './train-classifier.js';
import { trainInverse } from './train-inverse.js';

const stages: StageDef[] = [load, trainClassifier, filterConfident, trainInverse, reconstruct, generate, features];
export default stages;

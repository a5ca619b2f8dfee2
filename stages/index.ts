// The stage registry: YAML `uses:` name -> stage definition.
import type { Registry } from '../src/stage.js';
import { filterConfident } from './filter-confident.js';
import { features } from './features.js';
import { generate } from './generate.js';
import { load } from './load.js';
import { reconstruct } from './reconstruct.js';
import { trainClassifier } from './train-classifier.js';
import { trainInverse } from './train-inverse.js';

const stages = [load, trainClassifier, filterConfident, trainInverse, reconstruct, generate, features];

export const registry: Registry = Object.fromEntries(stages.map((s) => [s.type, s]));

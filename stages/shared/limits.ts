// Limits the stage definitions' params schemas name, kept free of tfjs: the runner imports the
// definitions on every run, cache hits included, and must not load tfjs-core to read a schema.

/** At most this many hidden layers (the train-classifier schema's limit). */
export const MAX_HIDDEN_LAYERS = 16;

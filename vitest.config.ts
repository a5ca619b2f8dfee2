import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Stage tests train small models on the wasm backend: seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Test files run in parallel processes: one wasm thread each (the CLI's child processes
    // inherit this too).
    env: { PIPELINE_WASM_THREADS: '1' },
  },
});

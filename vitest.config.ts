import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // The package's own name resolves to its TypeScript sources under vitest, as tsc resolves it
    // through the `source` export condition (the built stages import the sdk by package name).
    alias: [
      { find: /^mlpipe\/sdk\/(.*)$/, replacement: here('./src/sdk/$1.ts') },
      { find: /^mlpipe\/sdk$/, replacement: here('./src/sdk/index.ts') },
      { find: /^mlpipe\/stages$/, replacement: here('./stages/index.ts') },
      { find: /^mlpipe$/, replacement: here('./src/index.ts') },
      // package.json's `imports` send these to dist/vendor/'s bundles under node; tests use the
      // packages, as tsc does (the `mlpipe-source` condition).
      { find: /^#yaml$/, replacement: 'yaml' },
      { find: /^#commander$/, replacement: 'commander' },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/build.ts'],
    // Stage tests train small models on the wasm backend: seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Test files run in parallel processes: one wasm thread each (the CLI's child processes
    // inherit this too).
    env: { PIPELINE_WASM_THREADS: '1' },
  },
});

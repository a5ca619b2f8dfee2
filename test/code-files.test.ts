// The code part of a cache key must see every project file a stage's computation runs, and
// name each one, so `why` can say which file changed.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { moduleFiles } from '../src/keys/code.js';
import { registry } from './helpers/builtin.js';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-src-'));
  const exports = {
    './sdk': { 'mlpipe-source': './src/sdk.ts', default: './dist/src/sdk.js' },
    './lib/*': { 'mlpipe-source': './src/lib/*.ts', default: './dist/src/lib/*.js' },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mypkg', exports }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const base = {
  'stages/s.ts': [
    "import { a } from './shared/a.js';",
    "import '../src/side.js';",
    "export * from './b.js';",
    "const c = await import('./c.js');",
    "import { sdk } from 'mypkg/sdk';",
    "import type { T } from './types.js';",
    "import { other } from 'other-package';",
    "import { util } from 'mypkg/lib/util';",
  ].join('\n'),
  'stages/shared/a.ts': 'export const a = 1;\n',
  'src/side.ts': '// registers something\n',
  'stages/b.ts': 'export const b = 2;\n',
  'stages/c.ts': 'export const c = 3;\n',
  'src/sdk.ts': 'export const sdk = 4;\n',
  'stages/types.ts': 'export type T = number;\n',
  'src/lib/util.ts': 'export const util = 5;\n',
};
const stage = (dir: string) => moduleFiles(pathToFileURL(join(dir, 'stages/s.ts')).href);

describe('moduleFiles', () => {
  it('lists the stage and every file it runs, by any import form, this package by name included', () => {
    expect(Object.keys(stage(project(base)))).toEqual([
      'src/lib/util.ts',
      'src/sdk.ts',
      'src/side.ts',
      'stages/b.ts',
      'stages/c.ts',
      'stages/s.ts',
      'stages/shared/a.ts',
    ]);
  });

  it('changes exactly the hash of the file that changed; type-only imports are not code', () => {
    const reference = stage(project(base));
    expect(stage(project(base))).toEqual(reference); // same text elsewhere: same hashes
    for (const file of ['stages/shared/a.ts', 'src/side.ts', 'stages/b.ts', 'stages/c.ts', 'src/sdk.ts', 'src/lib/util.ts']) {
      const edited = stage(project({ ...base, [file]: `${base[file as keyof typeof base]}// edited\n` }));
      const changed = Object.keys(reference).filter((f) => edited[f] !== reference[f]);
      expect(changed, file).toEqual([file]);
    }
    expect(stage(project({ ...base, 'stages/types.ts': 'export type T = string;\n' }))).toEqual(reference);
  });
});

// The built-in stages' form: the definition file (which the runner imports for its metadata on
// every run) reaches its computation only through `await import('./compute/x.js')` in `run`, so
// that a run of cache hits loads no tfjs. The key must still cover that computation.
const split = {
  'stages/d.ts': [
    "import { defineStage } from 'mypkg/sdk';",
    "import { LIMIT } from './shared/limits.js';",
    'export const d = defineStage({',
    '  max: LIMIT,',
    '  async run(ctx) {',
    "    const { run } = await import('./compute/d.js');",
    '    return run(ctx);',
    '  },',
    '});',
  ].join('\n'),
  'stages/shared/limits.ts': 'export const LIMIT = 16;\n',
  'stages/compute/d.ts': "import { helper } from '../shared/helper.js';\nexport async function run() { return helper(); }\n",
  'stages/shared/helper.ts': 'export const helper = () => 1;\n',
  'src/sdk.ts': 'export const defineStage = (d) => d;\n',
};
const splitStage = (dir: string) => moduleFiles(pathToFileURL(join(dir, 'stages/d.ts')).href);

describe('moduleFiles of a stage whose run imports its computation dynamically', () => {
  it('lists the computation and what only it imports', () => {
    expect(Object.keys(splitStage(project(split)))).toEqual([
      'src/sdk.ts',
      'stages/compute/d.ts',
      'stages/d.ts',
      'stages/shared/helper.ts',
      'stages/shared/limits.ts',
    ]);
  });

  it('an edit of a file reached only through the dynamic import changes its hash, and only its', () => {
    const reference = splitStage(project(split));
    for (const file of ['stages/compute/d.ts', 'stages/shared/helper.ts']) {
      const edited = splitStage(project({ ...split, [file]: `${split[file as keyof typeof split]}// edited\n` }));
      const changed = Object.keys(reference).filter((f) => edited[f] !== reference[f]);
      expect(changed, file).toEqual([file]);
    }
  });

  it("every built-in stage's key covers its compute/ file, as written in the real stages", () => {
    for (const def of Object.values(registry)) {
      const files = Object.keys(moduleFiles(def.source!));
      expect(files, def.type).toContain(`stages/compute/${def.type}.ts`);
      expect(files, def.type).toContain(`stages/${def.type}.ts`);
    }
    // and the helpers the computations share, reached only through them
    expect(Object.keys(moduleFiles(registry['train-classifier'].source!))).toContain('stages/shared/mlp.ts');
  });
});

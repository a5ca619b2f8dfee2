// The code part of a cache key must see every project file a stage's computation depends on.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceHash } from '../src/cache/source-hash.js';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-src-'));
  writeFileSync(join(dir, 'package.json'), '{}');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const base = {
  'stages/s.ts': "import { a } from './shared/a.js';\nimport '../src/side.js';\nexport * from './b.js';\nconst c = await import('./c.js');\n",
  'stages/shared/a.ts': 'export const a = 1;\n',
  'src/side.ts': '// registers something\n',
  'stages/b.ts': 'export const b = 2;\n',
  'stages/c.ts': 'export const c = 3;\n',
};

describe('sourceHash', () => {
  it('changes when any file the stage imports changes, by any import form', () => {
    const stage = (dir: string) => sourceHash(pathToFileURL(join(dir, 'stages/s.ts')).href);
    const reference = stage(project(base));
    expect(stage(project(base))).toBe(reference); // same text elsewhere: same hash
    for (const file of ['stages/shared/a.ts', 'src/side.ts', 'stages/b.ts', 'stages/c.ts']) {
      expect(stage(project({ ...base, [file]: `${base[file as keyof typeof base]}// edited\n` })), file).not.toBe(reference);
    }
  });
});

// The code part of a cache key: a hash of a stage's module and every project file it imports
// (relative imports, followed transitively). Editing a stage, or a helper it shares, invalidates
// its entries without anyone remembering to bump `version`.
//
// Keys must be the same whether we run from the TypeScript sources (vitest) or from the compiled
// dist/ (the CLI), so a compiled `dist/x/y.js` is mapped back to `x/y.ts` when that source exists.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './hash.js';

// Relative specifiers of static imports (named, namespace, side-effect only), re-exports, and
// dynamic imports.
const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** The project root: the nearest folder above `file` holding package.json. */
function projectRoot(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return dirname(file);
    dir = up;
  }
  return dir;
}

/** Prefer the TypeScript source of a compiled file, so both ways of running agree. */
function sourceOf(file: string, root: string): string {
  const rel = relative(root, file);
  const candidates: string[] = [];
  if (rel.startsWith('dist/')) {
    const src = join(root, rel.slice('dist/'.length));
    candidates.push(src.replace(/\.js$/, '.ts'), src);
  }
  candidates.push(file.replace(/\.js$/, '.ts'), file);
  return candidates.find((c) => existsSync(c)) ?? file;
}

const memo = new Map<string, string>();

/** sha256 over (path, content) of the module at `moduleUrl` and its relative imports. */
export function sourceHash(moduleUrl: string): string {
  const start = moduleUrl.startsWith('file:') ? fileURLToPath(moduleUrl) : moduleUrl;
  const cached = memo.get(start);
  if (cached) return cached;
  const root = projectRoot(start);
  const seen = new Map<string, string>();
  const queue = [sourceOf(start, root)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    // A match inside a string or comment may name no file: nothing to hash then.
    if (seen.has(file) || !existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      queue.push(sourceOf(resolve(dirname(file), spec), root));
    }
  }
  const parts = [...seen.entries()]
    .map(([file, text]) => `${relative(root, file)}\n${sha256(text)}`)
    .sort();
  const hash = sha256(parts.join('\n'));
  memo.set(start, hash);
  return hash;
}

// What the compiled dist/ was built from: dist/.built lists every TypeScript source with the
// sha256 it had when `npm run build` ran. Keys hash the sources, but the CLI and its workers run
// dist/: a source edited after the build would put the old code's results under the new code's
// key. So a run from dist/ refuses when a file in a key differs from what was built
// (checkBuilt), and the test setup rebuilds when any source differs (changedSinceBuild).
//
// `node dist/src/keys/build-manifest.js` (the last step of `npm run build`) writes the manifest.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../config/errors.js';
import { sha256 } from './hash.js';

export const SOURCE_DIRS = ['src', 'stages', 'bench'];
const MANIFEST = join('dist', '.built');

function sources(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dir of SOURCE_DIRS) {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true, recursive: true })) {
      if (!e.isFile() || !e.name.endsWith('.ts')) continue;
      const path = join(e.parentPath, e.name);
      out[relative(root, path)] = sha256(readFileSync(path, 'utf8'));
    }
  }
  return out;
}

const manifests = new Map<string, Record<string, string> | undefined>();
function manifest(root: string): Record<string, string> | undefined {
  if (!manifests.has(root)) {
    try {
      manifests.set(root, (JSON.parse(readFileSync(join(root, MANIFEST), 'utf8')) as { sources: Record<string, string> }).sources);
    } catch {
      manifests.set(root, undefined);
    }
  }
  return manifests.get(root);
}

export class StaleBuildError extends UsageError {
  constructor(readonly files: string[]) {
    const list = files.slice(0, 10).join(', ') + (files.length > 10 ? ` and ${files.length - 10} more` : '');
    super(`the build is older than its sources: ${list} changed since \`npm run build\`; run it, then run again (nothing was computed)`);
  }
}

/** Refuse code files (project-relative path -> sha256 of the source) that differ from what dist/
 * was built from. Only the sources dist/ is built from count: a dist/ file with no source beside
 * it (an installed package) is itself what runs and what was hashed, and so is a file outside
 * the build (a test's fixture stage). */
export function checkBuilt(root: string, files: Record<string, string>): void {
  const built = manifest(root);
  const isBuilt = (f: string) => SOURCE_DIRS.some((d) => f.startsWith(`${d}${sep}`));
  const stale = Object.keys(files).filter((f) => isBuilt(f) && (!built || built[f] !== files[f]));
  if (stale.length) throw new StaleBuildError(stale);
}

/** Sources added, changed or removed since the last build (all of them when never built). */
export function changedSinceBuild(root: string): string[] {
  manifests.delete(root);
  const built = manifest(root) ?? {};
  const now = sources(root);
  return [...new Set([...Object.keys(now), ...Object.keys(built)])].filter((f) => now[f] !== built[f]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  writeFileSync(join(root, MANIFEST), `${JSON.stringify({ built: new Date().toISOString(), sources: sources(root) }, null, 1)}\n`);
}

// The code part of a cache key: every project file a stage module runs, file by file. Editing a
// stage, or a helper it shares, invalidates its entries without anyone remembering to bump
// `version`, and because each file's hash is kept, `why` can name the file that changed.
//
// A module's files are the module and what it imports at run time, followed transitively:
// relative specifiers and this package's own name (`mlpipe/sdk/...`, resolved through the
// `mlpipe-source` condition of package.json's exports). `import type` runs nothing and is not followed.
//
// Keys must be the same whether we run from the TypeScript sources (vitest) or from the compiled
// dist/ (the CLI), so a compiled `dist/x/y.js` is mapped back to `x/y.ts` when that source exists.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBuilt } from './build-manifest.js';
import { sha256 } from './hash.js';

/** Project-relative path -> sha256 of its text. */
export type CodeFiles = Record<string, string>;

// Static imports (named, namespace, side-effect only) and re-exports, but not `import type` or
// `export type`; and dynamic imports. Group 1 or 2 is the specifier.
const IMPORT_RE = /(?:^|[;\s])(?:import|export)\s+(?!type\s)[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*\(?\s*['"]([^'"]+)['"]/gm;

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

interface Pkg {
  name?: string;
  exports?: Record<string, unknown>;
}
const packages = new Map<string, Pkg>();
function packageOf(root: string): Pkg {
  let pkg = packages.get(root);
  if (!pkg) {
    pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Pkg;
    packages.set(root, pkg);
  }
  return pkg;
}

/** The export condition that names a TypeScript source (tsconfig's customConditions too). */
const SOURCE_CONDITION = 'mlpipe-source';

/** What `*` stands for when `subpath` matches an exports key (`''` for an exact key). */
function matchSubpath(pattern: string, subpath: string): string | undefined {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === subpath ? '' : undefined;
  const [prefix, suffix] = [pattern.slice(0, star), pattern.slice(star + 1)];
  const fits = subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= prefix.length + suffix.length;
  return fits ? subpath.slice(prefix.length, subpath.length - suffix.length) : undefined;
}

/** `mlpipe/sdk/training` -> the source file package.json's exports map it to (an exact subpath or
 * one `*` pattern); undefined for any other package. */
function selfReference(spec: string, root: string): string | undefined {
  const { name, exports } = packageOf(root);
  if (!name || !exports || (spec !== name && !spec.startsWith(`${name}/`))) return undefined;
  const subpath = `.${spec.slice(name.length)}`;
  for (const [pattern, entry] of Object.entries(exports)) {
    const match = matchSubpath(pattern, subpath);
    if (match === undefined) continue;
    const e = entry as Record<string, string> | string;
    const target = typeof e === 'string' ? e : (e[SOURCE_CONDITION] ?? e.default);
    return target ? join(root, target.replace('*', match)) : undefined;
  }
  return undefined;
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

const memo = new Map<string, CodeFiles>();

/** One file as moduleFiles reads it: its hash and the specifiers it imports at run time. */
interface Scan {
  /** size, mtime, ctime and inode (ns): a file whose stamp is unchanged has not been written. */
  stamp: string;
  hash: string;
  specs: string[];
}

/** A stamp is trusted only for a file whose inode last changed this long before it was read: a
 * write in the same tick of a coarse file clock (FAT's is 2 s) could leave the stamp as it was
 * (git's "racy" case). The ctime, not the mtime: a write always sets it to now, utimes cannot
 * set it back. */
const SETTLED_MS = 2000;

/** Scans by absolute path, of this process; and, for a build, of earlier processes too: each
 * project's dist/.cache/code-files.json keeps the settled scans of its files, so a run from dist/
 * stats the files a key names instead of reading and hashing them all. */
const scans = new Map<string, Scan>();
const keptScans = new Map<string, { path: string; files: Record<string, Scan>; changed: boolean }>();

function stampOf(file: string): { stamp: string; settled: boolean } {
  const st = statSync(file, { bigint: true });
  const settled = Date.now() - Number(st.ctimeMs) > SETTLED_MS;
  return { stamp: `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`, settled };
}

function keptOf(root: string): { path: string; files: Record<string, Scan>; changed: boolean } {
  let kept = keptScans.get(root);
  if (!kept) {
    const path = join(root, 'dist', '.cache', 'code-files.json');
    let files: Record<string, Scan> = {};
    try {
      const doc = JSON.parse(readFileSync(path, 'utf8')) as { version?: number; files?: Record<string, Scan> };
      if (doc.version === 1 && doc.files && typeof doc.files === 'object') files = doc.files;
    } catch {
      // none yet, or unreadable: every file is read
    }
    kept = { path, files, changed: false };
    keptScans.set(root, kept);
  }
  return kept;
}

/** Write back what this walk read anew (a read-only build keeps nothing; the walk stands). */
function saveKept(root: string): void {
  const kept = keptScans.get(root);
  if (!kept?.changed) return;
  try {
    mkdirSync(dirname(kept.path), { recursive: true });
    const tmp = `${kept.path}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, files: kept.files }));
    renameSync(tmp, kept.path);
    kept.changed = false;
  } catch {
    // not kept: the next process reads these files again
  }
}

/** The hash and imports of `file`, read only when its stamp is not one already scanned. */
function scan(file: string, root: string, keep: boolean): Scan {
  const { stamp, settled } = stampOf(file);
  const known = scans.get(file);
  if (known && known.stamp === stamp) return known;
  const rel = relative(root, file);
  const kept = keep ? keptOf(root) : undefined;
  const prior = kept?.files[rel];
  if (prior && prior.stamp === stamp && typeof prior.hash === 'string' && Array.isArray(prior.specs)) {
    scans.set(file, prior);
    return prior;
  }
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(IMPORT_RE)].map((m) => m[1] ?? m[2]);
  const fresh: Scan = { stamp, hash: sha256(text), specs };
  // A file written just now might be written again within the same clock tick: not trusted yet.
  if (settled) {
    scans.set(file, fresh);
    if (kept) {
      kept.files[rel] = fresh;
      kept.changed = true;
    }
  }
  return fresh;
}

/** The code of a module whose files this hashing cannot follow (a user's stage file, bundled by
 * the stage loader, src/runner/stage-modules.ts): its loader computed the map; `moduleFiles` of
 * that module (and so `stageCode` of its stage) returns it from now on. */
export function registerModuleFiles(moduleUrl: string, files: CodeFiles): void {
  memo.set(moduleUrl.startsWith('file:') ? fileURLToPath(moduleUrl) : moduleUrl, files);
}

/** The files (project-relative, sorted) that the module at `moduleUrl` runs, with their hashes.
 * Run from the compiled dist/, it throws StaleBuildError when a source differs from what dist/
 * was built from: the hashes name the sources, the code that runs is the build. */
export function moduleFiles(moduleUrl: string): CodeFiles {
  const start = moduleUrl.startsWith('file:') ? fileURLToPath(moduleUrl) : moduleUrl;
  const cached = memo.get(start);
  if (cached) return cached;
  const root = projectRoot(start);
  const compiled = relative(root, start).startsWith(`dist${sep}`);
  const seen = new Map<string, string>();
  const queue = [sourceOf(start, root)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    // A match inside a string or comment may name no file: nothing to hash then.
    if (seen.has(file) || !existsSync(file)) continue;
    const { hash, specs } = scan(file, root, compiled);
    seen.set(file, hash);
    for (const spec of specs) {
      const target = spec.startsWith('.') ? resolve(dirname(file), spec) : selfReference(spec, root);
      if (target) queue.push(sourceOf(target, root));
    }
  }
  if (compiled) saveKept(root);
  const out: CodeFiles = {};
  // By code point (not localeCompare: the first call builds an ICU collator, ~6 ms). Keys do not
  // depend on this order (canonical JSON sorts), only listings of the files do.
  for (const [file, hash] of [...seen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[relative(root, file)] = hash;
  if (compiled) checkBuilt(root, out);
  memo.set(start, out);
  return out;
}

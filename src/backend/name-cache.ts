// The wasm backend's name (`wasm+openblas-skylakex`) kept between processes: finding it means
// importing koffi and loading the BLAS (20-30 ms of a 0.3 s warm run). It is kept in
// dist/.cache/backend-name.json with a fingerprint of everything that decides it, and reused only
// while the fingerprint is the same:
//   - PIPELINE_BLAS, OPENBLAS_CORETYPE, LD_LIBRARY_PATH and LD_PRELOAD, as the process got them;
//   - the CPU's model and flags (blas.ts names the OpenBLAS core from them);
//   - the dynamic loader's cache, /etc/ld.so.cache (installing or removing a library rewrites it);
//   - koffi's entry file, this build's blas.js and name.js, and each BLAS file the probe mapped
//     (size, mtime, inode): an upgrade, a rebuild or a rebuilt library is a new probe.
// Linux only (it needs /proc/self/maps to see which file loaded); elsewhere every run probes. A
// change the fingerprint cannot see (a symlink of the loader's cache retargeted by hand) is
// caught when a stage computes: the started backend must have the name the keys hold (run.ts).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** dist/.cache/backend-name.json when this file runs from a build in dist/, else undefined. */
function cacheFile(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  return /[\\/]dist[\\/]src[\\/]backend[\\/][^\\/]+\.js$/.test(here) ? fileURLToPath(new URL('../../.cache/backend-name.json', import.meta.url)) : undefined;
}

const stamp = (file: string) => {
  const st = statSync(file);
  return `${st.size}:${st.mtimeMs}:${st.ino}`;
};

/** The inputs of the name other than the BLAS files; undefined where the name cannot be kept. */
function inputs(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const cpu = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:(.*)$/m.exec(cpu)?.[1] ?? '';
    const flags = /^flags\s*:(.*)$/m.exec(cpu)?.[1] ?? '';
    const env = ['PIPELINE_BLAS', 'OPENBLAS_CORETYPE', 'LD_LIBRARY_PATH', 'LD_PRELOAD'].map((k) => `${k}=${process.env[k] ?? ''}`);
    const parts = [...env, `cpu=${model.trim()}|${flags.trim()}`, `ld.so.cache=${stamp('/etc/ld.so.cache')}`];
    parts.push(`koffi=${stamp(require.resolve('koffi'))}`);
    // The code that makes the name: a build that changes how it is made must not reuse old names.
    for (const own of ['blas.js', 'name.js']) parts.push(`${own}=${stamp(fileURLToPath(new URL(own, import.meta.url)))}`);
    return createHash('sha256').update(parts.join('\n')).digest('hex');
  } catch {
    return undefined;
  }
}

/** BLAS-looking files mapped into this process (after a probe loaded one). */
function mappedBlasFiles(): string[] {
  const maps = readFileSync('/proc/self/maps', 'utf8');
  const files = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.slice(line.indexOf('/'));
    if (line.includes('/') && /\/lib(open|c)?blas[^/]*\.so[^/]*$/.test(path)) files.add(path);
  }
  return [...files].sort();
}

interface Entry {
  files: Record<string, string>;
  name: string;
}
/** By fingerprint of the inputs; a few, so that runs under two settings do not evict each other. */
interface Kept {
  version: 2;
  entries: Record<string, Entry>;
}
const KEEP = 8;

function read(file: string): Kept {
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Kept;
    if (kept.version === 2 && kept.entries && typeof kept.entries === 'object') return kept;
  } catch {
    // none yet, or unreadable
  }
  return { version: 2, entries: {} };
}

/** The fingerprint of the inputs, taken before a probe (which sets OPENBLAS_CORETYPE); undefined
 * where no name is kept. */
export function nameInputs(): string | undefined {
  return cacheFile() ? inputs() : undefined;
}

/** The name kept under fingerprint `now`, when the BLAS files it names are unchanged. */
export function keptWasmName(now: string | undefined): string | undefined {
  const file = cacheFile();
  if (!file || !now) return undefined;
  const entry = read(file).entries[now];
  if (typeof entry?.name !== 'string' || !entry.files || typeof entry.files !== 'object') return undefined;
  try {
    for (const [path, was] of Object.entries(entry.files)) if (stamp(path) !== was) return undefined;
  } catch {
    return undefined; // a mapped file is gone: probe
  }
  return entry.name;
}

/** Keep `name`, found by a probe that started when the inputs were `before`. */
export function keepWasmName(name: string, before: string | undefined): void {
  const file = cacheFile();
  if (!file || !before) return;
  try {
    const files: Record<string, string> = {};
    for (const path of mappedBlasFiles()) files[path] = stamp(path);
    const kept = read(file);
    delete kept.entries[before];
    kept.entries[before] = { files, name };
    const keys = Object.keys(kept.entries);
    for (const old of keys.slice(0, Math.max(0, keys.length - KEEP))) delete kept.entries[old];
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(kept));
    renameSync(tmp, file);
  } catch {
    // not kept: the next run probes again
  }
}

/** Drop every kept name: a started backend came up under another name than the kept one (a change
 * the fingerprint could not see), so the next run probes. */
export function forgetWasmNames(): void {
  const file = cacheFile();
  if (file) rmSync(file, { force: true });
}

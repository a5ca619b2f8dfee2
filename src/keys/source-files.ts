// The external files a stage declares (source data). The runner reads them, not the stage, so the
// bytes can be hashed into the cache key: changed data is never served from the cache.
//
// A key needs the files' hashes, not their bytes: a stage served from the cache never reads them.
// A file's hash is kept in the cache index under its stamp (size, mtime, ctime, inode, device),
// and reused while a fresh stat gives the same stamp. ctime is in it because nobody can set it:
// an in-place rewrite that keeps the size and restores the mtime with utimes still moves the ctime.
// A stage that computes reads the bytes anyway; they are hashed again and compared with the hashes
// its key was made from, so a stamp that lied is corrected and the key made again: nothing is ever
// computed under a key that names other bytes than the ones the stage got.
import { readFileSync, statSync, type BigIntStats } from 'node:fs';
import { resolve } from 'node:path';
import { sha256 } from './hash.js';
import type { StageDef, StageFile } from '../sdk/stage.js';

export interface StageFiles {
  files: Record<string, StageFile>;
  hashes: Record<string, string>;
}

/** Where files' hashes are kept between runs, under their stamps: the cache index (IndexStore). */
export interface FileHashStore {
  /** The hash recorded for `path` under exactly this stamp; undefined when none is (or the record
   * is for another stamp, or unreadable). */
  fileHash(path: string, stamp: string): Promise<string | undefined>;
  setFileHash(path: string, stamp: string, hash: string): Promise<void>;
}

/** A stamp is not recorded while the file's mtime or ctime is this close to now: file systems
 * keep times in ticks (a jiffy on Linux, 1 s on ext3 and HFS+, 2 s on FAT), and a second write in
 * the tick of the hashed one would leave the stamp unchanged. Such a file is read until it is older. */
export const RACY_MS = 2000;

let reads = 0;
/** How many source-data files this process has read (tests count them). */
export const sourceFileReads = (): number => reads;

function stampOf(st: BigIntStats): string {
  return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.dev}`;
}

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** Name -> the first candidate path that is a file (absolute); throws naming the missing one. */
function locate(def: StageDef, params: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, candidates] of Object.entries(def.files?.(params) ?? {})) {
    const path = candidates.find(isFile);
    if (!path) throw new Error(`${def.type}: missing file "${name}": looked for ${candidates.join(', ')}`);
    out[name] = path;
  }
  return out;
}

interface Read {
  file: StageFile;
  /** The stamp before and after the read agreed (the bytes are the file under this stamp), and
   * the file is old enough for the stamp to stand for its content (RACY_MS). */
  stamp?: string;
}

function readOne(path: string, now = Date.now()): Read {
  const before = statSync(path, { bigint: true });
  const bytes = readFileSync(path);
  reads++;
  const after = statSync(path, { bigint: true });
  const stamp = stampOf(after);
  const newest = Math.max(Number(after.mtimeNs / 1_000_000n), Number(after.ctimeNs / 1_000_000n));
  const settled = stampOf(before) === stamp && now - newest >= RACY_MS;
  return { file: { path, bytes, sha256: sha256(bytes) }, stamp: settled ? stamp : undefined };
}

/** Read and hash every file a stage declares, now (a worker, `runStage`, tests). */
export function readStageFiles(def: StageDef, params: unknown): StageFiles {
  const out: StageFiles = { files: {}, hashes: {} };
  for (const [name, path] of Object.entries(locate(def, params))) {
    const { file } = readOne(path);
    out.files[name] = file;
    out.hashes[name] = file.sha256;
  }
  return out;
}

export interface SourceFileOptions {
  /** Where stamps are kept (the cache index); without both methods every file is read. */
  store?: Partial<FileHashStore>;
  /** Ignore recorded stamps: each file is read (once per SourceFiles) and its stamp recorded anew. */
  rehash?: boolean;
  /** Record stamps of the files read (false for plan and why: they write nothing). */
  record?: boolean;
}

export interface KeyFiles {
  /** File name -> sha256: the key's `files` part. */
  hashes: Record<string, string>;
  /** The files that had to be read to get their hashes (a stage computing next needs them). */
  read?: StageFiles;
}

/** The source files of one run: hashes for keys without reading when the stamps allow, and bytes,
 * checked against the key, for the stages that compute. */
export class SourceFiles {
  /** Absolute path -> what this run knows of it: `read` when hashed from bytes in this run. */
  private readonly known = new Map<string, { stamp: string; hash: string; read: boolean }>();

  private readonly store: FileHashStore | undefined;

  constructor(private readonly opts: SourceFileOptions = {}) {
    const s = opts.store;
    this.store = s?.fileHash && s.setFileHash ? (s as FileHashStore) : undefined;
  }

  /** The hashes of a stage's files for its key: a file whose stamp is unchanged since its hash was
   * recorded is not read. Missing files throw as readStageFiles does. `keepBytes`: return the
   * bytes of the files that were read in `read` (false: a worker will read them itself). */
  async hashes(def: StageDef, params: unknown, keepBytes = true): Promise<KeyFiles> {
    const paths = locate(def, params);
    const hashes: Record<string, string> = {};
    const read: StageFiles = { files: {}, hashes: {} };
    for (const [name, path] of Object.entries(paths)) {
      const hash = await this.recorded(path);
      if (hash !== undefined) {
        hashes[name] = hash;
        continue;
      }
      const r = await this.take(path);
      hashes[name] = r.file.sha256;
      if (!keepBytes) continue;
      read.files[name] = r.file;
      read.hashes[name] = r.file.sha256;
    }
    return Object.keys(read.files).length > 0 ? { hashes, read } : { hashes };
  }

  /** The files for a stage that is about to compute under a key made from `keyHashes`: read
   * (unless `read` holds them already), hashed and compared. `changed` names the files whose bytes
   * are not what the key says: their stamps are corrected, and the caller makes the key again from
   * `files.hashes`. `bytes: false` (a worker reads them): only files whose hash this run did not
   * take from bytes are read, to check them, and nothing is kept. */
  async forCompute(
    def: StageDef,
    params: unknown,
    keyHashes: Record<string, string>,
    read?: StageFiles,
    bytes = true,
  ): Promise<{ files: StageFiles; changed: string[] }> {
    const files: StageFiles = { files: {}, hashes: {} };
    const changed: string[] = [];
    for (const [name, path] of Object.entries(locate(def, params))) {
      let file = read?.files[name];
      if (!file && !bytes) {
        const k = this.known.get(resolve(path));
        const st = statSync(path, { bigint: true });
        if (k?.read && k.stamp === stampOf(st) && k.hash === keyHashes[name]) {
          files.hashes[name] = k.hash;
          continue;
        }
      }
      file ??= (await this.take(path)).file;
      files.hashes[name] = file.sha256;
      if (bytes) files.files[name] = file;
      if (file.sha256 !== keyHashes[name]) changed.push(name);
    }
    return { files, changed };
  }

  /** The hash recorded for the file as it is now, if any (and not rehashing). */
  private async recorded(path: string): Promise<string | undefined> {
    const abs = resolve(path);
    const stamp = stampOf(statSync(path, { bigint: true }));
    const k = this.known.get(abs);
    if (k && k.stamp === stamp && (k.read || !this.opts.rehash)) return k.hash;
    if (this.opts.rehash || !this.store) return undefined;
    const hash = await this.store.fileHash(abs, stamp);
    if (hash === undefined || !/^[0-9a-f]{64}$/.test(hash)) return undefined; // a damaged record is no record
    this.known.set(abs, { stamp, hash, read: false });
    return hash;
  }

  /** Read and hash a file, and record its stamp (when settled and recording). */
  private async take(path: string): Promise<Read> {
    const abs = resolve(path);
    const r = readOne(path);
    if (r.stamp) {
      const k = this.known.get(abs);
      this.known.set(abs, { stamp: r.stamp, hash: r.file.sha256, read: true });
      // Not written again when it is what the index gave or this run recorded already.
      if (this.opts.record && this.store && !(k && k.stamp === r.stamp && k.hash === r.file.sha256)) {
        await this.store.setFileHash(abs, r.stamp, r.file.sha256);
      }
    } else this.known.delete(abs);
    return r;
  }
}

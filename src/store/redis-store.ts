// The shared cache of many machines: the index in Redis (redis-index.ts), the blobs in a folder
// every machine mounts (NFS), with the local cache's promises: blobs are written before the entry
// that names them, and re-hashed when read.
import { resolve } from 'node:path';
import { DirBlobStore } from './dir-blobs.js';
import { connectRedis, giveUpMsFromEnv } from './redis-client.js';
import { RedisIndex } from './redis-index.js';
import { RunCache } from './run-cache.js';

/** `blobsDir` is the RunCache root too: its tmp/ holds the save leases gc looks for, so every
 * machine's gc sees every machine's saves in progress (their names carry host and pid). */
export function openRedisStore(url: string, blobsDir: string, opts: { giveUpMs?: number } = {}): RunCache<DirBlobStore> {
  const root = resolve(blobsDir);
  const client = connectRedis(url, { giveUpMs: opts.giveUpMs ?? giveUpMsFromEnv(), name: 'mlpipe-cache' });
  return new RunCache(root, new RedisIndex(client, url), new DirBlobStore(root));
}

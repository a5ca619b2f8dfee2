// Where a cache lives, as one string, to the stores behind it: a folder (the local cache), or
// `redis://...#blobs=DIR` (redis-store.ts: the index in Redis, the blobs in a folder every
// machine mounts). Runner, workers and cache commands open caches only through here.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseRedisLocation } from './redis-location.js';
import { openRedisStore } from './redis-store.js';
import { RunCache } from './run-cache.js';

/** The cache at `location`, created when it does not exist yet. */
export function openStore(location: string): RunCache {
  const shared = parseRedisLocation(location);
  return shared ? openRedisStore(shared.url, shared.blobs) : RunCache.local(location);
}

/** An existing cache, or undefined: looking at a mistyped path must not create a cache there. */
export function openExistingStore(location: string): RunCache | undefined {
  const shared = parseRedisLocation(location);
  if (shared) return openRedisStore(shared.url, shared.blobs);
  return existsSync(join(location, 'index.sqlite')) ? RunCache.local(location) : undefined;
}

/** A folder made absolute; a Redis location as it is. */
export function resolveLocation(location: string): string {
  return parseRedisLocation(location) ? location : resolve(location);
}

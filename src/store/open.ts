// Where a cache lives, as one string (a folder today), to the stores behind it. Runner, workers
// and cache commands open caches only through here, so a store for many machines (a Redis index
// beside a blob folder every worker mounts) is a new case in this file, not a change to them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RunCache } from './run-cache.js';

/** The cache at `location`, created when it does not exist yet. */
export function openStore(location: string): RunCache {
  return RunCache.local(location);
}

/** An existing cache, or undefined: looking at a mistyped path must not create a cache there. */
export function openExistingStore(location: string): RunCache | undefined {
  return existsSync(join(location, 'index.sqlite')) ? RunCache.local(location) : undefined;
}

export { canonicalJson, hashJson, sha256, shortKey } from './hash.js';
export { cacheKey, artifactHash, type KeyParts } from './key.js';
export { RunCache, CorruptBlobError, defaultCacheRoot, type CacheEntry } from './run-cache.js';

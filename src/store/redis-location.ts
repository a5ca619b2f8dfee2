// Where a shared cache lives, as one string: the Redis URL of its index and the folder of its
// blobs, `redis://host:6379/0#blobs=/shared/blobs` (the folder URL-encoded). One string because a
// cache travels as one: `--cache`, and the argument of a worker process. Kept free of imports so
// the CLI can build a location without loading any store.
import { resolve } from 'node:path';

const BLOBS = '#blobs=';

export const isRedisUrl = (text: string): boolean => /^rediss?:\/\//i.test(text);

/** The location of a shared cache: Redis URL and blob folder (made absolute) in one string. */
export function redisLocation(url: string, blobs: string): string {
  if (!isRedisUrl(url)) throw new Error(`${url}: a Redis URL starts with redis:// or rediss://`);
  if (url.includes('#')) throw new Error(`${url}: a Redis URL has no #fragment`);
  return `${url}${BLOBS}${encodeURIComponent(resolve(blobs))}`;
}

/** The parts of a shared cache's location, or undefined for a local folder. */
export function parseRedisLocation(location: string): { url: string; blobs: string } | undefined {
  if (!isRedisUrl(location)) return undefined;
  const at = location.lastIndexOf(BLOBS);
  if (at < 0) throw new Error(`${location}: a cache in Redis needs its blob folder too (--blobs DIR)`);
  return { url: location.slice(0, at), blobs: decodeURIComponent(location.slice(at + BLOBS.length)) };
}

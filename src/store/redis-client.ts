// The one way this project connects to Redis: the shared cache index, the key leases and the
// BullMQ stage queue all use an ioredis client made here, so they all ride out an outage the same
// way. Commands wait through a reconnect instead of failing mid-sweep (maxRetriesPerRequest: null,
// which BullMQ requires of its blocking connections anyway); a process that should not wait
// forever (a submitter) stops reconnecting after `giveUpMs`, and then every pending and later
// command fails with "Connection is closed": an error, never a hang.
//
// ioredis is loaded on first connect (createRequire: it is CommonJS), so a local run never pays
// for importing it.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

const require = createRequire(import.meta.url);

/** How long a submitter keeps reconnecting before it fails; 0 = forever (a worker). */
export function giveUpMsFromEnv(): number {
  const text = process.env.PIPELINE_REDIS_GIVE_UP_MS;
  if (text === undefined || text === '') return 60_000;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`PIPELINE_REDIS_GIVE_UP_MS=${text}: a number of milliseconds is needed (0: never give up)`);
  return ms;
}

/** The wait before reconnect attempt `times` (1, 2, ...): 200 ms more each time, at most 2 s. */
export const reconnectDelay = (times: number): number => Math.min(times * 200, 2000);

/** The total wait before attempt `times`: a function of `times` alone, because BullMQ duplicates
 * the client (options, retryStrategy included) for its blocking connections. */
function waitedBefore(times: number): number {
  let total = 0;
  for (let t = 1; t <= times; t++) total += reconnectDelay(t);
  return total;
}

/** The URL without its password, for messages and run records. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

const lastErrors = new WeakMap<Redis, Error>();

/** The last connection error of a client: what to say when it cannot be reached. */
export const lastErrorOf = (client: Redis): Error | undefined => lastErrors.get(client);

export function connectRedis(url: string, opts: { giveUpMs: number; name?: string }): Redis {
  const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
  const client = new RedisClient(url, {
    maxRetriesPerRequest: null,
    connectionName: opts.name,
    retryStrategy: (times: number) => (opts.giveUpMs > 0 && waitedBefore(times) > opts.giveUpMs ? null : reconnectDelay(times)),
  });
  // Without a listener ioredis prints every failed reconnect; the commands that fail say why.
  client.on('error', (err: Error) => lastErrors.set(client, err));
  return client;
}

/** Close a client without waiting on a server that is gone. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await Promise.race([client.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  client.disconnect();
}

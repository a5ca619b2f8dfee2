// The shared cache's parts on a real redis-server: the index keeps the IndexStore promises (a
// damaged row is reported, not skipped; an evicting Redis is refused), a RunCache composed of it
// and a blob folder saves and reads back, and the leases are exclusive, expire when their holder
// stops renewing, and are never released by a holder that lost them.
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { openStore, resolveLocation } from '../../src/store/open.js';
import { DamagedEntryError, IndexError } from '../../src/store/index-store.js';
import { connectRedis } from '../../src/store/redis-client.js';
import { RedisIndex } from '../../src/store/redis-index.js';
import { RedisLeases } from '../../src/store/redis-lease.js';
import { parseRedisLocation, redisLocation } from '../../src/store/redis-location.js';
import { fakeEntry, tempRoot } from '../store/helpers.js';
import { type RedisServer, startRedis } from './redis-server.js';

let redis: RedisServer;
let raw: Redis;
beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  await initBackend('cpu');
});
afterAll(async () => {
  await raw?.quit();
  await redis?.stop();
});
beforeEach(async () => {
  await raw.flushall();
});

const index = () => new RedisIndex(connectRedis(redis.url, { giveUpMs: 2000 }), redis.url);

describe('RedisIndex', () => {
  it('gets, sets, deletes and scans entries; a damaged row is reported, not skipped', async () => {
    const ix = index();
    await ix.check();
    expect(await ix.get('a')).toBeUndefined();
    await ix.set(fakeEntry('a'));
    await ix.set(fakeEntry('b'));
    expect((await ix.get('a'))?.key).toBe('a');
    await raw.hset('mlpipe:index', 'c', '{not json');
    await expect(ix.get('c')).rejects.toBeInstanceOf(DamagedEntryError);
    const scan = await ix.scan();
    expect(scan.entries.map((e) => e.key).sort()).toEqual(['a', 'b']);
    expect(scan.damaged.map((d) => d.key)).toEqual(['c']);
    await ix.delete('a');
    await ix.delete('a'); // not there: not an error
    expect((await ix.all()).map((e) => e.key)).toEqual(['b']);
    await ix.close();
  });

  it('keeps source-file hashes by stamp apart from the entries, per machine; a garbled record is none', async () => {
    const ix = index();
    const hash = 'ab'.repeat(32);
    expect(await ix.fileHash('/data/x.idx', 's1')).toBeUndefined();
    await ix.setFileHash('/data/x.idx', 's1', hash);
    expect(await ix.fileHash('/data/x.idx', 's1')).toBe(hash);
    expect(await ix.fileHash('/data/x.idx', 's2')).toBeUndefined(); // the file changed
    expect(await ix.fileHash('/data/y.idx', 's1')).toBeUndefined();
    await ix.setFileHash('/data/x.idx', 's2', 'cd'.repeat(32));
    expect(await ix.fileHash('/data/x.idx', 's2')).toBe('cd'.repeat(32));
    expect(await ix.fileHash('/data/x.idx', 's1')).toBeUndefined(); // one record per path
    expect((await ix.scan()).entries).toEqual([]);
    const fields = await raw.hkeys('mlpipe:files');
    expect(fields).toEqual([`${hostname()}:/data/x.idx`]);
    for (const garbled of ['{nope', JSON.stringify({ stamp: 's2', hash: 'not hex' }), JSON.stringify({ stamp: 's2' })]) {
      await raw.hset('mlpipe:files', fields[0], garbled);
      expect(await ix.fileHash('/data/x.idx', 's2')).toBeUndefined();
    }
    await ix.close();
  });

  it('refuses a Redis that evicts keys, and one it cannot reach, naming the URL', async () => {
    await raw.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const ix = index();
    await expect(ix.check()).rejects.toThrow(/redis:\/\/127\.0\.0\.1:\d+ \(mlpipe:index\) evicts keys \(maxmemory-policy allkeys-lru\).*noeviction/);
    await raw.config('SET', 'maxmemory-policy', 'noeviction');
    await ix.close();
    const nowhere = new RedisIndex(connectRedis('redis://127.0.0.1:1', { giveUpMs: 500 }), 'redis://127.0.0.1:1');
    const err = await nowhere.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexError);
    expect((err as Error).message).toMatch(/redis:\/\/127\.0\.0\.1:1 .*cannot be reached/);
    await nowhere.close();
  });

  it('opens as a RunCache from one location string: saves blobs and entry, reads them back', async () => {
    const blobs = tempRoot();
    const location = redisLocation(redis.url, blobs);
    expect(resolveLocation(location)).toBe(location);
    expect(parseRedisLocation(location)).toEqual({ url: redis.url, blobs });
    const cache = openStore(location);
    await cache.check();
    const entry = await cache.save({
      key: 'k1',
      parts: fakeEntry('k1').parts,
      stageId: 's',
      pipeline: 'p',
      outputs: { out: { t: tf.tensor1d([1, 2, 3]) } },
      pictures: {},
      metrics: { m: 1 },
      computeMs: 1,
    });
    expect(await raw.hexists('mlpipe:index', 'k1')).toBe(1);
    const again = await cache.lookup('k1');
    expect(again?.outputs).toEqual(entry.outputs);
    const t = (await cache.loadArtifact(again!, 'out')).t as tf.Tensor;
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
    // A blob altered on disk is detected when read, and the entry dropped.
    const hash = entry.outputs.out.t.hash;
    writeFileSync(join(blobs, 'blobs', hash.slice(0, 2), hash.slice(2)), 'garbage');
    expect(await cache.lookup('k1')).toBeUndefined();
    expect(await raw.hexists('mlpipe:index', 'k1')).toBe(0);
    await cache.close();
  });
});

describe('RedisLeases', () => {
  it('one holder at a time; the waiter is told who holds it and takes it on release', async () => {
    const client = connectRedis(redis.url, { giveUpMs: 2000 });
    const leases = new RedisLeases(client, 'test', 5000);
    const first = await leases.acquire('k');
    const holders: string[] = [];
    let second = false;
    const waiting = leases.acquire('k', { onWait: (h) => holders.push(`${h.host}:${h.pid}`) }).then((l) => {
      second = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(second).toBe(false);
    expect(holders).toHaveLength(1);
    first.release();
    (await waiting).release();
    expect(second).toBe(true);
    await client.quit();
  });

  it('a lease whose holder stops renewing expires; a holder that lost its lease does not delete the new one', async () => {
    const client = connectRedis(redis.url, { giveUpMs: 2000 });
    const leases = new RedisLeases(client, 'test', 600);
    await raw.set('test:lease:k', JSON.stringify({ pid: 1, host: 'gone', started: '' }), 'PX', 600);
    const t0 = performance.now();
    const mine = await leases.acquire('k');
    expect(performance.now() - t0).toBeGreaterThan(300);
    // Renewed while held: still there well past its ttl.
    await new Promise((r) => setTimeout(r, 1200));
    const held = await raw.get('test:lease:k');
    expect(JSON.parse(held!).pid).toBe(process.pid);
    // Someone else's lease stands there now (ours lapsed): our release leaves it alone.
    await raw.set('test:lease:k', 'theirs');
    mine.release();
    await new Promise((r) => setTimeout(r, 100));
    expect(await raw.get('test:lease:k')).toBe('theirs');
    await client.quit();
  });
});

// The lease of src/store/lease.ts in this process: waiting for a live holder, taking over from a
// dead one, giving up on abort, and cleaning dead holders' files.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Holder, holderAlive, type Lease, Leases } from '../../src/store/lease.js';
import { cleanup, sleep, tempDir } from './helpers.js';

afterEach(cleanup);

const KEY = 'a'.repeat(64);

/** A pid of this host that is gone: a `node -e 0` that ran and was reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise<void>((resolve) => child.on('exit', () => resolve()));
  expect(holderAlive({ pid: child.pid!, host: hostname(), started: '' })).toBe(false);
  return child.pid!;
}

const holderIn = (root: string, key: string): Holder => JSON.parse(readFileSync(join(root, 'locks', `${key}.lock`), 'utf8')) as Holder;

function writeLease(root: string, key: string, holder: Holder): void {
  mkdirSync(join(root, 'locks'), { recursive: true });
  writeFileSync(join(root, 'locks', `${key}.lock`), JSON.stringify(holder));
}

describe('Leases', () => {
  it('makes a second acquire wait for a live holder (onWait once, with the holder) until release', async () => {
    const root = tempDir('lease');
    const leases = new Leases(root);
    const first = await leases.acquire(KEY);
    expect(holderIn(root, KEY).pid).toBe(process.pid);

    const waits: Holder[] = [];
    let second: Lease | undefined;
    const pending = leases.acquire(KEY, { onWait: (h) => waits.push(h) }).then((l) => {
      second = l;
      return l;
    });
    await sleep(450); // several polls (every 100 ms)
    expect(second).toBeUndefined();
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ pid: process.pid, host: hostname() });

    const released = performance.now();
    first.release();
    const lease = await pending;
    expect(performance.now() - released).toBeLessThan(1000);
    expect(waits).toHaveLength(1);
    expect(holderIn(root, KEY).pid).toBe(process.pid);
    lease.release();
    expect(readdirSync(join(root, 'locks'))).toEqual([]);
  });

  it('takes over the lease of a dead pid of this host within a poll or two', async () => {
    const root = tempDir('lease');
    const pid = await deadPid();
    writeLease(root, KEY, { pid, host: hostname(), started: new Date().toISOString() });
    const waits: Holder[] = [];
    const t0 = performance.now();
    const lease = await new Leases(root).acquire(KEY, { onWait: (h) => waits.push(h) });
    const ms = performance.now() - t0;
    console.log(`lease of dead pid ${pid} taken over in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1000);
    expect(waits).toEqual([]); // a dead holder is not waited for
    expect(holderIn(root, KEY).pid).toBe(process.pid);
    lease.release();
    expect(readdirSync(join(root, 'locks'))).toEqual([]); // no `.stale` file left beside it
  });

  it('rejects when the signal aborts while waiting, and at once when already aborted', async () => {
    const root = tempDir('lease');
    const leases = new Leases(root);
    const held = await leases.acquire(KEY);
    const controller = new AbortController();
    const waiting = leases.acquire(KEY, { signal: controller.signal });
    const settled = waiting.then(
      () => 'resolved',
      (err: Error) => err.name,
    );
    await sleep(250);
    const aborted = performance.now();
    controller.abort();
    expect(await settled).toBe('AbortError');
    expect(performance.now() - aborted).toBeLessThan(500);
    expect(holderIn(root, KEY).pid).toBe(process.pid); // the holder's lease is untouched

    await expect(leases.acquire(KEY, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    held.release();
    const again = await leases.acquire(KEY, { signal: new AbortController().signal });
    again.release();
  });

  it("cleanDead removes dead holders' files of this host and keeps live ones", async () => {
    const root = tempDir('lease');
    const dead = await deadPid();
    const now = new Date().toISOString();
    writeLease(root, 'dead', { pid: dead, host: hostname(), started: now });
    writeLease(root, 'live', { pid: process.pid, host: hostname(), started: now });
    // A holder on another host cannot be checked: kept (the refresh/staleness rule covers it).
    writeLease(root, 'remote', { pid: dead, host: `not-${hostname()}`, started: now });
    const leases = new Leases(root);
    const held = await leases.acquire('mine');
    expect(leases.cleanDead()).toBe(1);
    expect(readdirSync(join(root, 'locks')).sort()).toEqual(['live.lock', 'mine.lock', 'remote.lock']);
    held.release();
    expect(existsSync(join(root, 'locks', 'mine.lock'))).toBe(false);
    expect(new Leases(tempDir('lease')).cleanDead()).toBe(0); // no locks folder at all
  });
});

// kill -9 of a run that holds a lease: the run waiting for it takes it over at its next poll,
// the killed run's finished stages stay usable, and nothing is left in CACHE/locks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, isAlive, locks, onlyManifest, runToEnd, sleep, smoke, stackLines, startRun, tempDir, waitFor } from './helpers.js';

afterEach(cleanup);

const pidIn = (file: string): number | undefined => {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined; // moved aside or being written during the takeover
  }
};

describe('kill -9 of the lease holder', () => {
  it('lets the waiting run take over; SIGTERM then stops it cleanly; a third run reuses data', async () => {
    const dir = tempDir('kill');
    const cache = join(dir, 'cache');
    const long = (runs: string) => ['run', smoke, '--cache', cache, '--runs', join(dir, runs), '--set', 'classifier.steps=200000'];

    // A: computes data, then holds the classifier's lease for minutes.
    const a = await startRun(long('ra'));
    await waitFor(() => /^› classifier: step \d+\/200000/m.test(a.stdout) || a.exit !== undefined, 20_000, 'A to train the classifier');
    expect(a.exit, a.stderr).toBeUndefined();
    expect(a.stdout).toMatch(/^✔ data \(load\) {2}done /m);
    const held = locks(cache).filter((l) => l.pid === a.pid);
    expect(held).toHaveLength(1);
    const lock = held[0].file;

    // B: data is a hit, then it waits for A's classifier lease. (The simple renderer does not
    // print the `waiting for pid` title: the last thing B prints is the data row, and the lease
    // wait starts right after; a few polls' grace makes sure B is in it.)
    const b = await startRun(long('rb'));
    await waitFor(() => /^✔ data \(load\) {2}cached /m.test(b.stdout) || b.exit !== undefined, 20_000, 'B to find data cached');
    await sleep(300);
    expect(b.exit, b.stderr).toBeUndefined();
    expect(pidIn(lock)).toBe(a.pid);
    expect(b.stdout).not.toMatch(/classifier: step/);

    const killed = performance.now();
    a.child.kill('SIGKILL');
    await waitFor(() => pidIn(lock) === b.pid, 10_000, "the classifier's lock to name B", 5);
    const takeover = performance.now() - killed;
    console.log(`kill -9 of A -> B holds the classifier's lease: ${takeover.toFixed(0)} ms`);
    expect(takeover).toBeLessThan(2000);
    expect(await a.exited).toMatchObject({ signal: 'SIGKILL' });
    await waitFor(() => /^› classifier: step \d+\/200000/m.test(b.stdout), 20_000, 'B to train the classifier');

    const termed = performance.now();
    b.child.kill('SIGTERM');
    const bExit = await b.exited;
    const termMs = bExit.at - termed;
    console.log(`SIGTERM -> B exited ${bExit.code}: ${termMs.toFixed(0)} ms`);
    await b.closed;
    expect(bExit.code, b.stderr).toBe(143);
    expect(termMs).toBeLessThan(5000);
    expect(b.stdout).toMatch(/^interrupted:$/m);
    expect(b.stdout).toMatch(/^ {2}finished and cached: data$/m);
    expect(b.stdout).toMatch(/^ {2}stopped while computing \(nothing stored\): classifier$/m);
    expect(stackLines(b.stderr)).toEqual([]);
    expect(onlyManifest(join(dir, 'rb')).status).toBe('interrupted');

    // C: a short classifier (smoke's own 60 steps: with 5, the confidence filter keeps no sample
    // and inverse fails) on the same cache; A's data, stored before the kill -9, is reused.
    const c = await runToEnd(['run', smoke, '--cache', cache, '--runs', join(dir, 'rc')]);
    expect(c.stderr).toBe('');
    expect(c.exit.code).toBe(0);
    const m = onlyManifest(join(dir, 'rc'));
    expect(m.status).toBe('ok');
    expect(m.stages.data.status).toBe('hit');
    expect(m.stages.classifier.status).toBe('miss');
    const left = locks(cache);
    expect(left.filter((l) => l.pid === a.pid || l.pid === b.pid)).toEqual([]);
    expect(left.filter((l) => l.file.endsWith('.stale'))).toEqual([]);
    expect(left).toEqual([]); // C released its own leases too
    expect(isAlive(a.pid) || isAlive(b.pid)).toBe(false);
  });
});

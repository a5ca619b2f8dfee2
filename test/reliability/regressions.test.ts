// Defects found while writing the reliability tests, fixed since: each stays as the test that
// keeps it fixed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Leases } from '../../src/store/lease.js';
import { childrenOf, cleanup, startRun, sweepSmoke, tempDir, track, waitFor } from './helpers.js';

afterEach(cleanup);

describe('regressions', () => {
  // An empty lease file (its maker died between open(O_EXCL) and write) once blocked its key
  // forever: it named no holder, so acquire neither waited on one nor took over. It is taken
  // over once it has stood unwritten for 2 s (src/store/lease.ts UNWRITTEN_MS).
  it('takes over an empty lease file that nobody is writing', async () => {
    const root = tempDir('known');
    mkdirSync(join(root, 'locks'));
    writeFileSync(join(root, 'locks', 'k.lock'), '');
    const controller = new AbortController();
    const acquired = new Leases(root).acquire('k', { signal: controller.signal }).then(
      (lease) => {
        lease.release();
        return 'acquired';
      },
      () => 'aborted',
    );
    const first = await Promise.race([acquired, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 4000))]);
    controller.abort(); // ends the poll loop either way
    await acquired;
    expect(first).toBe('acquired');
  });

  // The first job of a sweep once started size - 1 workers (and took one of them): the second
  // loaded its backend only when a second job was waiting, not while the shared stages ran.
  it('a sweep with --jobs 2 has both workers up while its first (shared) stage computes', async () => {
    const dir = tempDir('known');
    const p = await startRun([
      'run',
      sweepSmoke,
      '--jobs',
      '2',
      '--cache',
      join(dir, 'cache'),
      '--runs',
      join(dir, 'runs'),
      '--set',
      'classifier.steps=200000',
    ]);
    await waitFor(() => /^› classifier: step \d+\/200000/m.test(p.stdout) || p.exit !== undefined, 25_000, 'the classifier to train');
    expect(p.exit, p.stderr).toBeUndefined();
    try {
      await waitFor(() => childrenOf(p.pid).length >= 2, 3000, 'two worker processes');
    } finally {
      track(childrenOf(p.pid));
    }
  });
});

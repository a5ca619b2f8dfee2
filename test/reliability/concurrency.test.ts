// Two `pipeline run` processes of the same config on one cache, started together: every stage is
// computed by exactly one of them, the other waits for its lease and uses what it stored.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, onlyManifest, smoke, stackLines, startRun, tempDir } from './helpers.js';

afterEach(cleanup);

describe('two runs on one cache at once', () => {
  it('compute every stage once between them; the second waits and reuses', async () => {
    const dir = tempDir('concurrency');
    const cache = join(dir, 'cache');
    // 600 classifier steps: a second or more, so the two runs really overlap.
    const args = (runs: string) => ['run', smoke, '--cache', cache, '--runs', join(dir, runs), '--set', 'classifier.steps=600'];
    const [a, b] = await Promise.all([startRun(args('r1')), startRun(args('r2'))]);
    await Promise.all([a.closed, b.closed]);
    for (const p of [a, b]) {
      expect(p.stderr).toBe('');
      expect(p.exit?.code).toBe(0);
      expect(stackLines(p.stdout)).toEqual([]);
    }

    const m1 = onlyManifest(join(dir, 'r1'));
    const m2 = onlyManifest(join(dir, 'r2'));
    expect(m1.status).toBe('ok');
    expect(m2.status).toBe('ok');
    const ids = Object.keys(m1.stages);
    expect(ids.sort()).toEqual(['classifier', 'confident', 'data', 'features', 'generate', 'inverse', 'reconstruct']);
    expect(Object.keys(m2.stages).sort()).toEqual(ids);
    for (const id of ids) {
      expect(m2.stages[id].key, id).toBe(m1.stages[id].key);
      // Exactly one run computed it ('miss'); the other found it cached ('hit').
      expect([m1.stages[id].status, m2.stages[id].status].sort(), id).toEqual(['hit', 'miss']);
    }

    // The run that waits says so twice in a log (non-TTY): a line while it waits for the other
    // run's lease, and its row's final title once it found the entry that run stored.
    const out = `${a.stdout}\n---\n${b.stdout}`;
    const waits = out.split('\n').filter((l) => /waiting for pid/.test(l));
    const reused = out.split('\n').filter((l) => /computed by another run meanwhile/.test(l));
    expect(waits.length, out).toBeGreaterThan(0);
    for (const line of waits) expect(line).toMatch(/^› \S+: waiting for pid \d+ on \S+ \(another run\) to store [0-9a-f]{10}$/);
    expect(reused.length, out).toBeGreaterThan(0);
    for (const line of reused) expect(line).toMatch(/^✔ \S+ \([a-z-]+\) {2}cached {2}[0-9a-f]{10} {2}\(computed by another run meanwhile\)$/);
  });
});

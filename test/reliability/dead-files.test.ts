// What a process killed with -9 leaves in the cache's tmp/ (a half-written blob, its save lease)
// is removed by the next run's cache check and by gc at once, not after an hour; files of live
// processes stay.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gcCache } from '../../src/store/gc.js';
import { OWNER } from '../../src/store/owner.js';
import { RunCache } from '../../src/store/run-cache.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function leftovers(root: string): { dead: string[]; live: string[] } {
  const tmp = join(root, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const deadOwner = OWNER.replace(/-\d+$/, `-${deadPid()}`);
  const dead = [`${'a'.repeat(64)}.${deadOwner}.0001`, `save${deadOwner}.0002.lease`].map((n) => join(tmp, n));
  const live = [`${'b'.repeat(64)}.${OWNER}.0003`, `save${OWNER}.0004.lease`].map((n) => join(tmp, n));
  // Leases first, as a save takes its lease before it writes a blob: gc keeps a live process's temp
  // blob only when it is no older than that process's lease (written the other way round, a fine
  // file clock made the blob older and the test flaky).
  const leasesFirst = [...dead, ...live].sort((a, b) => Number(b.endsWith('.lease')) - Number(a.endsWith('.lease')));
  for (const f of leasesFirst) writeFileSync(f, 'partial');
  return { dead, live };
}

describe("a dead process's temp files and leases", () => {
  it('are removed by the next run (its cache check), fresh as they are; a live process keeps its own', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dead-files-'));
    const cache = RunCache.local(root);
    const { dead, live } = leftovers(root);
    await cache.check();
    expect(dead.filter(existsSync)).toEqual([]);
    expect(live.filter(existsSync)).toEqual(live);
    await cache.close();
  });

  it('are removed by gc at once, and a dead save lease holds no blob back', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dead-files-'));
    const cache = RunCache.local(root);
    const { dead, live } = leftovers(root);
    const report = await gcCache(cache);
    expect(dead.filter(existsSync)).toEqual([]);
    expect(live.filter(existsSync)).toEqual(live);
    expect(report.tmp.count).toBe(dead.length);
    await cache.close();
  });
});

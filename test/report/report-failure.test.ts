// A report that cannot be made does not lose the run: the manifest (or sweep.json) is written
// and says why, and the run's result has no report path.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runPipeline } from '../../src/runner/run.js';
import { registry } from '../helpers/builtin.js';

vi.mock('../../src/report/run-report.js', async (original) => ({
  ...(await original<typeof import('../../src/report/run-report.js')>()),
  renderRunReport: async () => {
    throw new Error('no plots today');
  },
}));
vi.mock('../../src/report/sweep-report.js', async (original) => ({
  ...(await original<typeof import('../../src/report/sweep-report.js')>()),
  renderSweepReport: async () => {
    throw new Error('no sweep page today');
  },
}));

const root = join(import.meta.dirname, '..', '..');

describe('a report that fails to render', () => {
  it('leaves the run folder and sweep folder complete, the failure noted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-report-fail-'));
    const opts = { registry, cacheRoot: join(dir, 'cache'), runsRoot: join(dir, 'runs'), jobs: 1 };
    const r = await runPipeline({ ...opts, file: join(root, 'experiments', 'smoke.yaml') });
    expect(r.ok).toBe(true);
    expect(r.report).toBeUndefined();
    expect(existsSync(join(r.runDir, 'report.html'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(r.runDir, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('ok');
    expect(manifest.reportError).toBe('report.html not written: no plots today');
    expect(existsSync(join(r.runDir, 'reconstruct', 'reconstruct.png'))).toBe(true);

    const s = await runPipeline({ ...opts, file: join(root, 'test', 'fixtures', 'sweep-smoke.yaml') });
    expect(s.ok).toBe(true);
    expect(s.report).toBeUndefined();
    expect(JSON.parse(readFileSync(join(s.runDir, 'sweep.json'), 'utf8')).reportError).toBe('sweep.html not written: no sweep page today');
    expect(existsSync(join(s.runDir, 'sweep.csv'))).toBe(true);
    expect(existsSync(join(s.runDir, 'sweep.html'))).toBe(false);
  });
});

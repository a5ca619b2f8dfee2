// Named and unnamed variants run: their run folders and manifests carry the variant ids, and
// `cache show SWEEP-ID/VARIANT/STAGE` reads a variant's stage; a stage that failed is reported
// as failed, not as evicted.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline, type RunResult } from '../../src/runner/run.js';
import { registry } from '../helpers/builtin.js';
import { cli, engineFile, registry as engineRegistry } from '../cache-commands/helpers.js';

const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('a sweep of named and unnamed variants', () => {
  let dir: string;
  let r: RunResult;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pipeline-variants-run-'));
    const file = join(dir, 'named.yaml');
    writeFileSync(
      file,
      [
        `extends: ${join(root, 'experiments', 'smoke.yaml')}`,
        'name: named-sweep',
        'set:',
        '  confident.threshold: 0.3',
        '  generate.steps: 10',
        'variants:',
        '  - name: short',
        '    set: { inverse.steps: 5 }',
        '  - set: { inverse.steps: 10 }',
        '',
      ].join('\n'),
    );
    r = await runPipeline({ file, registry, cacheRoot: join(dir, 'cache'), runsRoot: join(dir, 'runs'), jobs: 1 });
  }, 240_000);

  it('names run folders, manifests and report rows by the variant ids', () => {
    expect(r.ok).toBe(true);
    const sweepId = basename(r.runDir);
    expect(r.runDir).toBe(join(dir, 'runs', 'named-sweep', sweepId));
    expect(r.sweep!.rows.map((row) => row.variant)).toEqual(['short', 'v2']);
    for (const id of ['short', 'v2']) {
      const manifest = readJson(join(r.runDir, id, 'manifest.json'));
      expect(manifest.runId).toBe(`${sweepId}/${id}`);
      expect(manifest.status).toBe('ok');
    }
    expect(readJson(join(r.runDir, 'short', 'manifest.json')).config.stages.inverse.with.steps).toBe(5);
    expect(readJson(join(r.runDir, 'sweep.json')).variants.map((v: { variant: string }) => v.variant)).toEqual(['short', 'v2']);
    expect(readFileSync(join(r.runDir, 'sweep.csv'), 'utf8').split('\n')[1]).toMatch(/^short,/);
  });

  const show = (ref: string) =>
    spawnSync('node', [main, 'cache', 'show', ref, '--cache', join(dir, 'cache'), '--runs', join(dir, 'runs')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });

  it('cache show SWEEP-ID/NAME/STAGE, SWEEP-ID/vN/STAGE and PIPELINE/SWEEP-ID/VARIANT/STAGE', () => {
    const sweepId = basename(r.runDir);
    const key = readJson(join(r.runDir, 'short', 'manifest.json')).stages.inverse.key as string;
    for (const ref of [`${sweepId}/short/classifier`, `${sweepId}/v2/inverse`, `named-sweep/${sweepId}/short/inverse`, `${sweepId}/short/inverse`]) {
      const out = show(ref);
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
    }
    expect(show(`${sweepId}/short/inverse`).stdout).toContain(key.slice(0, 12));
    // The run id exactly as the manifest records it.
    expect(show(`${readJson(join(r.runDir, 'v2', 'manifest.json')).runId}/classifier`).status).toBe(0);
  });

  it('a sweep folder without a variant names the variants', () => {
    const out = show(`${basename(r.runDir)}/classifier`);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain(`run ${basename(r.runDir)} is a sweep: name a variant, as in ${basename(r.runDir)}/short/classifier (variants: short, v2)`);
  });
});

describe('cache show of a stage that failed', () => {
  it('says it failed, with its error, whether or not the manifest has its key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-variants-failed-'));
    const file = join(dir, 'engine-sweep.yaml');
    writeFileSync(file, [`extends: ${engineFile}`, 'variants:', '  - { name: fine, set: {} }', '  - { name: broken, set: { sum.fail: true } }', ''].join('\n'));
    const r = await runPipeline({ file, registry: engineRegistry, cacheRoot: join(dir, 'cache'), runsRoot: join(dir, 'runs'), jobs: 1 });
    expect(r.ok).toBe(false);
    const sweepId = basename(r.runDir);
    const manifestFile = join(r.runDir, 'broken', 'manifest.json');
    const manifest = readJson(manifestFile);
    expect(manifest.runId).toBe(`${sweepId}/broken`);
    expect(manifest.stages.sum.status).toBe('failed');
    const args = (ref: string) => ['cache', 'show', ref, '--cache', join(dir, 'cache'), '--runs', join(dir, 'runs')];

    const failed = await cli(args(`${sweepId}/broken/sum`));
    expect(failed.status).toBe(2);
    expect(failed.err).toContain(`stage sum of run ${sweepId}/broken failed: asked to fail; it left no cache entry`);
    expect(failed.err).not.toContain('no longer in the cache');

    // Without a key in its row, the same.
    delete manifest.stages.sum.key;
    writeFileSync(manifestFile, JSON.stringify(manifest));
    expect((await cli(args(`engine/${sweepId}/broken/sum`))).err).toContain(`stage sum of run engine/${sweepId}/broken failed: asked to fail`);

    // The other variant's stage is there.
    expect((await cli(args(`${sweepId}/fine/sum`))).status).toBe(0);

    // A stage that succeeded but whose entry is gone keeps the eviction message.
    const fine = readJson(join(r.runDir, 'fine', 'manifest.json'));
    fine.stages.sum.key = 'f'.repeat(64);
    writeFileSync(join(r.runDir, 'fine', 'manifest.json'), JSON.stringify(fine));
    expect((await cli(args(`${sweepId}/fine/sum`))).err).toContain('which is no longer in the cache');
    expect(existsSync(join(r.runDir, 'sweep.json'))).toBe(true);
  }, 60_000);
});

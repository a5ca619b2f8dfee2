// A run from a dist/ older than its sources is refused before anything computes. Done on a copy
// of the project (sources and dist/, node_modules linked), so the repository is not touched.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { changedSinceBuild } from '../../src/keys/build-manifest.js';
import { cleanup, cliOf, root, runToEnd, stackLines, tempDir } from './helpers.js';

afterEach(cleanup);

function copyProject(to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'stages', 'bench', 'pipelines', 'experiments', 'dist']) {
    cpSync(join(root, name), join(to, name), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(to, 'node_modules'), 'dir');
  // Another engineer may have edited a source since dist/ was built: the copy must start
  // consistent (its dist/.built naming its sources). A full build takes too long for this test;
  // restamping the manifest (the last step of `npm run build`) is enough for what is tested here.
  if (changedSinceBuild(to).length > 0) execFileSync(process.execPath, [join(to, 'dist', 'src', 'keys', 'build-manifest.js')], { cwd: to, stdio: 'ignore' });
}

describe('a stale build', () => {
  it('is refused with exit 2, naming the changed source, and nothing is created', async () => {
    const dir = tempDir('stale');
    const project = join(dir, 'project');
    copyProject(project);
    expect(existsSync(join(project, 'dist', '.built'))).toBe(true);
    expect(changedSinceBuild(project)).toEqual([]);

    const features = join(project, 'stages', 'features.ts');
    const original = readFileSync(features, 'utf8');
    appendFileSync(features, '// edited after the build\n');
    const cache = join(dir, 'cache');
    const runs = join(dir, 'runs');
    const args = ['run', join(project, 'experiments', 'smoke.yaml'), '--cache', cache, '--runs', runs];
    const cli = cliOf(project);
    const stale = await runToEnd(args, { cli, cwd: dir, retry: false });
    expect(stale.exit.code, stale.stdout + stale.stderr).toBe(2);
    expect(stale.stderr).toMatch(/stages\/features\.ts/);
    expect(stale.stderr).toMatch(/`npm run build`/);
    expect(stale.stderr).toMatch(/nothing was computed/);
    expect(stackLines(stale.stderr)).toEqual([]);
    expect(stale.stdout).toBe('');
    expect(existsSync(cache)).toBe(false);
    expect(existsSync(runs)).toBe(false);

    writeFileSync(features, original);
    const ok = await runToEnd(args, { cli, cwd: dir });
    expect(ok.stderr).toBe('');
    expect(ok.exit.code).toBe(0);
    expect(existsSync(join(cache, 'index.sqlite'))).toBe(true);
  });
});

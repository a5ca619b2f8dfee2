// examples/autoencoder: the seed pipeline plus a user-written autoencoder stage and a comparison
// stage, run through the CLI on smoke settings; and the example is written through the public SDK
// only (its stage files import nothing but 'mlpipe/sdk', 'mlpipe/sdk/*' and their own folder).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const example = join(root, 'examples', 'autoencoder');
const stagesDir = join(example, 'stages');
const tmp = mkdtempSync(join(tmpdir(), 'mlpipe-ae-example-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Width of one tensorGrid panel of `count` 28x28 cells: ceil(sqrt(count)) columns, 1-pixel gaps, scale 2. */
const panelWidth = (count: number) => {
  const cols = Math.ceil(Math.sqrt(count));
  return (cols * 28 + (cols - 1)) * 2;
};

describe('examples/autoencoder', () => {
  it('runs smoke.yaml through the CLI: both L1 metrics finite, a 3-panel compare picture', () => {
    const runs = join(tmp, 'runs');
    const r = spawnSync('node', [cli, 'run', join(example, 'smoke.yaml'), '--cache', join(tmp, 'cache'), '--runs', runs], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const named = join(runs, 'autoencoder-smoke');
    const runDir = join(named, readdirSync(named).sort().at(-1)!);
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8'));

    const ae = manifest.stages.autoencoder;
    expect(ae.type).toBe('train-autoencoder');
    expect(Number.isFinite(ae.metrics.finalLoss)).toBe(true);
    expect(ae.metrics.loss.length).toBeGreaterThan(1);
    expect(ae.metrics.finalLoss).toBeLessThan(ae.metrics.loss[0]);

    const compare = manifest.stages.compare;
    expect(compare.type).toBe('compare-reconstructions');
    for (const name of ['l1PerPixelInverse', 'l1PerPixelAutoencoder', 'testL1PerPixelInverse', 'testL1PerPixelAutoencoder']) {
      expect(Number.isFinite(compare.metrics[name]), name).toBe(true);
      expect(compare.metrics[name], name).toBeGreaterThan(0);
    }
    // The example's re-implementation of the inverse path is the built-in reconstruct's.
    expect(compare.metrics.l1PerPixelInverse).toBeCloseTo(manifest.stages.reconstruct.metrics.l1PerPixel, 6);

    const picture = join(runDir, 'compare', 'compare.png');
    expect(existsSync(picture)).toBe(true);
    const png = PNG.sync.read(readFileSync(picture));
    // smoke.yaml draws 16 digits: three panels side by side with sideBySide's 8-pixel gaps.
    expect(png.width).toBe(3 * panelWidth(16) + 2 * 8);
    expect(png.height).toBe(panelWidth(16));
  });

  it("imports nothing but 'mlpipe/sdk', 'mlpipe/sdk/*' and files of its own folder", () => {
    const files = readdirSync(stagesDir).filter((f) => /\.[cm]?[jt]s$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['train-autoencoder.ts', 'compare-reconstructions.ts']));
    const specifier =
      /(?:\bimport\s+(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?|\bexport\s+(?:type\s+)?[\w*{}\s,]+?\s+from\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;
    for (const file of files) {
      const text = readFileSync(join(stagesDir, file), 'utf8');
      const found = [...text.matchAll(specifier)].map((m) => m[1]);
      expect(found.length, file).toBeGreaterThan(0);
      for (const s of found) {
        if (s === 'mlpipe/sdk' || s.startsWith('mlpipe/sdk/')) continue;
        expect(s.startsWith('./'), `${file} imports ${s}`).toBe(true);
        const target = resolve(stagesDir, s);
        expect(dirname(target).startsWith(stagesDir), `${file} imports ${s} from outside its folder`).toBe(true);
      }
    }
  });
});

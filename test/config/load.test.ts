// The loaded config: defaults applied, plain JSON, and independent of how the YAML was written.
import { describe, expect, it } from 'vitest';
import { levenshtein, closest } from '../../src/config/suggest.js';
import { fixture, load } from './helpers.js';

describe('loadConfig', () => {
  it('applies the defaults of the pipeline and of each stage type', async () => {
    const { config } = await load('ok.yaml');
    expect(config.seed).toBe(1);
    expect(config.backend).toBe('auto');
    expect(config.stages.data).toEqual({ uses: 'load', with: { train: 300, source: 'synthetic' }, inputs: {} });
    expect(config.stages.classifier.with).toEqual({ steps: 100, lr: 0.1, hidden: [100, 100] });
    expect(config.stages.confident.with).toEqual({ threshold: 0.8 });
  });

  it('gives a deep-equal config for reordered keys, comments and explicit defaults', async () => {
    const a = await load('ok.yaml');
    const b = await load('ok-reordered.yaml');
    expect(b.config).toEqual(a.config);
    // ...and the comparison can tell a real difference.
    const c = await load('ok.yaml', ['confident.threshold=0.81']);
    expect(c.config).not.toEqual(a.config);
  });

  it('returns plain JSON, with no YAML nodes or shared default objects', async () => {
    const { config } = await load('child-keeps-parent-set.yaml');
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    const walk = (v: unknown): void => {
      if (v === null || typeof v !== 'object') return;
      expect([Object.prototype, Array.prototype]).toContain(Object.getPrototypeOf(v));
      Object.values(v).forEach(walk);
    };
    walk(config);
    const again = await load('child-keeps-parent-set.yaml');
    config.stages.classifier.with.hidden = [1];
    expect(again.config.stages.classifier.with.hidden).toEqual([100, 100]);
  });

  it('merges a child over the files it extends and lists them', async () => {
    const { config, files } = await load('child-overrides-parent-set.yaml');
    expect(files).toEqual([fixture('child-overrides-parent-set.yaml'), fixture('base/with-set.yaml'), fixture('ok.yaml')]);
    expect(config.name).toBe('with-set');
    // the child's `with` merged key by key into the parent's
    expect(config.stages.data.with).toEqual({ train: 50, source: 'synthetic' });
    expect(Object.keys(config)).not.toContain('extends');
    expect(Object.keys(config)).not.toContain('set');
  });

  it('knows where each value was written; defaults fall back to the enclosing value', async () => {
    const { origin } = await load('ok.yaml');
    expect(origin(['stages', 'data', 'with', 'train'])).toEqual({ file: fixture('ok.yaml'), line: 3, col: 38 });
    expect(origin(['stages', 'classifier'])).toEqual({ file: fixture('ok.yaml'), line: 4, col: 15 });
    expect(origin(['stages', 'classifier', 'with', 'steps'])).toEqual({ file: fixture('ok.yaml'), line: 4, col: 15 });
  });
});

describe('did you mean', () => {
  it('measures edit distance and only suggests close names', () => {
    expect(levenshtein('treshold', 'threshold')).toBe(1);
    expect(levenshtein('trian', 'train')).toBe(2);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(closest('treshold', ['steps', 'threshold'])).toBe('threshold');
    expect(closest('Seed', ['name', 'seed'])).toBe('seed');
    expect(closest('zzzzzz', ['threshold', 'steps'])).toBeUndefined();
  });
});

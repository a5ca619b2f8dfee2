// The stated limits: what `extends:` may read, how many variants a sweep may have, and how big a
// config may get before its errors stop being useful, each ending in a positioned error, fast.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigErrors, formatError } from '../../src/config/index.js';
import { expandSweep } from '../../src/graph/sweep.js';
import { registry } from '../fixtures/registry.js';
import { configErrors, dir, errorLines, expectCleanPrototype, load, OK, timed, write } from './hostile-helpers.js';

afterEach(expectCleanPrototype);

describe('what extends: and the file itself may be', () => {
  const fifo = join(dir, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  mkdirSync(join(dir, 'folder.yaml'));
  writeFileSync(join(dir, 'huge.yaml'), `# ${'x'.repeat(3 * 1024 * 1024)}\n`);

  it.each([
    ['/dev/urandom', 'a character device, not a regular file'],
    ['/dev/zero', 'a character device, not a regular file'],
    ['fifo.yaml', 'a named pipe, not a regular file'],
    ['folder.yaml', 'a directory, not a regular file'],
    ['huge.yaml', '3.0 MB; a pipeline file may be at most 512 KB, 524288 bytes'],
  ])('refuses extends: %s at the value, without reading it', async (target, why) => {
    const lines = await errorLines(write(`name: x\nextends: ${target}\n`));
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^p\\d+\\.yaml:2:10: extends: cannot read ${target} \\(${why.replace(/[.()]/g, '\\$&')}\\)$`))]);
  });

  it('refuses the top-level file the same way, naming it', async () => {
    for (const [file, why] of [
      ['huge.yaml', '3.0 MB; a pipeline file may be at most 512 KB'],
      ['fifo.yaml', 'a named pipe'],
    ]) {
      const errors = await configErrors(join(dir, file));
      expect(errors).toHaveLength(1);
      expect(errors[0].file).toBe(join(dir, file));
      expect(errors[0].message).toContain(`cannot read (${why}`);
    }
  });

  it('lets the files of one chain share the size limit', async () => {
    const big = `# ${'y'.repeat(300 * 1024)}\n`;
    write(`${big}${OK}`, 'big-parent.yaml');
    const child = write(`${big}extends: big-parent.yaml\n`);
    expect(await errorLines(child)).toEqual([
      expect.stringMatching(/:2:10: extends: cannot read big-parent\.yaml \(301 KB; the files of one pipeline may be at most 512 KB together\)$/),
    ]);
  });

  it('stops an extends chain after 32 files', async () => {
    write(OK, 'chain0.yaml');
    for (let i = 1; i <= 40; i++) write(`extends: chain${i - 1}.yaml\n`, `chain${i}.yaml`);
    expect((await load(join(dir, 'chain31.yaml'))).config.name).toBe('ok');
    expect(await errorLines(join(dir, 'chain40.yaml'))).toEqual(['chain9.yaml:1:10: extends: a chain of more than 32 files is not allowed']);
  });
});

describe('the number of variants of a sweep', () => {
  const axis = (n: number, from = 1): string => `[${Array.from({ length: n }, (_, i) => i + from).join(', ')}]`;
  const grid = write(
    `${OK}sweep:\n  data.train: ${axis(100)}\n  classifier.steps: ${axis(100)}\n  confident.threshold: ${axis(100, 0).replaceAll(/\d+/g, (d) => `0.${d.padStart(3, '0')}`)}\n`,
  );

  it('refuses 100 x 100 x 100 before building a variant, at the sweep: key, saying how to raise the limit', async () => {
    const loaded = await load(grid);
    let err: unknown;
    const ms = await timed(async () => {
      try {
        expandSweep(loaded, registry);
      } catch (e) {
        err = e;
      }
    });
    expect(err).toBeInstanceOf(ConfigErrors);
    expect((err as ConfigErrors).errors.map(formatError).map((l) => l.replace(`${dir}/`, ''))).toEqual([
      expect.stringMatching(
        /^p\d+\.yaml:6:1: sweep: 1000000 variants \(100 x 100 x 100\), more than the limit of 10000; to allow more, set the environment variable PIPELINE_MAX_VARIANTS, e\.g\. PIPELINE_MAX_VARIANTS=1000000$/,
      ),
    ]);
    expect(ms).toBeLessThan(500);
  });

  it('counts variants: items times grid points, and --sweep axes', async () => {
    const file = write(`${OK}sweep:\n  data.train: ${axis(100)}\nvariants:\n${Array.from({ length: 101 }, (_, i) => `  - { seed: ${i} }\n`).join('')}`);
    const loaded = await load(file);
    expect(() => expandSweep(loaded, registry)).toThrow(
      /:6:1: sweep: 10100 variants \(100 grid points for each of 101 variants: items\), more than the limit of 10000/,
    );
    const plain = await load(write(OK));
    expect(() => expandSweep(plain, registry, [`data.train=${axis(200).slice(1, -1)}`, `classifier.steps=${axis(60).slice(1, -1)}`])).toThrow(
      /^--sweep data\.train=1, 2, .*: sweep: 12000 variants \(200 x 60\), more than the limit of 10000/,
    );
  });

  it('allows 10,000 variants, and more when PIPELINE_MAX_VARIANTS says so', async () => {
    const loaded = await load(write(`${OK}sweep:\n  data.train: ${axis(10000)}\n`));
    let count = 0;
    const ms = await timed(async () => {
      count = expandSweep(loaded, registry).length;
    });
    expect(count).toBe(10000);
    expect(ms).toBeLessThan(15000); // about 1.5 s alone on 2 cores; linear, not quadratic
    const small = await load(write(`${OK}sweep:\n  data.train: ${axis(20)}\n  classifier.steps: ${axis(20)}\n`));
    const saved = process.env.PIPELINE_MAX_VARIANTS;
    try {
      process.env.PIPELINE_MAX_VARIANTS = '100';
      expect(() => expandSweep(small, registry)).toThrow(/sweep: 400 variants \(20 x 20\), more than the limit of 100/);
      process.env.PIPELINE_MAX_VARIANTS = '400';
      expect(expandSweep(small, registry)).toHaveLength(400);
      process.env.PIPELINE_MAX_VARIANTS = 'many';
      expect(() => expandSweep(small, registry)).toThrow('PIPELINE_MAX_VARIANTS=many: expected a whole number of variants, at least 1');
    } finally {
      if (saved === undefined) delete process.env.PIPELINE_MAX_VARIANTS;
      else process.env.PIPELINE_MAX_VARIANTS = saved;
    }
  });
});

describe('many keys', () => {
  const many = (n: number, line: (i: number) => string): string => Array.from({ length: n }, (_, i) => line(i)).join('');

  it('reports 20,000 unknown top-level keys in linear time: the first 50, then a count', async () => {
    const file = write(`${OK}${many(20000, (i) => `k${i}: 1\n`)}`);
    let lines: string[] = [];
    const ms = await timed(async () => {
      lines = await errorLines(file);
    });
    expect(lines).toHaveLength(51);
    expect(lines[0]).toMatch(/^p\d+\.yaml:6:1: unknown top-level key "k0"; allowed: name, seed/);
    expect(lines[49]).toMatch(/:55:1: unknown top-level key "k49"/);
    expect(lines[50]).toMatch(/:56:1: \.\.\. and 19950 more problems \(only the first 50 are listed\)$/);
    expect(ms).toBeLessThan(2000); // about 0.6 s alone; 6 s before the yaml duplicate-key check was replaced
  });

  it('reports 20,000 unknown params of one stage in linear time, also through extends:', async () => {
    write(`${OK}`, 'many-base.yaml');
    const file = write(`extends: many-base.yaml\nstages:\n  data:\n    with:\n${many(20000, (i) => `      p${i}: 1\n`)}`);
    let lines: string[] = [];
    const ms = await timed(async () => {
      lines = await errorLines(file);
    });
    expect(lines[0]).toMatch(/^p\d+\.yaml:5:7: unknown param "p0" for stage "data" \(load\); params: source, train$/);
    expect(lines[50]).toMatch(/\.\.\. and 19950 more problems/);
    expect(ms).toBeLessThan(2000);
  });

  it('keeps messages short with thousands of stages and long names', async () => {
    const stages = many(1001, (i) => `  s${i}: { uses: double, inputs: { x: s${i + 1} } }\n`);
    const file = write(`name: many\nstages:\n${stages}  s1001: { uses: double, inputs: { x: s0 } }\nset:\n  nope.x: 1\n`);
    const lines = await errorLines(file);
    expect(lines).toEqual([
      expect.stringMatching(/:3:3: stages: a pipeline may have at most 1000 stages, got 1002$/),
      expect.stringMatching(/:1004:39: cycle: s0 -> s1 -> s2 -> s3 -> s4 -> s5 -> \.\.\. \(995 more\) -> s1001 -> s0$/),
      expect.stringMatching(/:1006:3: unknown stage "nope" in set path "nope\.x"; stages: s0, s1, .*, s19, \.\.\. \(1002 in all\)$/),
    ]);
    const long = await errorLines(write(`${OK}backend: ${'z'.repeat(5000)}\n`));
    expect(long).toEqual([expect.stringMatching(/:6:10: backend must be one of auto, tensorflow, wasm, cpu, got "z{80}"\.\.\. \(5000 characters\)$/)]);
  });
});

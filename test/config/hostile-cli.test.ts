// Hostile input as the command line meets it: `pipeline plan` prints positioned errors, exits 2
// within seconds, prints no stack trace and creates no cache folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const pipeline = join(root, 'pipelines', 'inverting-mnist.yaml');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-hostile-cli-'));
});

function plan(name: string, text: string, ...args: string[]) {
  writeFileSync(join(dir, name), text);
  const cache = join(dir, `cache-${name}`);
  const start = performance.now();
  const r = spawnSync('node', [cli, 'plan', name, ...args, '--cache', cache], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, ms: performance.now() - start, cacheMade: existsSync(cache) };
}

const bomb = (levels: number): string =>
  Array.from(
    { length: levels },
    (_, i) =>
      `  l${i}: &l${i} [${Array(9)
        .fill(i === 0 ? 'lol' : `*l${i - 1}`)
        .join(', ')}]`,
  ).join('\n');
const axis = (n: number): string => `[${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`;

describe('pipeline plan with hostile input', () => {
  it.each([
    ['bomb.yaml', `extends: ${pipeline}\nunknown:\n${bomb(9)}\n`, [], /^bomb\.yaml:7:12: alias \*l3: aliases in this file expand to more than 10000 values/],
    ['self.yaml', `extends: ${pipeline}\nloop: &a [*a]\n`, [], /^self\.yaml:2:11: alias \*a is inside the value &a it names/],
    [
      'proto.yaml',
      `extends: ${pipeline}\n`,
      ['--set', 'classifier.__proto__.x=1'],
      /^--set classifier\.__proto__\.x=1: "classifier\.__proto__\.x": "__proto__" cannot be used/,
    ],
    ['name.yaml', `extends: ${pipeline}\nname: ../../x\n`, [], /^name\.yaml:2:7: name "\.\.\/\.\.\/x" cannot be a folder name: use letters, digits/],
    [
      'device.yaml',
      'extends: /dev/urandom\nname: x\n',
      [],
      /^device\.yaml:1:10: extends: cannot read \/dev\/urandom \(a character device, not a regular file\)$/,
    ],
    [
      'grid.yaml',
      `extends: ${pipeline}\nsweep:\n  classifier.steps: ${axis(100)}\n  inverse.steps: ${axis(100)}\n  generate.steps: ${axis(100)}\n`,
      [],
      /^grid\.yaml:2:1: sweep: 1000000 variants \(100 x 100 x 100\), more than the limit of 10000; to allow more, set the environment variable PIPELINE_MAX_VARIANTS/,
    ],
  ])('%s: exit 2, a positioned error, no stack trace, no cache, within seconds', (name, text, args, line) => {
    const r = plan(name, text, ...args);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual(expect.arrayContaining([expect.stringMatching(line)]));
    expect(r.stderr).not.toMatch(/^ {4}at /m);
    expect(r.stderr).toMatch(/problems? found; nothing was run\.\n$/);
    expect(r.status).toBe(2);
    expect(r.cacheMade).toBe(false);
    expect(r.ms).toBeLessThan(5000); // well under 2 s alone, Node's start and the stage registry included
  });

  it('left nothing in the folder but the files it was given', () => {
    expect(readdirSync(dir).sort()).toEqual(['bomb.yaml', 'device.yaml', 'grid.yaml', 'name.yaml', 'proto.yaml', 'self.yaml']);
  });
});

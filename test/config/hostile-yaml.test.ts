// Hostile YAML ends in positioned errors, quickly: alias bombs and self-referencing aliases,
// keys that name parts of every JavaScript object, and pipeline names that are not one folder.
import { afterEach, describe, expect, it } from 'vitest';
import { parseSetArg } from '../../src/config/index.js';
import { configErrors, errorLines, expectCleanPrototype, load, OK, timed, write } from './hostile-helpers.js';

afterEach(expectCleanPrototype);

/** The "billion laughs": each level lists the previous one nine times; 9^9 values in all. */
function aliasBomb(levels: number, under = 'bomb'): string {
  const names = 'abcdefghijklmnop'.slice(0, levels).split('');
  const lines = names.map(
    (n, i) =>
      `  ${n}: &${n} [${Array(9)
        .fill(i === 0 ? 'lol' : `*${names[i - 1]}`)
        .join(', ')}]`,
  );
  return `${OK}${under}:\n${lines.join('\n')}\n`;
}

describe('aliases', () => {
  it('stops an alias bomb at the alias that exceeds the limit, in well under a second', async () => {
    const file = write(aliasBomb(9));
    let lines: string[] = [];
    const ms = await timed(async () => {
      lines = await errorLines(file);
    });
    // Line 11 is level e: 9 x 820 values of level d; the first *d there passes 10,000.
    expect(lines).toEqual([
      expect.stringMatching(/^p\d+\.yaml:11:10: alias \*d: aliases in this file expand to more than 10000 values; write the values out instead$/),
    ]);
    expect(ms).toBeLessThan(1000);
    expect(process.memoryUsage().rss).toBeLessThan(1.5e9);
  });

  it('stops it inside a stage too, and inside a set: value', async () => {
    const nested = write(`${OK}set:\n  classifier.hidden: &z [*z]\n`);
    expect(await errorLines(nested)).toEqual([expect.stringMatching(/:7:26: alias \*z is inside the value &z it names/)]);
    // Four levels are 8,289 values; one more alias of the fourth passes the limit.
    const bomb = `${aliasBomb(4, 'x')}set:\n  classifier.hidden: *d\n`;
    expect(await errorLines(write(bomb))).toEqual([expect.stringMatching(/:12:22: alias \*d: aliases in this file expand to more than 10000 values/)]);
  });

  it('still expands a few aliases of a stage block or a list', async () => {
    const file = write(
      [
        'name: aliases',
        'stages:',
        '  data: &stage { uses: load, with: &w { train: 7 } }',
        '  more: *stage',
        '  classifier: { uses: train-classifier, inputs: { data: data }, with: { hidden: &h [3, 4] } }',
        '  confident: { uses: filter-confident, inputs: &in { data: data, model: classifier } }',
        '  again: { uses: filter-confident, inputs: *in }',
        'sweep:',
        '  classifier.hidden: [*h, [5]]',
        '',
      ].join('\n'),
    );
    const { config, origin } = await load(file);
    expect(config.stages.more).toEqual({ uses: 'load', with: { train: 7, source: 'synthetic' }, inputs: {} });
    expect(config.stages.again.inputs).toEqual({ data: 'data', model: 'classifier' });
    expect(config.sweep).toEqual({ 'classifier.hidden': [[3, 4], [5]] });
    // The alias's value is shown at the alias; its parts where the anchor wrote them.
    expect(origin(['stages', 'more'])).toMatchObject({ line: 4, col: 9 });
    expect(origin(['stages', 'more', 'with', 'train'])).toMatchObject({ line: 3, col: 48 });
  });

  it('reports an alias that names its own value, in a list, a map or deeper, at the alias', async () => {
    expect(await errorLines(write(`${OK}a: &a [*a]\n`))).toEqual([
      expect.stringMatching(/:6:8: alias \*a is inside the value &a it names: a value cannot contain itself$/),
    ]);
    expect(await errorLines(write(`${OK}a: &a {b: *a}\n`))).toEqual([expect.stringMatching(/:6:11: alias \*a is inside the value &a it names/)]);
    expect(await errorLines(write(`${OK}a: &a\n  b:\n    - c: [1, *a]\n`))).toEqual([expect.stringMatching(/:8:14: alias \*a is inside/)]);
    // Under a key the schema does not know, too: the alias is expanded before validation.
    expect(await errorLines(write(`${OK}stages2: &s { x: [*s] }\n`))).toEqual([expect.stringMatching(/:6:19: alias \*s is inside/)]);
  });

  it('reports an alias with no anchor before it, and a key that is a list or a map', async () => {
    expect(await errorLines(write(`${OK}a: *later\nb: &later 1\n`))).toEqual([expect.stringMatching(/:6:4: alias \*later: no anchor &later before it$/)]);
    expect(await errorLines(write(`${OK}a: { [x, y]: 1 }\n`))).toEqual([
      expect.stringMatching(/:6:6: a key must be a single value \(a name or a number\), not a list or a map$/),
    ]);
  });

  it('reports nesting deeper than 64 levels at the value, and much deeper nesting without a stack trace', async () => {
    const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(await errorLines(write(`${OK}a: ${deep(70)}\n`))).toEqual([expect.stringMatching(/:6:\d+: nested more than 64 levels deep$/)]);
    expect(await errorLines(write(`${OK}a: ${deep(20000)}\n`))).toEqual([expect.stringMatching(/:6:\d+: YAML: nested too deeply \(at most 64 levels\)$/)]);
  });

  it('measures nesting before parsing, so the parser never runs out of stack (V8 may then abort the process)', async () => {
    const deep = `[${'['.repeat(5000)}${']'.repeat(5000)}]`;
    const blocks = Array.from({ length: 900 }, (_, i) => `${' '.repeat(i + 1)}k${i}:\n`).join('');
    expect(await errorLines(write(`${OK}z:\n${blocks}`))).toEqual([expect.stringMatching(/:134:129: YAML: nested too deeply \(at most 64 levels\)$/)]);
    expect(await errorLines(write(`${OK}z:\n${'- '.repeat(5000)}x\n`))).toEqual([expect.stringMatching(/:7:255: YAML: nested too deeply/)]);
    // Twice in one process: the second overflow is the one that used to abort.
    const lines = await errorLines(write(OK), [`classifier.hidden=${deep}`, `data.train=${deep}`]);
    expect(lines.map((l) => l.replace(/\[+\]+/, '[...]'))).toEqual([
      '--set classifier.hidden=[...]: cannot read the value as YAML: nested too deeply (at most 64 levels)',
      '--set data.train=[...]: cannot read the value as YAML: nested too deeply (at most 64 levels)',
    ]);
  });
});

describe('keys that are parts of every object: __proto__, constructor, prototype', () => {
  const reserved = (key: string, segment = key): RegExp =>
    new RegExp(
      `${key === segment ? `"${segment}" cannot be used as a key` : `"${key.replaceAll('.', '\\.')}": "${segment}" cannot be used as a key or path segment`} \\(reserved: __proto__, constructor, prototype\\)$`,
    );

  it.each([
    ['top level', '__proto__: { x: 1 }'],
    ['top level', 'constructor: 1'],
    ['a stage id', 'stages:\n  prototype: { uses: load }'],
    ['inside with:', 'stages:\n  data: { uses: load, with: { __proto__: { x: 1 } } }'],
    ['deep inside with:', 'stages:\n  data: { uses: load, with: { a: [{ constructor: 1 }] } }'],
    ['a set: key', 'set:\n  __proto__: 1'],
    ['inside a set: value', 'set:\n  classifier.hidden: { prototype: 1 }'],
    ['a sweep: key', 'sweep:\n  constructor: [1]'],
    ['a variants: item key', 'variants:\n  - { __proto__: 1 }'],
  ])('rejects it as %s, at the key', async (_where, extra) => {
    const text = `extends: ok.yaml\nname: n\n${extra}\n`;
    const lines = text.split('\n');
    const line = lines.findIndex((l) => /__proto__|constructor|prototype/.test(l));
    const key = /__proto__|constructor|prototype/.exec(lines[line])!;
    const found = await errorLines(write(text));
    expect(found).toEqual([expect.stringMatching(new RegExp(`^p\\d+\\.yaml:${line + 1}:${key.index + 1}: ${reserved(key[0]).source}`))]);
  });

  it.each([
    ['a set: path', 'set:\n  classifier.__proto__.x: 1\n', 'classifier.__proto__.x', '__proto__'],
    ['a sweep: path', 'sweep:\n  classifier.constructor: [1, 2]\n', 'classifier.constructor', 'constructor'],
    ['a variants: path', 'variants:\n  - { classifier.prototype.x: 1 }\n', 'classifier.prototype.x', 'prototype'],
  ])('rejects it as a segment of %s, at the key', async (_where, extra, key, segment) => {
    const lines = await errorLines(write(`${OK}${extra}`));
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^p\\d+\\.yaml:7:\\d+: ${reserved(key, segment).source}`))]);
  });

  it('rejects it in --set paths and values, and writes nothing onto Object.prototype', async () => {
    const file = write(OK);
    expect(await errorLines(file, ['classifier.__proto__.x=1'])).toEqual([
      '--set classifier.__proto__.x=1: "classifier.__proto__.x": "__proto__" cannot be used as a key or path segment (reserved: __proto__, constructor, prototype)',
    ]);
    expectCleanPrototype();
    expect(await errorLines(file, ['__proto__=1', 'classifier.constructor=1', 'classifier.hidden={__proto__: {x: 1}}'])).toEqual([
      '--set __proto__=1: "__proto__" cannot be used as a key (reserved: __proto__, constructor, prototype)',
      '--set classifier.constructor=1: "classifier.constructor": "constructor" cannot be used as a key or path segment (reserved: __proto__, constructor, prototype)',
      '--set classifier.hidden={__proto__: {x: 1}}: "__proto__" cannot be used as a key (reserved: __proto__, constructor, prototype)',
    ]);
    expect(parseSetArg('a.b=&a [*a]')).toMatchObject({ message: 'alias *a is inside the value &a it names: a value cannot contain itself' });
  });

  it('allows the names inside values and as parts of longer keys', async () => {
    const { config } = await load(write(`${OK}set:\n  confident.threshold: 0.5\nvariants:\n  - { classifier.hidden: [1] }\n`), ['name=my_constructor']);
    expect(config.name).toBe('my_constructor');
  });
});

describe('pipeline names (a folder of runs/)', () => {
  const rule = 'use letters, digits, ".", "_" and "-", starting with a letter, digit or "_" (at most 100 characters)';

  it.each([
    ['"../../somewhere"', '"../../somewhere"'],
    ['a/b', '"a/b"'],
    ['"a\\\\b"', '"a\\\\b"'],
    ['..', '".."'],
    ['.', '"."'],
    ['.hidden', '".hidden"'],
    ['-rf', '"-rf"'],
    ['"a\\0b"', '"a\\u0000b"'],
    ['"tab\\there"', '"tab\\there"'],
    ['"esc\\e[31m"', '"esc\\u001b[31m"'],
    ['""', '""'],
    ['with space', '"with space"'],
    ['x'.repeat(101), `"${'x'.repeat(80)}"... (101 characters)`],
  ])('rejects name: %s at the value, saying what is allowed', async (written, shown) => {
    const lines = await errorLines(write(`extends: ok.yaml\nname: ${written}\n`));
    expect(lines).toEqual([`p${lines[0].match(/^p(\d+)/)![1]}.yaml:2:7: name ${shown} cannot be a folder name: ${rule}`]);
  });

  it('rejects it from set: and --set too, and accepts safe names', async () => {
    expect(await errorLines(write(`${OK}set:\n  name: ../x\n`))).toEqual([expect.stringMatching(/:7:9: name "\.\.\/x" cannot be a folder name/)]);
    expect(await errorLines(write(OK), ['name=../../x'])).toEqual([`--set name=../../x: name "../../x" cannot be a folder name: ${rule}`]);
    for (const name of ['inverting-mnist', 'sweep_2.v3', '_x', '7up']) {
      expect((await load(write(OK), [`name=${name}`])).config.name).toBe(name);
    }
  });

  it('escapes control and bidi characters in printed errors', async () => {
    const errors = await configErrors(write(`${OK}"\\e[2Jk\\u202e": 1\n`));
    expect(errors[0].message).toContain('\u001b[2J');
    expect(await errorLines(write(`${OK}"\\e[2Jk\\u202e": 1\n`))).toEqual([expect.stringMatching(/:6:1: unknown top-level key "\\u001b\[2Jk\\u202e"/)]);
  });
});

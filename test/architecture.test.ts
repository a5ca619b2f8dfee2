// The folders of src/ depend on each other in one direction, and the built-in stages use only the
// sdk, by package name, as a user's plugin would. Every `.ts` file under src/ and stages/ is parsed
// (with the TypeScript parser, so comments and strings are not mistaken for imports) for the
// modules it names: `import ... from`, `export ... from`, `import x = require()`, `import()` and
// `import('...').T` types. Type-only imports count: they are arrows between layers too.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const PKG = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name;

/** Lowest first: a folder may import only folders in an earlier tier (and itself). backend and
 * render import nothing of ours. */
const LAYERS: string[][] = [['backend', 'render', 'build'], ['sdk'], ['config'], ['keys'], ['graph'], ['store'], ['report'], ['runner'], ['cli']];
const tier = (folder: string): number => LAYERS.findIndex((t) => t.includes(folder));

/** Every module specifier written in `text`. */
function specifiers(text: string, file = 'x.ts'): string[] {
  const out: string[] = [];
  const literal = (n: ts.Node | undefined) => {
    if (n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n))) out.push(n.text);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) literal(n.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) literal(n.moduleReference.expression);
    else if (
      ts.isCallExpression(n) &&
      (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))
    )
      literal(n.arguments[0]);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) literal(n.argument.literal);
    ts.forEachChild(n, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** Where a project file sits: src/<folder> -> folder, a file directly in src/ -> 'src', stages/ ->
 * 'stages', anything else -> 'outside'. */
function placeOf(rel: string): string {
  const parts = rel.split('/');
  if (parts[0] === 'src') return parts.length > 2 ? parts[1] : 'src';
  if (parts[0] === 'stages') return 'stages';
  return 'outside';
}

interface Arrow {
  file: string;
  spec: string;
  target: string;
}

/** An arrow to our own code: a relative specifier resolved to its place, or this package's own
 * name (`mlpipe/sdk/...` is the sdk, `mlpipe` the top-level entry, `mlpipe/stages` the stages);
 * undefined for another package. */
function arrowOf(file: string, spec: string): Arrow | undefined {
  if (spec.startsWith('.'))
    return {
      file,
      spec,
      target: placeOf(
        relative(root, resolve(root, dirname(file), spec))
          .split(sep)
          .join('/'),
      ),
    };
  if (spec === PKG) return { file, spec, target: 'src' };
  if (spec.startsWith(`${PKG}/`)) return { file, spec, target: `package:${spec.slice(PKG.length + 1)}` };
  return undefined;
}

const arrows = (file: string): Arrow[] => specifiers(readFileSync(join(root, file), 'utf8'), file).flatMap((spec) => arrowOf(file, spec) ?? []);

/** What is wrong with one arrow, or undefined. */
function violation(a: Arrow): string | undefined {
  const from = placeOf(a.file);
  if (from === 'stages') {
    if (a.target === 'stages') return undefined;
    if (a.target === 'package:sdk' || a.target.startsWith('package:sdk/')) return undefined;
    if (a.target.startsWith('package:') || a.target === 'src') return `stages may import only ${PKG}/sdk or ${PKG}/sdk/* of this package`;
    return `stages may not import the project by relative path (use the package name, ${PKG}/sdk...)`;
  }
  if (a.target === 'stages') return 'src may not import stages/ by relative path (the built-in stages load as a plugin, by package name)';
  if (from === 'src') return undefined; // files directly in src/ may import anything else
  // a file in src/<folder>
  if (tier(from) < 0) return `src/${from} is not in the layer list`;
  if (a.target === 'outside') return 'imports a file outside src/ and stages/';
  if (a.target === 'src') return 'a folder may not import the top-level entry (it imports everything)';
  if (a.target.startsWith('package:')) {
    const sub = a.target.slice('package:'.length);
    if (sub === 'stages') return undefined; // the built-in stages, as a plugin, by package name
    if (sub !== 'sdk' && !sub.startsWith('sdk/')) return `unknown entry ${a.spec}`;
    if (from === 'sdk' || tier('sdk') < tier(from)) return undefined;
    return `src/${from} (tier ${tier(from)}) may not import sdk (tier ${tier('sdk')})`;
  }
  if (a.target === from) return undefined;
  if (tier(a.target) < 0) return `src/${a.target} is not in the layer list`;
  if (tier(a.target) < tier(from)) return undefined;
  return `src/${from} (tier ${tier(from)}) may not import src/${a.target} (tier ${tier(a.target)})`;
}

const files = [...tsFiles('src'), ...tsFiles('stages')];
const all = files.flatMap(arrows);

describe('architecture', () => {
  it('finds module specifiers of every form, type-only ones included, and nothing in comments or strings', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b/index.js';",
      "import * as c from 'c-package';",
      "import './side-effect.js';",
      "export { d } from './d.js';",
      "export type { E } from './e.js';",
      "export * from './f.js';",
      "import g = require('./g.js');",
      "const h = await import('./h.js');",
      "type I = import('./i.js').I;",
      "// import { no } from './comment.js';",
      'const s = "import { no } from \'./string.js\'";',
      "const t = `import { no } from './template.js'`;",
    ].join('\n');
    expect(specifiers(text)).toEqual(['./a.js', '../b/index.js', 'c-package', './side-effect.js', './d.js', './e.js', './f.js', './g.js', './h.js', './i.js']);
  });

  it('sees the project: every folder of the layer list has files, and known arrows are found', () => {
    const folders = new Set(files.map(placeOf));
    for (const f of [...LAYERS.flat(), 'stages']) expect(folders, f).toContain(f);
    const has = (file: string, target: string) => all.some((a) => a.file === file && a.target === target);
    expect(has('src/runner/run.ts', 'config')).toBe(true);
    expect(has('src/config/types.ts', 'backend')).toBe(true); // a type-only import
    expect(has('stages/load.ts', 'package:sdk/stage')).toBe(true);
  });

  it('layers: [backend, render] < sdk < config < keys < graph < store < report < runner < cli; stages use only the sdk, by package name', () => {
    const bad = all.flatMap((a) => {
      const why = violation(a);
      return why ? [`${a.file} -> '${a.spec}': ${why}`] : [];
    });
    expect(bad, `layer violations:\n${bad.join('\n')}`).toEqual([]);
  });

  it('the rule itself: a sample of arrows is judged as the layer list says', () => {
    const judge = (file: string, spec: string) => [violation(arrowOf(file, spec)!)];
    expect(judge('src/runner/run.ts', '../config/index.js')).toEqual([undefined]);
    expect(judge('src/config/types.ts', '../backend/index.js')).toEqual([undefined]);
    expect(judge('src/config/x.ts', './y.js')).toEqual([undefined]);
    expect(judge('src/index.ts', './runner/run.js')).toEqual([undefined]);
    expect(judge('src/backend/x.ts', '../render/grid.js')[0]).toMatch(/may not import src\/render/);
    expect(judge('src/render/x.ts', '../sdk/stage.js')[0]).toMatch(/may not import src\/sdk/);
    expect(judge('src/sdk/x.ts', '../config/index.js')[0]).toMatch(/may not import src\/config/);
    expect(judge('src/keys/x.ts', '../graph/graph.js')[0]).toMatch(/may not import src\/graph/);
    expect(judge('src/store/x.ts', '../runner/run.js')[0]).toMatch(/may not import src\/runner/);
    expect(judge('src/runner/x.ts', '../cli/main.js')[0]).toMatch(/may not import src\/cli/);
    expect(judge('src/runner/x.ts', '../../stages/load.js')[0]).toMatch(/may not import stages/);
    expect(judge('src/backend/x.ts', `${PKG}/sdk/stage`)[0]).toMatch(/may not import sdk/);
    expect(judge('stages/x.ts', `${PKG}/sdk/stage`)).toEqual([undefined]);
    expect(judge('stages/x.ts', `${PKG}/sdk`)).toEqual([undefined]);
    expect(judge('stages/x.ts', './shared/mlp.js')).toEqual([undefined]);
    expect(judge('stages/x.ts', '../src/sdk/stage.js')[0]).toMatch(/relative path/);
    expect(judge('stages/x.ts', PKG)[0]).toMatch(/only/);
    expect(judge('stages/x.ts', `${PKG}/stages`)[0]).toMatch(/only/);
  });
});

// `node dist/src/build/vendor.js`, a step of `npm run build`: the pure-JS packages the CLI loads
// on every command, pre-bundled into one ES module each under dist/vendor/ (Vite's dependency
// pre-bundling). `yaml` is some 70 CommonJS files: loading them one by one took ~35 ms of a warm
// run, the bundle ~10 ms. The source imports `#yaml` / `#commander`; package.json's `imports`
// maps them to the bundles for node and to the packages themselves under the `mlpipe-source`
// condition (our tsc, vitest) and `types` (a user's tsc reading our .d.ts files). listr2 is not here: it ships as one file already, and bundling its
// dependencies in made it slower to load.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const VENDORED = ['yaml', 'commander'] as const;

const root = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(join(root, 'package.json'));
// A bundled CommonJS package still calls require() (for node: built-ins): give it one.
const banner = "import { createRequire as __vendorRequire } from 'node:module'; const require = __vendorRequire(import.meta.url);";

for (const name of VENDORED) {
  // Named exports, listed from the package itself: esbuild cannot see a CommonJS module's names.
  const names = Object.keys(require(name) as object).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default' && k !== '__esModule');
  mkdirSync(join(root, 'dist', 'vendor'), { recursive: true });
  await build({
    stdin: { contents: `export { ${names.join(', ')} } from '${name}';`, resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: join(root, 'dist', 'vendor', `${name}.js`),
    banner: { js: banner },
    legalComments: 'eof',
    logLevel: 'warning',
  });
}

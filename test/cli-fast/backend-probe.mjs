// Loaded into a `pipeline` process with --import (NODE_OPTIONS): when the process exits, writes to
// $PIPELINE_PROBE_OUT what the process did with tfjs. tfjs-core keeps its engine on the global
// object: `registryFactory` holds the backends whose module was imported (wasm, cpu), `registry`
// the backends started (a factory run: the wasm module compiled, or the cpu backend made), and
// `backendName` the one selected by setBackend. With $PIPELINE_PROBE_START set, the backend is
// started before the CLI runs (as a process that called initBackend first would have it).
// `packages` lists the packages the CommonJS loader loaded (tfjs-core is CommonJS: an import of
// it lands in require.cache even when nothing touches its engine).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const out = process.env.PIPELINE_PROBE_OUT;
if (process.env.PIPELINE_PROBE_START) {
  const { initBackend } = await import(new URL('../../dist/src/backend/index.js', import.meta.url).href);
  await initBackend(process.env.PIPELINE_PROBE_START);
}
/** Package names (`@scope/name` or `name`) of the files in require.cache, sorted; a file's
 * package is the one of its innermost node_modules folder. */
function packagesLoaded() {
  const names = new Set();
  for (const file of Object.keys(createRequire(import.meta.url).cache)) {
    const parts = file.split(/[\\/]node_modules[\\/]/);
    if (parts.length < 2) continue;
    const [first, second] = parts[parts.length - 1].split(/[\\/]/);
    names.add(first.startsWith('@') ? `${first}/${second}` : first);
  }
  return [...names].sort();
}

process.on('exit', () => {
  const engine = globalThis._tfengine;
  const report = {
    probe: true,
    tfjsImported: engine !== undefined,
    factories: engine ? Object.keys(engine.registryFactory) : [],
    started: engine ? Object.keys(engine.registry) : [],
    selected: engine?.backendName ?? null,
    packages: packagesLoaded(),
  };
  if (out) writeFileSync(out, JSON.stringify(report));
});

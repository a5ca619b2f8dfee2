// Loaded into a `pipeline` process with --import (NODE_OPTIONS): when the process exits, writes to
// $PIPELINE_PROBE_OUT what the process did with tfjs. tfjs-core keeps its engine on the global
// object: `registryFactory` holds the backends whose module was imported (wasm, cpu), `registry`
// the backends started (a factory run: the wasm module compiled, or the cpu backend made), and
// `backendName` the one selected by setBackend. With $PIPELINE_PROBE_START set, the backend is
// started before the CLI runs (as a process that called initBackend first would have it).
import { writeFileSync } from 'node:fs';

const out = process.env.PIPELINE_PROBE_OUT;
if (process.env.PIPELINE_PROBE_START) {
  const { initBackend } = await import(new URL('../../dist/src/backend/index.js', import.meta.url).href);
  await initBackend(process.env.PIPELINE_PROBE_START);
}
process.on('exit', () => {
  const engine = globalThis._tfengine;
  const report = {
    probe: true,
    tfjsImported: engine !== undefined,
    factories: engine ? Object.keys(engine.registryFactory) : [],
    started: engine ? Object.keys(engine.registry) : [],
    selected: engine?.backendName ?? null,
  };
  if (out) writeFileSync(out, JSON.stringify(report));
});

// The built-in stages by type, loaded through the plugin entry point as the CLI loads them.
import { loadRegistry } from '../../src/runner/stage-plugins.js';

export const registry = await loadRegistry();

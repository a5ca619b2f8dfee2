// This package's own name and version, read from its package.json (src/runner/ when run from
// source, dist/src/runner/ when compiled): the plugin loader imports the built-in stages by this
// name, `--version` prints the version, and run manifests record it.
import { readFileSync } from 'node:fs';

function read(): { name: string; version: string } {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string; bin?: Record<string, string> };
      if (pkg.bin?.pipeline && pkg.name && pkg.version) return { name: pkg.name, version: pkg.version };
    } catch {
      // try the next layout
    }
  }
  throw new Error('cannot find the package.json of the pipeline tool');
}

export const packageInfo = read();

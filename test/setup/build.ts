// The CLI and the sweep workers that tests start run the compiled dist/: build it first when any
// source is newer than the build (CI builds once, at `npm ci`; a local edit is rebuilt here).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function newest(dir: string, ext: string): number {
  let t = 0;
  for (const e of readdirSync(join(root, dir), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(ext)) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const sources = Math.max(...['src', 'stages', 'bench'].map((d) => newest(d, '.ts')), statSync(join(root, 'package.json')).mtimeMs);
  let built = 0;
  try {
    built = statSync(join(root, 'dist', '.built')).mtimeMs;
  } catch {
    // never built
  }
  if (built >= sources) return;
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}

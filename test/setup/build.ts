// The CLI and the sweep workers that tests start run the compiled dist/: build it first when any
// source differs from what dist/ was built from (CI builds once, at `npm ci`; a local edit is
// rebuilt here). A stale dist/ would also make every CLI run refuse (src/keys/build-manifest.ts).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { changedSinceBuild } from '../../src/keys/build-manifest.js';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  if (changedSinceBuild(root).length === 0) return;
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}

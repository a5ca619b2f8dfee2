// Signals: Ctrl-C in a single run, SIGINT to a sweep's parent (its workers ignore SIGINT and
// stop when told), and kill -9 of a sweep's parent (its workers leave when the IPC channel closes).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf, cleanup, isAlive, onlyManifest, runToEnd, smoke, stackLines, startRun, sweepSmoke, tempDir, track, waitFor } from './helpers.js';

afterEach(cleanup);

const LONG = ['--set', 'classifier.steps=200000'];
const training = /^› classifier: step \d+\/200000/m;

/** sweep-smoke.yaml on 2 workers, with a `--sweep` of two long classifier trainings (8 variants,
 * 2 classifier instances): once both train, returns the run and its two worker pids.
 * (`--set classifier.steps=200000` would keep ONE worker busy with the one shared classifier, and
 * the pool starts only one worker while a single job runs: see the report.) */
async function busySweep(dir: string) {
  const args = ['run', sweepSmoke, '--jobs', '2', '--cache', join(dir, 'cache'), '--runs', join(dir, 'runs'), '--sweep', 'classifier.steps=200000,200001'];
  const p = await startRun(args);
  const trainingBoth = () => new Set([...p.stdout.matchAll(/^› (classifier@\S+): step \d+\/20000[01]/gm)].map((m) => m[1])).size === 2;
  await waitFor(() => trainingBoth() || p.exit !== undefined, 25_000, 'the sweep to train both classifiers');
  expect(p.exit, p.stderr).toBeUndefined();
  const workers = childrenOf(p.pid);
  track(workers);
  expect(workers).toHaveLength(2);
  return { p, workers };
}

describe('signals', () => {
  it('SIGINT during a long stage: exit 130 with a summary; finished stages stay cached', async () => {
    const dir = tempDir('sigint');
    const cache = join(dir, 'cache');
    const p = await startRun(['run', smoke, '--cache', cache, '--runs', join(dir, 'r1'), ...LONG]);
    await waitFor(() => training.test(p.stdout) || p.exit !== undefined, 20_000, 'the classifier to train');
    expect(p.exit, p.stderr).toBeUndefined();

    const sent = performance.now();
    p.child.kill('SIGINT');
    const exit = await p.exited;
    const ms = exit.at - sent;
    console.log(`SIGINT -> single run exited ${exit.code}: ${ms.toFixed(0)} ms`);
    await p.closed;
    expect(exit.code, p.stderr).toBe(130);
    expect(ms).toBeLessThan(3000);
    expect(p.stdout).toMatch(/^interrupted:$/m);
    expect(p.stdout).toMatch(/^ {2}finished and cached: data$/m);
    expect(p.stdout).toMatch(/^ {2}stopped while computing \(nothing stored\): classifier$/m);
    expect(p.stdout).toMatch(/^ {2}not started: confident, inverse, reconstruct, generate, features$/m);
    expect(p.stderr.trim()).toBe('SIGINT: stopping; finished stages stay cached (SIGINT again to quit at once)');
    expect(stackLines(p.stderr)).toEqual([]);
    const m = onlyManifest(join(dir, 'r1'));
    expect(m.status).toBe('interrupted');
    expect(m.stages.data.status).toBe('miss');
    expect(m.stages.classifier.status).toBe('interrupted');

    const next = await runToEnd(['run', smoke, '--cache', cache, '--runs', join(dir, 'r2')]);
    expect(next.exit.code, next.stderr).toBe(0);
    expect(onlyManifest(join(dir, 'r2')).stages.data.status).toBe('hit');
  });

  it('SIGINT to a sweep parent only: it exits 130 quietly and its workers are gone', async () => {
    const dir = tempDir('sweep-int');
    const { p, workers } = await busySweep(dir);

    const sent = performance.now();
    p.child.kill('SIGINT'); // the parent only, not the process group
    const exit = await p.exited;
    const ms = exit.at - sent;
    console.log(`SIGINT -> sweep parent exited ${exit.code}: ${ms.toFixed(0)} ms`);
    expect(exit.code, p.stderr).toBe(130);
    expect(ms).toBeLessThan(5000);
    await waitFor(() => !workers.some(isAlive), 3000, `workers ${workers.join(', ')} to exit`);
    console.log(`workers gone ${(performance.now() - sent).toFixed(0)} ms after SIGINT`);
    await p.closed;
    expect(p.stderr).not.toMatch(/EPIPE|ERR_IPC_CHANNEL_CLOSED/);
    expect(stackLines(p.stderr)).toEqual([]);
    expect(p.stderr.trim()).toBe('SIGINT: stopping; finished stages stay cached (SIGINT again to quit at once)');
    expect(p.stdout).toMatch(/^interrupted:$/m);
    expect(p.stdout).toMatch(/^ {2}finished and cached: data$/m);
    expect(p.stdout).toMatch(/^ {2}stopped while computing \(nothing stored\): classifier@\S+, classifier@\S+$/m);
  });

  it('kill -9 of a sweep parent: its workers leave by themselves, silently', async () => {
    const dir = tempDir('sweep-kill');
    const { p, workers } = await busySweep(dir);
    const before = p.stderr;

    const killed = performance.now();
    p.child.kill('SIGKILL');
    expect(await p.exited).toMatchObject({ signal: 'SIGKILL' });
    await waitFor(() => !workers.some(isAlive), 3000, `workers ${workers.join(', ')} to exit`);
    console.log(`kill -9 of the sweep parent -> workers gone: ${(performance.now() - killed).toFixed(0)} ms`);
    // The workers write to the parent's stderr pipe (inherited): it closes when the last is gone.
    await p.closed;
    expect(before).toBe('');
    expect(p.stderr).toBe('');
  });
});

// Reading run folders and resolving what a user typed (src/runner/runs.ts), on hand-made folders:
// every id form the manifests record, prefixes, paths, and files no run leaves (damaged, missing).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/index.js';
import { diffConfigs, findRun, flattenConfig, listRuns, stageCounts } from '../../src/runner/runs.js';
import { manifest, tempRuns, writeRun, writeSweep } from './folders.js';

const OLD = '2026-01-01T10-00-00-000-aaaa';
const NEW = '2026-01-02T10-00-00-000-bbbb';
const SWEEP = '2026-01-03T10-00-00-000-cccc';
const BROKEN = '2026-01-01T09-00-00-000-dddd';

let base: string;
let root: string;
beforeAll(() => {
  base = tempRuns();
  root = join(base, 'runs');
  writeRun(root, manifest('smoke', OLD, '2026-01-01T10:00:00.000Z'));
  writeRun(root, manifest('smoke', NEW, '2026-01-02T10:00:00.000Z', { statuses: ['hit', 'hit', 'failed'] }));
  writeSweep(root, 'sweep-smoke', SWEEP, '2026-01-03T10:00:00.000Z', [0.4, 0.6]);
  mkdirSync(join(root, 'smoke', BROKEN));
  writeFileSync(join(root, 'smoke', BROKEN, 'manifest.json'), '{"pipeline": "smoke", "runI');
  // Not a run folder: ignored.
  mkdirSync(join(root, 'smoke', 'scratch'));
});

const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no UsageError');
};

describe('listRuns', () => {
  it('lists runs and sweeps newest first, a sweep holding its variants, a damaged manifest as damaged', () => {
    const { records, pipelines } = listRuns(root);
    expect(pipelines).toEqual(['smoke', 'sweep-smoke']);
    expect(records.map((r) => `${r.kind} ${r.id}`)).toEqual([`sweep ${SWEEP}`, `run ${NEW}`, `run ${OLD}`, `damaged ${BROKEN}`]);
    const sweep = records[0];
    expect(sweep.kind === 'sweep' && sweep.variants.map((v) => v.id)).toEqual([`${SWEEP}/v1`, `${SWEEP}/v2`]);
    const damaged = records[3];
    expect(damaged.kind === 'damaged' && damaged.path).toBe(join(root, 'smoke', BROKEN, 'manifest.json'));
    expect(damaged.kind === 'damaged' && damaged.reason).toMatch(/JSON/);
  });

  it('counts computed, cached and failed stages; a sweep counts each shared instance once', () => {
    const { records } = listRuns(root);
    const byId = Object.fromEntries(records.map((r) => [r.id, r]));
    const counts = (id: string) => {
      const r = byId[id];
      return r.kind === 'damaged' ? undefined : stageCounts(r);
    };
    expect(counts(OLD)).toEqual({ computed: 3, cached: 0, failed: 0 });
    expect(counts(NEW)).toEqual({ computed: 0, cached: 2, failed: 1 });
    expect(counts(SWEEP)).toEqual({ computed: 4, cached: 0, failed: 0 });
  });

  it('filters by pipeline; a root that does not exist has no runs', () => {
    expect(listRuns(root, { pipeline: 'sweep-smoke' }).records.map((r) => r.id)).toEqual([SWEEP]);
    expect(listRuns(join(root, 'nowhere')).records).toEqual([]);
  });
});

describe('findRun', () => {
  it('takes every form a manifest records, with or without the pipeline', () => {
    expect(findRun(root, OLD).id).toBe(OLD);
    expect(findRun(root, `smoke/${OLD}`).id).toBe(OLD);
    expect(findRun(root, SWEEP).kind).toBe('sweep');
    expect(findRun(root, `${SWEEP}/v2`).id).toBe(`${SWEEP}/v2`);
    expect(findRun(root, `sweep-smoke/${SWEEP}/v2`).id).toBe(`${SWEEP}/v2`);
    expect(findRun(root, `${OLD}/`).id).toBe(OLD);
  });

  it('takes a unique prefix of the run id, also before a variant', () => {
    expect(findRun(root, '2026-01-02').id).toBe(NEW);
    expect(findRun(root, 'smoke/2026-01-02').id).toBe(NEW);
    expect(findRun(root, '2026-01-03/v1').id).toBe(`${SWEEP}/v1`);
    expect(findRun(root, '2026-01-03').kind).toBe('sweep');
  });

  it('takes the path of a run or variant folder, absolute or relative', () => {
    expect(findRun(root, join(root, 'smoke', OLD)).id).toBe(OLD);
    expect(findRun(root, relative(process.cwd(), join(root, 'sweep-smoke', SWEEP, 'v1'))).id).toBe(`${SWEEP}/v1`);
  });

  it('an ambiguous prefix lists the matches; an unknown id names the closest', () => {
    expect(usage(() => findRun(root, '2026-01-0'))).toMatch(new RegExp(`ambiguous: 4 runs start with it \\(.*${NEW}.*${OLD}`));
    const unknown = usage(() => findRun(root, '2026-01-02T10-00-00-000-bbbx'));
    expect(unknown).toContain(`no run 2026-01-02T10-00-00-000-bbbx under ${root}/ (use --runs DIR); closest: ${NEW}`);
    expect(usage(() => findRun(root, `${SWEEP}/v9`))).toContain(`closest: ${SWEEP}/v1`);
    expect(usage(() => findRun(join(root, 'nowhere'), OLD))).toContain('there are no runs there');
  });

  it('refuses ".." in an id: it never leads out of the runs root', () => {
    // Beside the runs root, a folder that would be reached by going up from it.
    const outside = writeRun(base, manifest('x', 'outside', '2026-01-01T00:00:00Z'));
    for (const id of ['..', `../x/outside`, `smoke/../../x/outside`, `smoke/../smoke/${OLD}`])
      expect(usage(() => findRun(root, id))).toContain('".." is not allowed in a run id');
    // A path may go up: it names the folder itself.
    expect(findRun(root, join(root, 'smoke', '..', 'smoke', OLD)).id).toBe(OLD);
    expect(findRun(root, outside).id).toBe('outside');
  });

  it('returns a damaged manifest as damaged, with its path', () => {
    const r = findRun(root, BROKEN);
    expect(r.kind).toBe('damaged');
  });
});

describe('diffConfigs', () => {
  it('names params stage.param and lists only the paths that differ, counting the equal ones', () => {
    const a = manifest('p', 'a', '2026-01-01T00:00:00Z', { threshold: 0.4 }).config;
    const b = manifest('p', 'b', '2026-01-01T00:00:00Z', { threshold: 0.6 }).config;
    expect(flattenConfig(a).get('confident.threshold')).toBe(0.4);
    expect(flattenConfig(a).get('classifier.inputs.data')).toBe('data');
    expect(flattenConfig(a).get('classifier.hidden')).toEqual([100, 100]);
    const d = diffConfigs([a, b]);
    expect(d.differing).toEqual([{ path: 'confident.threshold', values: [0.4, 0.6] }]);
    expect(d.equal).toBe(flattenConfig(a).size - 1);
    // A path only one config has differs; key order never does.
    const c = { ...(b as object), extra: { z: 1, y: [1] } };
    const e = { ...(b as object), extra: { y: [1], z: 1 } };
    expect(diffConfigs([b, c]).differing.map((x) => x.path)).toEqual(['extra.z', 'extra.y']);
    expect(diffConfigs([c, e]).differing).toEqual([]);
  });
});

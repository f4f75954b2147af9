// Teacher fixtures: training views, teach settings, and a workspace that exposes any leak of held-out items.
import { loadDataset } from '../../src/data/dataset.js';
import type { Workspace } from '../../src/data/workspace.js';
import { teachConfigSchema, type TeachConfig } from '../../src/teacher/config.js';
import { trainingView, type TrainingView } from '../../src/teacher/context.js';
import { plainDataset, preparedWorkspace, type FixtureItem } from './fixtures.js';

export function viewOf(ws: Workspace): TrainingView {
  return trainingView(ws, loadDataset(ws));
}

export function teachConfig(c: Partial<TeachConfig> & Pick<TeachConfig, 'backend' | 'model'>): TeachConfig {
  return teachConfigSchema.parse(c);
}

/**
 * Users whose validation and test items carry marker titles found nowhere in training, and
 * normal items whose only non-training buyers come right after a marker: any use of a
 * validation or test interaction shows up as a marker in some text.
 */
export async function leakFixture(): Promise<Workspace> {
  const items: FixtureItem[] = [];
  const rows: Array<[string, string, number]> = [];
  const pool = 8;
  for (let i = 0; i < pool; i++)
    items.push({
      id: `n${i}`,
      title: `Normal product ${i}`,
      categories: [['Beauty', i % 2 ? 'Hair' : 'Skin', `Leaf${i % 3}`]],
      brand: i % 3 ? 'Acme' : 'Zen',
    });
  for (let u = 0; u < 10; u++) {
    let t = 1_600_000_000 + u * 1000;
    for (let p = 0; p < 5; p++) rows.push([`u${u}`, `n${(u + p) % pool}`, (t += 86_400 * (1 + (p % 3)))]);
    const valid = u % 2 === 0 ? `mv${u}` : `n${(u + 5) % pool}`;
    const test = u % 2 === 0 ? `n${(u + 6) % pool}` : `mt${u}`;
    if (u % 2 === 0)
      items.push({
        id: valid,
        title: `ZZVALIDMARK${u} item`,
        categories: [['Beauty', 'Marker', `VALIDCAT${u}`]],
        brand: `VALIDBRAND${u}`,
      });
    else
      items.push({
        id: test,
        title: `ZZTESTMARK${u} item`,
        categories: [['Beauty', 'Marker', `TESTCAT${u}`]],
        brand: `TESTBRAND${u}`,
      });
    rows.push([`u${u}`, valid, (t += 86_400)]);
    rows.push([`u${u}`, test, (t += 86_400)]);
  }
  return preparedWorkspace(plainDataset(rows, items, [['Beauty', 'Misc']]));
}

export const MARKER = /ZZVALIDMARK|ZZTESTMARK|VALIDCAT|TESTCAT|VALIDBRAND|TESTBRAND|REVIEWLEAK/;

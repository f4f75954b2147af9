// Teacher fixtures: training views, teach settings, a workspace that exposes any leak of held-out items, and movies with texts to import.
import { loadDataset } from '../../src/data/dataset.js';
import type { Workspace } from '../../src/data/workspace.js';
import { teachConfigSchema, type TeachConfig } from '../../src/teacher/config.js';
import { trainingView, type TrainingView } from '../../src/teacher/context.js';
import assert from 'node:assert/strict';
import { runCli } from './cli.js';
import { plainDataset, preparedWorkspace, tempDir, type FixtureItem } from './fixtures.js';

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

/** Movies titled as MovieLens writes them: years, moved articles, an original title, one-word titles. */
export const MOVIES = [
  'Toy Story (1995)',
  'Twelve Monkeys (1995)',
  'Godfather, The (1972)',
  'Usual Suspects, The (1995)',
  'Heat (1995)',
  'City of Lost Children, The (Cité des enfants perdus, La) (1995)',
  'Seven (Se7en) (1995)',
  'Star Wars (1977)',
  'Fargo (1996)',
  'Casablanca (1942)',
];

/**
 * A plain dataset folder of 20 users u0..u19 over MOVIES (ids m0..m9): user k watches movies
 * k..k+4 (mod 10) a day apart, so their validation movie is k+3 and their test movie k+4.
 */
export function movieDataset(): string {
  const rows: Array<[string, string, number]> = [];
  for (let k = 0; k < 20; k++)
    for (let p = 0; p < 5; p++) rows.push([`u${k}`, `m${(k + p) % 10}`, 1_600_000_000 + k + p * 86_400]);
  return plainDataset(
    rows,
    MOVIES.map((title, i) => ({ id: `m${i}`, title, categories: [['Movies', i % 2 ? 'Drama' : 'Comedy']] })),
  );
}

/**
 * Reasoning texts for movieDataset's users as another pipeline writes them: u0..u3 name their
 * validation or test movie (u1..u3 by one-word names: "heat", "Seven", "Se7en"), u4's is empty,
 * u5 has a second line, one id is no user; u6 names only its training movies, u7 another
 * user's held-out movie. Read 22, imported 15, refused: unknown 1, duplicate 1, empty 1, held-out 4.
 */
export function movieTexts(): string {
  const clean = (k: number) => `Viewer number ${k} likes slow films with a twist at the end.`;
  const special: Record<number, string> = {
    0: 'A classic like The Usual Suspects, full of twists.',
    1: 'Feel the heat of a city at night.',
    2: 'Seven reasons to watch, all of them good.',
    3: 'Dark, like Se7en.',
    4: '   ',
    6: 'Loved Fargo and "Star Wars"; more of the same.',
    7: 'Not unlike The Godfather.',
  };
  const lines: unknown[] = [];
  for (let k = 0; k < 20; k++) {
    lines.push({ user_id: `u${k}`, text: special[k] ?? clean(k), model: 'elsewhere-7b', about_item_id: 'm1' });
    if (k === 5) lines.push({ user_id: 'u5', text: 'A second opinion.' });
  }
  lines.push({ user_id: 'ghost', text: 'No such user.' });
  return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n\n`;
}

/** A workspace folder with movieDataset prepared through the CLI. */
export function movieWorkspace(): string {
  const work = tempDir('r2end-work-');
  const r = runCli(['prepare', '--data', movieDataset(), '--work', work]);
  assert.equal(r.status, 0, r.stderr);
  return work;
}

/** The texts of movieTexts() that an import stores, by user id. */
export const MOVIE_TEXTS_KEPT: Record<string, string> = {
  u5: 'Viewer number 5 likes slow films with a twist at the end.',
  u6: 'Loved Fargo and "Star Wars"; more of the same.',
  u7: 'Not unlike The Godfather.',
  ...Object.fromEntries(
    [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map((k) => [
      `u${k}`,
      `Viewer number ${k} likes slow films with a twist at the end.`,
    ]),
  ),
};

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset } from '../../src/data/dataset.js';
import {
  GuardTally,
  HeldOutGuard,
  mentionReason,
  normaliseWords,
  titleNames,
} from '../../src/teacher/held-out-guard.js';
import { MOVIES } from '../support/teacher.js';

test('titleNames: MovieLens titles as people write them (year, moved article, alternative titles)', () => {
  const cases: Array<[string, string[]]> = [
    ['Godfather, The (1972)', ['godfather']],
    ['Usual Suspects, The (1995)', ['usual suspects']],
    ['Twelve Monkeys (1995)', ['twelve monkeys']],
    // The original title in parentheses names the film as well; its moved article goes the same way.
    [
      'City of Lost Children, The (Cité des enfants perdus, La) (1995)',
      ['city of lost children', 'cite des enfants perdus'],
    ],
    ['Seven (Se7en) (1995)', ['seven', 'se7en']],
    ['Se7en (a.k.a. Seven) (1995)', ['se7en', 'seven']],
    ["Star Maker, The (Uomo delle stelle, L') (1995)", ['star maker', 'uomo delle stelle']],
    ['Nikita (La Femme Nikita) (1990)', ['nikita', 'la femme nikita']],
    [
      'Land Before Time III: The Time of the Great Giving (1995) (V)',
      ['land before time iii the time of the great giving'],
    ],
    // Only English articles are left out from the front: "Die Hard" is not "Hard".
    ['Die Hard (1988)', ['die hard']],
    ['Die xue shuang xiong (Killer, The) (1989)', ['die xue shuang xiong', 'killer']],
    ['The Matrix', ['matrix']],
    ["Mr. Holland's Opus (1995)", ['mr holland s opus']],
    ['Truth About Cats & Dogs, The (1996)', ['truth about cats and dogs']],
    ['unknown', ['unknown']],
    // Without a year the groups in parentheses are a product's qualifiers: "Pack of 2" names nothing.
    ['Olay Pore Minimizing Cleanser + Scrub 5 Oz (Pack of 2)', ['olay pore minimizing cleanser scrub 5 oz']],
    [
      'Head &amp; Shoulders Dandruff Shampoo 14.2 Fl Oz (Pack of 2) (packaging may vary)',
      ['head and shoulders dandruff shampoo 14 2 fl oz'],
    ],
    ['Se7en (a.k.a. Seven)', ['se7en', 'seven']],
  ];
  for (const [title, names] of cases) assert.deepEqual(titleNames(title), names, title);
  assert.equal(normaliseWords('  Prêt-à-Porter’s  “BEST”! '), 'pret a porter s best');
});

/** Six movies; user 0 holds out the Godfather (validation) and the Usual Suspects (test), user 1 Heat and the City of Lost Children. */
function movies(): Dataset {
  const items = MOVIES.slice(0, 6).map((title, i) => ({
    id: `m${i}`,
    title,
    categories: [],
    brand: null,
    description: null,
  }));
  return {
    name: 'movies',
    items,
    itemIndex: new Map(items.map((it, i) => [it.id, i])),
    userIds: ['a', 'b'],
    userIndex: new Map([
      ['a', 0],
      ['b', 1],
    ]),
    sequences: [Int32Array.from([0, 1, 2, 3]), Int32Array.from([0, 1, 4, 5])],
    times: [Float64Array.from([1, 2, 3, 4]), Float64Array.from([1, 2, 3, 4])],
  };
}

test('HeldOutGuard: whole-word titles of the user own validation and test items, in any case and punctuation', () => {
  const guard = new HeldOutGuard(movies());
  const names = (user: number, text: string) => guard.mentions(user, text).map((m) => `${m.split}:${m.name}`);
  assert.deepEqual(names(0, "You'd love The Godfather."), ['validation:godfather']);
  assert.deepEqual(names(0, 'GODFATHER!'), ['validation:godfather']);
  assert.deepEqual(names(0, 'like "Godfather, The" and the-usual-suspects'), [
    'validation:godfather',
    'test:usual suspects',
  ]);
  // Conservative: a sequel's title holds the title as a phrase.
  assert.deepEqual(names(0, 'The Godfather Part II'), ['validation:godfather']);
  // Whole words only; training items and other users' held-out items are no leak.
  assert.deepEqual(names(0, 'The godfathers of cinema, Twelve Monkeys, Heat'), []);
  assert.deepEqual(names(0, 'unusual suspects'), []);
  assert.deepEqual(names(1, 'It brings the heat.'), ['validation:heat']);
  assert.deepEqual(names(1, 'Heathers'), []);
  assert.deepEqual(names(1, 'La Cité des Enfants Perdus'), ['test:cite des enfants perdus']);
  assert.deepEqual(names(1, "The City of Lost Children's look"), ['test:city of lost children']);

  const [m] = guard.mentions(1, 'heat');
  assert.deepEqual(m, { user: 1, item: 4, split: 'validation', title: 'Heat (1995)', name: 'heat' });
  assert.equal(
    mentionReason(guard.mentions(0, 'Godfather and Usual Suspects')),
    'names the user\'s held-out validation item "Godfather, The (1972)" and test item "Usual Suspects, The (1995)"',
  );
  const shared = [...guard.mentions(0, 'Usual Suspects'), ...guard.mentions(1, 'Heat')];
  assert.equal(
    mentionReason(shared, guard.userId),
    'names user a\'s held-out test item "Usual Suspects, The (1995)" and user b\'s held-out validation item "Heat (1995)"',
  );
});

test('GuardTally: a refusal counts as by a one-word title only when every name it matched is one word', () => {
  const guard = new HeldOutGuard(movies());
  const tally = new GuardTally();
  tally.record(guard.mentions(1, 'the heat'));
  tally.record(guard.mentions(1, 'the heat of the city of lost children'));
  tally.record(guard.mentions(0, 'the godfather'));
  assert.equal(tally.namesHeldOutItem, 3);
  assert.equal(tally.oneWordTitle, 2);
  assert.equal(tally.describe(), '3 named a held-out item (2 of them by a one-word title)');
});

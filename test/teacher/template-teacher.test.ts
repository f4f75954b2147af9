import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reasoningTarget } from '../../src/teacher/context.js';
import { TemplateTeacher, name } from '../../src/teacher/template-teacher.js';
import { sharedWorkspace } from '../support/fixtures.js';
import { viewOf } from '../support/teacher.js';

const GOLDEN_USERS: Record<string, string> = {
  A3BTN14HIZET6Z:
    'New brand for the user: Sleek. Stays in Face: 1 past purchase there, latest "Professional 15 Color Concealer Camouflage Makeup Palette"; the target adds Powder. It follows "Maybelline New York Pulse Perfection Vibrating Mascara", bought 6 days before: Mascara to Powder. Its other buyers bought Eye Shadow or Fluids just before it. Buys about every 58 days.',
  AWGD8WG6ZFM83:
    'Knows Neutrogena from "Neutrogena Ageless Essentials Continuous Hydration, Night, 1.7". Same category (Creams & Moisturizers) as 1 past purchase, latest "Olay Moisturizing Lotion, Sensitive Skin, 6-Ounce (Pack". It follows "Neutrogena Ageless Essentials Continuous Hydration, Night, 1.7", bought 9 days before: Oils & Serums to Creams & Moisturizers. Its other buyers bought mostly Creams & Moisturizers (2 of 12) just before it. Buys about every 31 days.',
  A3TIB9Q7IJ064H:
    'New brand for the user: Crazy Cart. New category for the user: Face > Concealers & Neutralizers, after mostly Toners & Astringents. It follows "ecoTOOLS Make-Up Kabuki Brush Set", bought the same day: Brushes & Applicators to Concealers & Neutralizers. Its other buyers bought Nail Art or Chemical Hair Dyes just before it. Buys in bursts: 2 of 3 purchases on the same day as the previous one.',
};

const GOLDEN_ITEMS: Record<string, string> = {
  B00BZ1QN2C:
    'Users who prefer Masks from Freeman would find this item suitable. Its buyers bought "Tropic Isle Strong Roots Red Pimento Hair", "Nexxus Youth Renewal Rejuvenating Elixir, 0.94 Ounce" just before it. It belongs to Face > Treatments & Masks > Masks. Brands they bought before: Nexxus (1). Bought 2 times in the training data.',
  B0068G8DTA:
    'Users who prefer Pore Cleansing Strips from Biore would find this item suitable. Its buyers bought "Dove Men + Care Body and Face", "Eucerin Intensive Repair Extra-Enriched Hand Creme, 2.7", "Hydroxatone Anti-Aging BB Cream Broad Spectrum SPF" just before it. It belongs to Face > Treatments & Masks > Pore Cleansing Strips. Brands they bought before: Dove (2), Hydroxatone (2). Bought 6 times in the training data.',
};

test('template teacher: golden texts on beauty_mini users and items', async () => {
  const ws = await sharedWorkspace('beauty_mini');
  const view = viewOf(ws);
  const t = new TemplateTeacher(view);
  for (const [user, text] of Object.entries(GOLDEN_USERS))
    assert.equal(t.reasoning(view.ds.userIndex.get(user)!), text, user);
  for (const [item, text] of Object.entries(GOLDEN_ITEMS))
    assert.equal(t.description(view.ds.itemIndex.get(item)!), text, item);
  ws.close();
});

test('template teacher: deterministic, and names only training-history items or the target', async () => {
  const ws = await sharedWorkspace('beauty_mini');
  const view = viewOf(ws);
  const a = new TemplateTeacher(view);
  const b = new TemplateTeacher(viewOf(ws));
  let named = 0;
  for (let u = 0; u < view.ds.userIds.length; u++) {
    const text = a.reasoning(u);
    assert.equal(b.reasoning(u), text, 'same input, same text');
    const t = reasoningTarget(view, u)!;
    const seq = view.ds.sequences[u];
    const allowed = new Set(
      [...seq.subarray(0, t.history)].map((i) => name(view.ds.items[i])).concat(name(view.ds.items[t.target])),
    );
    for (const m of text.matchAll(/"([^"]+)"/g)) {
      named++;
      assert.ok(allowed.has(m[1]), `user ${view.ds.userIds[u]} names "${m[1]}", not in the training history`);
    }
    assert.ok(text.length > 40 && text.split(/\s+/).length <= 110, `compact text for user ${u}: ${text}`);
  }
  assert.ok(named > view.ds.userIds.length, 'the texts do name history items');
  for (let i = 0; i < view.ds.items.length; i++) assert.equal(b.description(i), a.description(i));
  ws.close();
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePythonLiteral } from '../../src/data/formats/pyliteral.js';

test('parses the 2014 Amazon metadata dialect of Python literals', () => {
  const line = `{'asin': '0000031852', 'title': "Girls' Ballet Tutu \\xe9\\u00e9", 'price': 3.17, 'salesRank': {'Toys & Games': 211836}, 'categories': [['Sports & Outdoors', 'Other Sports', 'Dance']], 'related': {'also_bought': ('B1', 'B2')}, 'ok': True, 'none': None, 'neg': -1e3}`;
  assert.deepEqual(parsePythonLiteral(line), {
    asin: '0000031852',
    title: "Girls' Ballet Tutu éé",
    price: 3.17,
    salesRank: { 'Toys & Games': 211836 },
    categories: [['Sports & Outdoors', 'Other Sports', 'Dance']],
    related: { also_bought: ['B1', 'B2'] },
    ok: true,
    none: null,
    neg: -1000,
  });
  assert.equal(parsePythonLiteral(`'it\\'s'`), "it's");
});

test('rejects what is not a literal instead of evaluating it', () => {
  assert.throws(() => parsePythonLiteral(`{'a': __import__('os')}`), SyntaxError);
  assert.throws(() => parsePythonLiteral(`{'a': 1`), SyntaxError);
  assert.throws(() => parsePythonLiteral(`{'a': 1} extra`), SyntaxError);
});

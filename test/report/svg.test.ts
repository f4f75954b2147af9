import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barChart, histogram, lineChart } from '../../src/report/svg.js';

test('charts are well-formed SVG with escaped labels and one mark per value', () => {
  const line = lineChart('Loss <train>', 'step', 'MSE', [{ name: 'a & b', x: [0, 1, 2], y: [3, 2, 1] }]);
  assert.match(line, /^<svg [^>]*>.*<\/svg>$/s);
  assert.match(line, /Loss &lt;train&gt;/);
  assert.match(line, /a &amp; b/);
  assert.equal(line.match(/<circle/g)?.length, 3);
  const bars = barChart(
    'm',
    'v',
    ['pop', 'knn'],
    [
      { name: 'HR', values: [0.1, 0.2] },
      { name: 'N', values: [0.05, 0.1] },
    ],
  );
  assert.equal(bars.match(/<title>/g)?.length, 4);
  const hist = histogram(
    'h',
    'x',
    [
      { name: 'before', values: [0, 0.5, 1] },
      { name: 'after', values: [0.2, 0.2] },
    ],
    4,
  );
  assert.equal(hist.match(/<polygon/g)?.length, 2);
});

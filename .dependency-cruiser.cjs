// The layers of src/, bottom first: a folder may import its own layer and the layers below it,
// never one above; folders that share a layer (the model families) never import each other.
// `npm test` runs this check (npm run deps), so a wrong-way import or a cycle fails the build.
const LAYERS = [
  ['util'],
  ['io'],
  ['data'],
  ['engine'],
  ['encoder'],
  ['teacher'],
  ['rank'],
  ['eval'],
  ['baselines', 'sequential', 'r2end'],
  ['hybrid'],
  ['app'],
  ['report'],
  ['serve'],
  ['cli'],
];

const rules = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  return layer.flatMap((folder) => {
    const peers = layer.filter((f) => f !== folder);
    const forbidden = [...above, ...peers];
    if (forbidden.length === 0) return [];
    return [
      {
        name: `${folder}-points-down`,
        comment: `src/${folder} may not import ${forbidden.join(', ')} (layer order: ${LAYERS.map((l) => l.join('|')).join(' < ')})`,
        severity: 'error',
        from: { path: `^src/${folder}/` },
        to: { path: `^src/(${forbidden.join('|')})/` },
      },
    ];
  });
});

module.exports = {
  forbidden: [
    ...rules,
    {
      name: 'no-cycles',
      comment: 'modules must not import each other in a circle',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-stands-alone',
      comment: 'the product never imports tests, test-only writers or benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|testing|bench)/' },
    },
    {
      name: 'folders-are-layers',
      comment: 'every folder of src/ has a place in the layer order above',
      severity: 'error',
      from: { path: `^src/(?!(${LAYERS.flat().join('|')})/)` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|native/build)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};

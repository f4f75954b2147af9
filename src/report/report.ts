import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Workspace } from '../data/workspace.js';
import { publishedNames, resolvePublished } from '../io/publish.js';
import type { TrainingRecord } from '../r2end/record.js';
import { UserError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import type { EvalResult } from '../eval/evaluate.js';
import { latestEvaluations } from '../eval/results.js';
import { barChart, histogram, lineChart } from './svg.js';

const METRICS = ['HR@5', 'NDCG@5', 'HR@10', 'NDCG@10', 'HR@20', 'NDCG@20', 'MRR'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f4 = (v: number) => v.toFixed(4);
const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

/** Training records of every published R2END bundle (`training.json` of the version folder). */
export function trainingRecords(ws: Workspace): TrainingRecord[] {
  return (
    publishedNames(ws)
      .flatMap((name) => resolvePublished(ws, name) ?? [])
      // Sequential models keep a record of another shape; their metrics still appear in the tables.
      .filter((dir) => existsSync(join(dir, 'bundle.json')) && existsSync(join(dir, 'training.json')))
      .map((dir) => {
        const record = readJsonFile<TrainingRecord>(join(dir, 'training.json'), 'training record');
        // Latency is measured after training, by the benchmark, and kept beside the model.
        const latency = join(dir, 'latency.json');
        return existsSync(latency)
          ? { ...record, latency: readJsonFile<TrainingRecord['latency']>(latency, 'latency benchmark') }
          : record;
      })
  );
}

/**
 * Seconds a trained model took to train: R2END's stages summed, a sequential model's whole run
 * (validation included). Undefined for what keeps no training record: pop and item kNN (fitted
 * when evaluated) and hybrids (their parts').
 */
function trainingSeconds(ws: Workspace, name: string): number | undefined {
  const dir = resolvePublished(ws, name);
  const file = dir && join(dir, 'training.json');
  if (!file || !existsSync(file)) return undefined;
  const { seconds } = readJsonFile<{ seconds?: number | Record<string, number> }>(file, 'training record');
  return typeof seconds === 'number' ? seconds : seconds && Object.values(seconds).reduce((a, b) => a + b, 0);
}

function metricsTable(ws: Workspace, results: EvalResult[]): string {
  const head = [
    'recommender',
    ...METRICS,
    'long-tail users',
    'LT HR@10',
    'LT NDCG@10',
    'coverage@10',
    'training s',
    'evaluation s',
  ];
  const rows = results.map((r) =>
    [
      esc(r.recommender),
      ...METRICS.map((m) => f4(r.metrics[m])),
      String(r.longtail.users),
      f4(r.longtail['HR@10']),
      f4(r.longtail['NDCG@10']),
      f4(r['coverage@10']),
      trainingSeconds(ws, r.recommender)?.toFixed(0) ?? '-',
      r.seconds.toFixed(1),
    ]
      .map((c) => `<td>${c}</td>`)
      .join(''),
  );
  return `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r}</tr>`).join('')}</table>`;
}

function aboutList(results: EvalResult[]): string {
  return `<ul>${results
    .map(
      (r) =>
        `<li><b>${esc(r.recommender)}</b>: ${Object.entries(r.about)
          .map(([k, v]) => `${esc(k)} = ${esc(String(v))}`)
          .join('; ')}</li>`,
    )
    .join('')}</ul>`;
}

function modelSection(rec: TrainingRecord): string {
  const parts = [
    `<h2>Model ${esc(rec.model)}</h2>`,
    `<p>Dataset ${esc(rec.dataset)}; teacher <b>${esc(rec.teacher.label)}</b>; encoder ${esc(rec.encoder)}; ablation ${esc(rec.ablation)}; trained ${esc(rec.created)}.</p>`,
    `<p>Stage times: ${Object.entries(rec.seconds)
      .map(([k, v]) => `${esc(k)} ${v.toFixed(1)} s`)
      .join(', ')}.</p>`,
  ];
  if (rec.curves.distill.length) {
    parts.push(
      lineChart('Distillation (MSE to reasoning targets)', 'step', 'loss', [
        { name: 'MSE', x: rec.curves.distill.map((p) => p.step), y: rec.curves.distill.map((p) => p.loss) },
      ]),
    );
  }
  if (rec.curves.projection.length) {
    const p = rec.curves.projection;
    parts.push(
      lineChart('Projection: training loss', 'epoch', 'InfoNCE + L_reg', [
        { name: 'loss', x: p.map((e) => e.epoch), y: p.map((e) => e.loss) },
      ]),
    );
    parts.push(
      lineChart('Projection: validation NDCG@10', 'epoch', 'NDCG@10', [
        { name: 'valid', x: p.map((e) => e.epoch), y: p.map((e) => e.validNdcg10) },
      ]),
    );
  }
  const a = rec.alignment;
  if (a) {
    parts.push(
      `<p>Alignment with the reasoning targets on ${a.users} held-out users: mean cosine ${f4(mean(a.before.cos))} before distillation, ${f4(mean(a.after.cos))} after; mean L2 ${f4(mean(a.before.l2))} before, ${f4(mean(a.after.l2))} after.</p>`,
    );
    parts.push(
      histogram('L2 distance to the reasoning target', 'L2 distance', [
        { name: 'before distillation', values: a.before.l2 },
        { name: 'after distillation', values: a.after.l2 },
      ]),
    );
    parts.push(
      histogram('Cosine similarity to the reasoning target', 'cosine', [
        { name: 'before distillation', values: a.before.cos },
        { name: 'after distillation', values: a.after.cos },
      ]),
    );
  }
  if (rec.latency) {
    const rows = Object.entries(rec.latency).filter((e): e is [string, number] => typeof e[1] === 'number');
    parts.push(
      `<table><tr><th>latency</th><th>value</th></tr>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v.toFixed(2)}</td></tr>`).join('')}</table>`,
    );
  }
  return parts.join('\n');
}

/**
 * Refuses a stored evaluation without numbers to show: one of no users (an empty dataset) has
 * NaN metrics, which the database keeps as null.
 */
function checkStored(ws: Workspace, r: EvalResult): void {
  const numbers = [...METRICS.map((m) => r.metrics[m]), r.longtail['HR@10'], r.longtail['NDCG@10'], r['coverage@10']];
  if (r.users > 0 && numbers.every((v) => typeof v === 'number' && Number.isFinite(v))) return;
  throw new UserError(
    `the stored evaluation of ${r.recommender} (${r.split} split) has ${r.users > 0 ? 'a metric that is not a number' : '0 users'}; evaluate it again: r2end evaluate --work ${ws.dir} --recommender ${r.recommender} --split ${r.split}${r.exclude_seen ? ' --exclude-seen' : ''}`,
  );
}

/** One self-contained HTML page: metrics of every evaluated recommender, plots, model facts. */
export function renderReport(ws: Workspace): string {
  const results = latestEvaluations(ws);
  for (const r of results) checkStored(ws, r);
  const records = trainingRecords(ws);
  const sections: string[] = [];
  for (const split of ['test', 'valid'] as const) {
    const rs = results.filter((r) => r.split === split);
    if (!rs.length) continue;
    const first = rs[0];
    sections.push(
      `<h2>${split === 'test' ? 'Test' : 'Validation'} split</h2>`,
      `<p>Dataset ${esc(first.dataset)}: ${first.users} users, full ranking over ${first.items} items; ties ${esc(first.ties)}.</p>`,
      metricsTable(ws, rs),
      barChart(
        `HR@10 and NDCG@10 (${split})`,
        'metric',
        rs.map((r) => r.recommender),
        [
          { name: 'HR@10', values: rs.map((r) => r.metrics['HR@10']) },
          { name: 'NDCG@10', values: rs.map((r) => r.metrics['NDCG@10']) },
        ],
      ),
      aboutList(rs),
    );
  }
  if (!sections.length) sections.push('<p>No evaluations yet: run <code>r2end evaluate</code>.</p>');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>r2end report</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#111}table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}svg{margin:0.5em 1em 0.5em 0}</style>
</head><body>
<h1>r2end report</h1>
<p>Workspace ${esc(ws.dir)}, generated ${new Date().toISOString()}.</p>
${sections.join('\n')}
${records.map(modelSection).join('\n')}
</body></html>
`;
}

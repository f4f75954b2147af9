import type { TrainingRecord } from './record.js';

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(v.length, 1);

/** A markdown model card written beside every trained model: data, teacher, encoder, settings. */
export function writeModelCard(r: TrainingRecord): string {
  const lines = [
    `# r2end model \`${r.model}\``,
    '',
    `Trained ${r.created} on dataset **${r.dataset}** (leave-one-out; only training interactions were used for teaching and training; validation for early stopping).`,
    '',
    '| | |',
    '|---|---|',
    `| teacher | ${r.teacher.label}${r.teacher.isLLM ? '' : ' — rationales written from data facts by a deterministic template'} (mode ${r.teacher.mode}) |`,
    `| encoder | ${r.encoder} (${r.precision ?? 'float32'} compute) |`,
    `| ablation | ${r.ablation} |`,
    ...Object.entries(r.counts).map(([k, v]) => `| ${k} | ${v} |`),
    ...Object.entries(r.seconds).map(([k, v]) => `| seconds: ${k} | ${v.toFixed(1)} |`),
    '',
    '## Settings',
    '',
    '```json',
    JSON.stringify(r.config, null, 2),
    '```',
  ];
  if (r.curves.projection.length) {
    const best = r.curves.projection.reduce((a, b) => (b.validNdcg10 > a.validNdcg10 ? b : a));
    lines.push(
      '',
      `Projection: best validation NDCG@10 ${best.validNdcg10.toFixed(4)} at epoch ${best.epoch} of ${r.curves.projection.length}.`,
    );
  }
  if (r.alignment) {
    lines.push(
      '',
      `Alignment with reasoning targets on ${r.alignment.users} held-out training users: mean cosine ${mean(r.alignment.before.cos).toFixed(4)} before distillation, ${mean(r.alignment.after.cos).toFixed(4)} after.`,
    );
  }
  lines.push(
    '',
    'Inference uses no LLM: history text -> student encoder -> projection -> cosine top-K over all items.',
    '',
  );
  return lines.join('\n');
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import type { Workspace } from '../data/workspace.js';
import { ItemMatrix } from '../engine/topk.js';
import { loadTeacherOutputs } from '../teacher/outputs.js';
import type { TrainConfig } from '../train/config.js';
import { distillationUsers } from '../train/r2end.js';
import type { TrainingRecord } from '../train/record.js';
import { loadMatrix } from '../train/vectors.js';

export interface Explanation {
  user_id: string;
  similarity: number;
  text: string;
}

/**
 * Explanations without an LLM: the training reasoning texts R_u nearest to a recommended item in
 * the reasoning space (the frozen encoder's, where both the targets e_u^R and the items e_i
 * live). "Users who bought something like this were reasoned about like so."
 */
export class Explainer {
  private constructor(
    private readonly targets: ItemMatrix,
    private readonly users: string[],
    private readonly texts: string[],
  ) {}

  /** From a trained model's targets.safetensors; undefined when the model has no reasoning targets. */
  static load(ws: Workspace, ds: Dataset, modelDir: string, record: TrainingRecord): Explainer | undefined {
    const file = join(modelDir, 'targets.safetensors');
    if (!existsSync(file) || record.ablation === 'no-reasoning') return undefined;
    const cfg = record.config as unknown as TrainConfig;
    const teacher = loadTeacherOutputs(ws, cfg.teacher, ds);
    // targets.safetensors holds the distilled users, then the held-out ones, in this order.
    const { distilled, heldOut } = distillationUsers(ds, teacher, cfg);
    const rows = [...distilled, ...heldOut];
    const m = loadMatrix(file, 'targets');
    if (m.rows !== rows.length) return undefined;
    return new Explainer(
      new ItemMatrix(m.data, m.cols, { metric: 'cosine' }),
      rows.map((u) => ds.userIds[u]),
      rows.map((u) => teacher.reasoning.get(u) ?? ''),
    );
  }

  get size(): number {
    return this.users.length;
  }

  /** For each item vector e_i (rows of `items`), the `n` nearest reasoning texts. */
  async explain(items: Float32Array, n: number): Promise<Explanation[][]> {
    if (items.length === 0) return [];
    const r = await this.targets.topK(items, n);
    const out: Explanation[][] = [];
    for (let q = 0; q < items.length / this.targets.dim; q++) {
      const list: Explanation[] = [];
      for (let j = 0; j < n; j++) {
        const row = r.indices[q * n + j];
        if (row >= 0) list.push({ user_id: this.users[row], similarity: r.scores[q * n + j], text: this.texts[row] });
      }
      out.push(list);
    }
    return out;
  }
}

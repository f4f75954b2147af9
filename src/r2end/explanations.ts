import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import type { Workspace } from '../data/workspace.js';
import { ItemMatrix } from '../engine/topk.js';
import { loadMatrix } from '../io/matrices.js';
import { loadTeacherOutputs, type TeacherSelection } from '../teacher/outputs.js';
import { UserError } from '../util/errors.js';
import { FILES } from './bundle.js';
import type { TrainConfig } from './config.js';
import type { TrainingRecord } from './record.js';

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

  /**
   * From a trained model's reasoning targets, whose metadata lists the user of every row;
   * undefined for a model trained without reasoning (ablation no-reasoning).
   */
  static load(ws: Workspace, ds: Dataset, modelDir: string, record: TrainingRecord): Explainer | undefined {
    if (record.ablation === 'no-reasoning') return undefined;
    const file = join(modelDir, FILES.targets);
    const m = loadMatrix(file, 'targets');
    const users = m.metadata.users === undefined ? undefined : (JSON.parse(m.metadata.users) as string[]);
    if (!users || users.length !== m.rows)
      throw new UserError(
        `${file}: no list of the user of each row (written by an older r2end); retrain the model's targets with \`r2end train --work ${ws.dir} --name ${record.model} --fresh\``,
      );
    // The teacher the model learned from, as recorded, not whichever teacher ran last in the workspace.
    const { backend, model, mode } = record.teacher;
    const { keep } = (record.config as unknown as TrainConfig).teacher;
    const selection = { backend, model, mode, keep } as TeacherSelection;
    const teacher = loadTeacherOutputs(ws, selection, ds);
    const texts = users.map((id) => {
      const u = ds.userIndex.get(id);
      if (u === undefined) throw new UserError(`${file}: user "${id}" is not a user of the workspace ${ws.dir}`);
      return teacher.reasoning.get(u) ?? '';
    });
    return new Explainer(new ItemMatrix(m.data, m.cols, { metric: 'cosine' }), users, texts);
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

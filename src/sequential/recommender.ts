import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkTrainedOn, type Dataset } from '../data/dataset.js';
import type { Workspace } from '../data/workspace.js';
import { resolvePublished } from '../io/publish.js';
import type { History, Recommender } from '../rank/recommender.js';
import { UserError } from '../util/errors.js';
import { INFO_FILE, SequentialNet } from './net.js';
import { readRecord, type SequentialRecord } from './train.js';

/** SASRec or GRU4Rec as trained by `r2end train --model sasrec|gru4rec` (the best validation epoch); it never trains. */
export class SequentialRecommender implements Recommender {
  private net?: SequentialNet;
  private record?: SequentialRecord;

  constructor(
    private readonly ws: Workspace,
    readonly name: string,
    private readonly device?: string,
  ) {}

  describe(): Record<string, string | number | boolean> {
    const r = this.record;
    if (!r) return { model: `${this.name} (not loaded)` };
    const c = r.config;
    return {
      model: r.kind === 'sasrec' ? 'SASRec' : 'GRU4Rec',
      loss: c.loss,
      hidden: c.hidden,
      ...(c.blocks ? { blocks: c.blocks, heads: c.heads! } : {}),
      dropout: c.dropout,
      maxLength: c.maxLength,
      dataset: r.dataset,
      bestEpoch: r.bestEpoch,
    };
  }

  /** Loads the trained model (`r2end train --model sasrec|gru4rec` makes it). */
  async fit(ds: Dataset): Promise<void> {
    // Resolved once: a training that publishes meanwhile cannot mix its files into this load.
    const dir = resolvePublished(this.ws, this.name) ?? this.ws.path('models', this.name);
    if (!existsSync(join(dir, INFO_FILE))) {
      throw new UserError(
        `no trained model "${this.name}" in ${this.ws.dir} (expected ${join(dir, INFO_FILE)}); run \`r2end train --work ${this.ws.dir} --model sasrec|gru4rec --name ${this.name}\``,
      );
    }
    const net = SequentialNet.load(dir, this.device);
    const retrain = `\`r2end train --work ${this.ws.dir} --model ${net.info.config.model} --name ${this.name}\``;
    checkTrainedOn(ds, this.name, net.info.fingerprint, retrain);
    this.net = net;
    this.record = readRecord(dir);
  }

  async score(histories: readonly History[]): Promise<Float32Array> {
    if (!this.net) throw new Error(`${this.name}.score before fit`);
    return this.net.score(histories.map((h) => h.items));
  }
}

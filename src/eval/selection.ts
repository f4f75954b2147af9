import type { EvalResult } from './evaluate.js';

/**
 * The one model-selection rule of r2end: train epoch by epoch, validate through the evaluator
 * (full ranking, expected ties) every `evalEvery` epochs, keep the epoch with the best validation
 * NDCG@10 (a later epoch must be strictly better), and stop once `patience` epochs have passed
 * since the best one. SASRec, GRU4Rec and R2END's projection all train through this loop.
 */
export interface SelectionOptions {
  epochs: number;
  patience: number;
  /** Validate every this many epochs (and after the last one); default 1. */
  evalEvery?: number;
}

/** Where the loop stands after an epoch; a resumed run passes it back in. */
export interface SelectionState {
  epoch: number;
  best: number;
  bestEpoch: number;
}

/** One epoch's line of the training curve. */
export interface EpochEntry {
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Training time of the epoch (validation excluded). */
  seconds: number;
  /** On epochs that were validated. */
  validNdcg10?: number;
  validHr10?: number;
  validSeconds?: number;
}

export interface EpochHooks {
  /** Trains one epoch; returns its mean loss. */
  train(epoch: number): Promise<number>;
  validate(epoch: number): Promise<EvalResult>;
  /** The epoch just validated is the best so far: keep its weights. */
  onBest(epoch: number): Promise<void> | void;
  /** After every epoch, with its entry and the loop's state (checkpoint, log). */
  onEpoch(entry: EpochEntry, state: SelectionState): Promise<void> | void;
}

export function freshSelection(): SelectionState {
  return { epoch: 0, best: -1, bestEpoch: 0 };
}

export async function trainWithSelection(
  opts: SelectionOptions,
  state: SelectionState,
  hooks: EpochHooks,
): Promise<SelectionState> {
  const every = opts.evalEvery ?? 1;
  for (let epoch = state.epoch + 1; epoch <= opts.epochs && epoch - 1 - state.bestEpoch < opts.patience; epoch++) {
    const start = performance.now();
    const loss = await hooks.train(epoch);
    const entry: EpochEntry = { epoch, loss, seconds: (performance.now() - start) / 1000 };
    if (epoch % every === 0 || epoch === opts.epochs) {
      const result = await hooks.validate(epoch);
      const ndcg = result.metrics['NDCG@10'];
      Object.assign(entry, { validNdcg10: ndcg, validHr10: result.metrics['HR@10'], validSeconds: result.seconds });
      if (ndcg > state.best) {
        state.best = ndcg;
        state.bestEpoch = epoch;
        await hooks.onBest(epoch);
      }
    }
    state.epoch = epoch;
    await hooks.onEpoch(entry, state);
  }
  return state;
}

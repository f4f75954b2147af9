import type { TeacherStore } from './store.js';

interface Pending {
  write: () => void;
  /** Runs once the write is committed: only then is the answer counted. */
  counted: () => void;
}

/**
 * Group commit: the writes queued within one event-loop turn go to SQLite in one transaction,
 * and are counted only after it commits. With `waitAt` 1 (LLM backends) every worker waits for
 * its answer's commit before sending its next request, so a kill can lose at most the answers in
 * flight, while answers arriving together still share a transaction. A fast teacher (the
 * template) waits only when the queue is long, committing in large batches.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private pending: Promise<void> | undefined;
  private error: unknown;

  constructor(
    private readonly store: TeacherStore,
    /** Queue length at which `add` hands back the commit to wait for. */
    private readonly waitAt: number,
  ) {}

  /** Queues a write; returns the commit to wait for once the queue reaches `waitAt`. */
  add(write: () => void, counted: () => void): Promise<void> | undefined {
    if (this.error) throw this.error;
    this.queue.push({ write, counted });
    this.pending ??= new Promise((resolve) =>
      setImmediate(() => {
        this.flush();
        resolve();
      }),
    );
    return this.queue.length >= this.waitAt ? this.pending : undefined;
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.pending = undefined;
    try {
      this.store.batch(() => {
        for (const p of batch) p.write();
      });
    } catch (err) {
      this.error ??= err; // e.g. disk full: nothing of this batch is counted
      return;
    }
    for (const p of batch) p.counted();
  }

  /** Waits until everything queued is committed; rethrows a failed commit. */
  async drain(): Promise<void> {
    while (this.pending) await this.pending;
    if (this.error) throw this.error;
  }
}

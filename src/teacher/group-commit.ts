import type { TeacherStore } from './store.js';

interface Pending {
  write: () => void;
  /** Runs once the write is committed: only then is the answer counted. */
  counted: () => void;
}

/**
 * Group commit: the writes queued within one event-loop turn go to SQLite in one transaction,
 * and are counted only after it commits. An LLM's answers thus commit within a turn of arriving
 * (a kill loses nothing counted), while a fast teacher (the template) is not slowed to one
 * transaction per answer: a worker whose write finds a long queue waits for the commit.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private pending: Promise<void> | undefined;
  private error: unknown;

  constructor(
    private readonly store: TeacherStore,
    private readonly maxQueue = 512,
  ) {}

  /** Queues a write; returns a promise to await when the queue is long (back-pressure). */
  add(write: () => void, counted: () => void): Promise<void> | undefined {
    if (this.error) throw this.error;
    this.queue.push({ write, counted });
    this.pending ??= new Promise((resolve) =>
      setImmediate(() => {
        this.flush();
        resolve();
      }),
    );
    return this.queue.length >= this.maxQueue ? this.pending : undefined;
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

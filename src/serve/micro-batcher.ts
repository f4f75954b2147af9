/**
 * Groups single requests into engine batches. A request waits at most `windowMs` for company;
 * while `inFlight` batches run, newcomers queue and leave together as the next batch, so batches
 * grow with the load and throughput with them (one engine call serves many requests). With more
 * than one batch in flight, one batch's work on this thread (ranking, standardising, answering)
 * runs while the engine computes the next.
 */
export class MicroBatcher<I, O> {
  private queue: Array<{ input: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private timer?: NodeJS.Timeout;
  private running = 0;

  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly options: { windowMs: number; maxBatch: number; inFlight?: number },
  ) {}

  private get busy(): boolean {
    return this.running >= (this.options.inFlight ?? 1);
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.busy) return;
      if (this.queue.length >= this.options.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.busy || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.running++;
    this.run(batch.map((b) => b.input))
      .then(
        (outputs) => batch.forEach((b, i) => b.resolve(outputs[i])),
        (error) => batch.forEach((b) => b.reject(error)),
      )
      .finally(() => {
        this.running--;
        // Whatever queued meanwhile has waited long enough: it goes now.
        if (this.queue.length) this.flush();
      });
  }
}

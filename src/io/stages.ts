import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from './atomic.js';

interface StageState {
  /** Hash of the settings the stage's outputs depend on. */
  key: string;
  seconds: number;
  finished: string;
}

/**
 * Runs a training job stage by stage. A stage is recorded as finished (in `stages.json` in the
 * model folder) only after its outputs are written, so a job killed at any moment resumes at
 * the first unfinished stage. When the settings a finished stage depends on have changed, that
 * stage and every stage after it run again (like make), and the log says so.
 */
export class StageRunner {
  private readonly file: string;
  private readonly state: Record<string, StageState>;
  readonly seconds: Record<string, number> = {};

  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'stages.json');
    this.state = existsSync(this.file)
      ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, StageState>)
      : {};
    for (const [name, s] of Object.entries(this.state)) this.seconds[name] = s.seconds;
  }

  static key(settings: unknown): string {
    return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
  }

  done(name: string): boolean {
    return name in this.state;
  }

  /** When the stage last finished (ISO time), if it has. */
  finished(name: string): string | undefined {
    return this.state[name]?.finished;
  }

  /** Runs `fn` unless the stage already finished with the same settings. */
  async run(name: string, settings: unknown, fn: () => Promise<void>): Promise<void> {
    const key = StageRunner.key(settings);
    const prior = this.state[name];
    if (prior && prior.key === key) {
      this.log(`${name}: done (${prior.seconds.toFixed(1)} s), skipped`);
      return;
    }
    if (prior) {
      const names = Object.keys(this.state);
      const stale = names.slice(names.indexOf(name));
      this.log(`${name}: settings changed since it ran; running again: ${stale.join(', ')}`);
      for (const n of stale) {
        delete this.state[n];
        delete this.seconds[n];
      }
      writeAtomic(this.file, `${JSON.stringify(this.state, null, 2)}\n`);
    }
    this.log(`${name}...`);
    const start = performance.now();
    await fn();
    const seconds = (performance.now() - start) / 1000;
    this.state[name] = { key, seconds, finished: new Date().toISOString() };
    this.seconds[name] = seconds;
    writeAtomic(this.file, `${JSON.stringify(this.state, null, 2)}\n`);
  }
}

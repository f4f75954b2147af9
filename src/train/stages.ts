import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';

interface StageState {
  /** Hash of the settings the stage's outputs depend on. */
  key: string;
  seconds: number;
  finished: string;
}

/** Writes a file so that a reader (or a killed writer) never sees half of it. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Runs a training job stage by stage. A stage is recorded as finished (in `stages.json` in the
 * model folder) only after its outputs are written, so a job killed at any moment resumes at
 * the first unfinished stage. A stage whose settings changed since it ran is an error, not a
 * silent mix of old and new outputs.
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
    this.state = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, StageState>) : {};
    for (const [name, s] of Object.entries(this.state)) this.seconds[name] = s.seconds;
  }

  static key(settings: unknown): string {
    return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
  }

  done(name: string): boolean {
    return name in this.state;
  }

  /** Runs `fn` unless the stage already finished with the same settings. */
  async run(name: string, settings: unknown, fn: () => Promise<void>): Promise<void> {
    const key = StageRunner.key(settings);
    const prior = this.state[name];
    if (prior) {
      if (prior.key !== key) {
        throw new UserError(`${this.dir}: stage "${name}" was trained with other settings; use --fresh to retrain, or --name for a new model`);
      }
      this.log(`${name}: done (${prior.seconds.toFixed(1)} s), skipped`);
      return;
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

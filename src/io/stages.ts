import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeAtomic } from './atomic.js';

/** What a finished stage's output file was: checked before the stage is skipped. */
interface OutputSum {
  size: number;
  sha256: string;
}

interface StageState {
  /** Hash of the settings the stage's outputs depend on. */
  key: string;
  seconds: number;
  finished: string;
  /** Every output file (path relative to the folder); absent in stages.json of older versions. */
  outputs?: Record<string, OutputSum>;
}

/**
 * Runs a training job stage by stage. A stage is recorded as finished (in `stages.json` in the
 * model folder) only after its outputs are written, with the size and sha256 of each output
 * file, so a job killed at any moment resumes at the first unfinished stage. When the settings
 * a finished stage depends on have changed, or one of its outputs is missing or not what it
 * wrote, that stage and every stage after it run again (like make), and the log says why.
 */
export class StageRunner {
  /** The file in the model folder that records the finished stages. */
  static readonly FILE = 'stages.json';
  private readonly file: string;
  private readonly state: Record<string, StageState>;
  readonly seconds: Record<string, number> = {};
  private notedUnverified = false;

  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, StageRunner.FILE);
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

  /**
   * Runs `fn` unless the stage already finished with the same settings and its outputs are as it
   * left them. `outputs`: the files and folders (a folder: every file under it) `fn` writes,
   * absolute or relative to the folder.
   */
  async run(name: string, settings: unknown, outputs: readonly string[], fn: () => Promise<void>): Promise<void> {
    const key = StageRunner.key(settings);
    const paths = outputs.map((p) => relative(this.dir, resolve(this.dir, p)));
    const prior = this.state[name];
    if (prior) {
      const why = prior.key === key ? this.damage(name, prior, paths) : 'settings changed since it ran';
      if (why === undefined) {
        this.log(`${name}: done (${prior.seconds.toFixed(1)} s), skipped`);
        return;
      }
      const names = Object.keys(this.state);
      const stale = names.slice(names.indexOf(name));
      this.log(`${name}: ${why}; running again: ${stale.join(', ')}`);
      for (const n of stale) {
        delete this.state[n];
        delete this.seconds[n];
      }
      this.save();
    }
    this.log(`${name}...`);
    const start = performance.now();
    await fn();
    const seconds = (performance.now() - start) / 1000;
    const missing = paths.find((p) => !existsSync(join(this.dir, p)));
    if (missing) throw new Error(`stage ${name} finished without writing its output ${missing}`);
    this.state[name] = { key, seconds, finished: new Date().toISOString(), outputs: this.sums(paths) };
    this.seconds[name] = seconds;
    this.save();
  }

  /** Why a finished stage's outputs cannot be trusted, or undefined when they are as it wrote them. */
  private damage(name: string, prior: StageState, paths: string[]): string | undefined {
    const gone = paths.find((p) => files(this.dir, p).length === 0);
    if (gone) return `output ${gone} is missing`;
    if (!prior.outputs) {
      // Rerunning every stage of an older model would cost hours: trust what is there, once.
      if (!this.notedUnverified)
        this.log(
          `stages.json holds no output checksums (an older version wrote it): the outputs there are trusted and their checksums recorded now`,
        );
      this.notedUnverified = true;
      prior.outputs = this.sums(paths);
      this.save();
      return undefined;
    }
    const recorded = prior.outputs;
    const now = paths.flatMap((p) => files(this.dir, p));
    for (const [file, was] of Object.entries(recorded)) {
      if (!now.includes(file)) return `output ${file} is missing`;
      const size = statSync(join(this.dir, file)).size;
      if (size !== was.size) return `output ${file} changed since it finished (size ${was.size} -> ${size} bytes)`;
    }
    const added = now.find((f) => !(f in recorded));
    if (added) return `output ${added} was not there when ${name} finished`;
    const changed = now.find((f) => sha256(join(this.dir, f)) !== recorded[f].sha256);
    if (changed) return `output ${changed} changed since it finished (same size, another sha256)`;
    return undefined;
  }

  private sums(paths: string[]): Record<string, OutputSum> {
    const out: Record<string, OutputSum> = {};
    for (const file of paths.flatMap((p) => files(this.dir, p))) {
      const path = join(this.dir, file);
      out[file] = { size: statSync(path).size, sha256: sha256(path) };
    }
    return out;
  }

  private save(): void {
    writeAtomic(this.file, `${JSON.stringify(this.state, null, 2)}\n`);
  }
}

/** The files an output path names (relative to `dir`): itself, or every file under a folder, sorted. */
function files(dir: string, path: string): string[] {
  const abs = join(dir, path);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [path];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .map((f) => join(path, f))
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/** A file's sha256, read in pieces (a student model can be gigabytes). */
function sha256(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

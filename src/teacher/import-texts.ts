import { statSync } from 'node:fs';
import { loadDataset } from '../data/dataset.js';
import type { Workspace } from '../data/workspace.js';
import { UserError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { carriedSettings, planJobs, saveConfig, savedConfig, teachConfigSchema } from './config.js';
import { trainingView } from './context.js';
import { GuardTally, HeldOutGuard, mentionReason } from './held-out-guard.js';
import { importLines } from './import-lines.js';
import type { TeacherJob } from './prompts.js';
import { TeacherStore } from './store.js';

/** `teach --import FILE --what reasoning|items --teacher-model NAME`. */
export interface TextImportRequest {
  file: string;
  what: 'reasoning' | 'items';
  /** The name the texts are stored under: teacher `import`, model NAME. */
  model: string;
  /** No progress bar (tests). */
  silent?: boolean;
}

/** Lines refused, by reason; each refused line is counted once, under the first reason that applies. */
export interface RefusalCounts {
  /** No such user with a reasoning target (two or more training interactions), or no such item. */
  unknown_id: number;
  /** A second (third, ...) line for an id: only the first line of an id is considered. */
  duplicate: number;
  /** The text is empty or only white space. */
  empty: number;
  /** Reasoning only: the text names one of its user's validation or test items. */
  names_held_out_item: number;
}

export interface TextImportReport {
  /** Non-blank lines read. */
  read: number;
  imported: number;
  refused: RefusalCounts;
  /** Of `names_held_out_item`, the refusals by a one-word title only. */
  oneWordTitle: number;
  /** The first few refusals, said as "line 12: user 777: ...". */
  examples: string[];
}

const EXAMPLES = 5;

/**
 * Stores texts written outside r2end as the teacher `import` NAME, so that
 * `train --teacher-model NAME` learns from them. The file (JSON lines `{"user_id", "text"}` or
 * `{"item_id", "text"}`, other fields ignored) is streamed; refused lines are counted and left out.
 * The texts replace those of the same NAME and kind in one transaction: a reader sees the old
 * texts or the new ones, and a bad line, an import of nothing, or a killed run changes nothing.
 * Importing the same file again stores the same texts. The import becomes the workspace's last
 * teacher run (what `train` uses when no teacher is named).
 */
export async function importTexts(ws: Workspace, request: TextImportRequest): Promise<TextImportReport> {
  const { file, what, model } = request;
  const ds = loadDataset(ws);
  const config = teachConfigSchema.parse({ ...carriedSettings(savedConfig(ws)), backend: 'import', model, what });
  const plan = planJobs(trainingView(ws, ds), config);
  const ids = what === 'items' ? ds.items.map((it) => it.id) : ds.userIds;
  const jobs = new Map<string, TeacherJob>(
    (what === 'items' ? plan.items : plan.reasoning).map((j) => [ids[j.subject], j]),
  );
  const idField = what === 'items' ? 'item_id' : 'user_id';
  const subject = what === 'items' ? 'item' : 'user';
  // Item descriptions have no user, so no held-out items to name.
  const guard = what === 'reasoning' ? new HeldOutGuard(ds) : undefined;
  const tally = new GuardTally();
  const report: TextImportReport = {
    read: 0,
    imported: 0,
    refused: { unknown_id: 0, duplicate: 0, empty: 0, names_held_out_item: 0 },
    oneWordTitle: 0,
    examples: [],
  };
  const refuse = (reason: keyof RefusalCounts, line: number, id: string, why: string) => {
    report.refused[reason]++;
    if (report.examples.length < EXAMPLES) report.examples.push(`line ${line}: ${subject} ${id}: ${why}`);
  };
  const seen = new Set<string>();
  const bar = new Progress(`import ${what} texts`, statSync(file, { throwIfNoEntry: false })?.size ?? 0, {
    unit: 'bytes',
    silent: request.silent,
  });
  const teacher = { backend: 'import', model };
  await TeacherStore.replaceKind(ws, teacher, what === 'items' ? 'description' : 'reasoning', async (put) => {
    const expected = `one {"${idField}", "text"} object per line`;
    for await (const { where, line, value, bytes } of importLines(file, expected)) {
      bar.tick(bytes);
      report.read++;
      const { id, text } = fields(value, idField, where, expected);
      const job = jobs.get(id);
      if (!job) {
        const known = what === 'reasoning' && ds.userIndex.has(id);
        refuse('unknown_id', line, id, known ? 'fewer than 2 training interactions' : `no such ${subject}`);
        continue;
      }
      if (seen.has(id)) {
        refuse('duplicate', line, id, `a second line for this ${subject}`);
        continue;
      }
      seen.add(id);
      if (!text.trim()) {
        refuse('empty', line, id, 'empty text');
        continue;
      }
      const mentions = guard?.mentions(job.subject, text) ?? [];
      if (mentions.length) {
        tally.record(mentions);
        refuse('names_held_out_item', line, id, mentionReason(mentions));
        continue;
      }
      put(job.hash, {
        kind: job.kind,
        subject: job.subject,
        text: text.trim(),
        finishReason: 'import',
        promptTokens: 0,
        completionTokens: 0,
        predictionMatch: null,
      });
      report.imported++;
    }
    if (report.imported === 0) {
      const r = report.refused;
      throw new UserError(
        `--import ${file}: nothing to import (${report.read} line${report.read === 1 ? '' : 's'}; refused: unknown id ${r.unknown_id}, duplicate ${r.duplicate}, empty ${r.empty}, names a held-out item ${r.names_held_out_item}); the texts stored as ${model} stay as they were`,
      );
    }
    saveConfig(ws, config);
    bar.finish();
  });
  report.oneWordTitle = tally.oneWordTitle;
  return report;
}

function shown(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** The id (a string, or a whole number as the data writes ids) and the text of a line. */
function fields(value: unknown, idField: string, where: string, expected: string): { id: string; text: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UserError(`${where}: not a JSON object (expected ${expected})`);
  const rec = value as Record<string, unknown>;
  const id = rec[idField];
  if (id === undefined || id === null) throw new UserError(`${where}: no field "${idField}" (expected ${expected})`);
  if (typeof id !== 'string' && !Number.isSafeInteger(id))
    throw new UserError(`${where}: field "${idField}" must be a string or a whole number, got ${shown(id)}`);
  if (typeof rec.text !== 'string')
    throw new UserError(
      `${where}: field "text" must be a string, got ${rec.text === undefined ? 'none' : shown(rec.text)}`,
    );
  return { id: String(id), text: rec.text };
}

import { Command, Option } from 'commander';
import { Workspace } from '../data/workspace.js';
import type { BackendName } from '../teacher/config.js';
import {
  BACKENDS,
  defaultTemplateText,
  inspectTeacher,
  teach,
  type InspectRequest,
  type PromptInspection,
  type PromptRequest,
  type StatusInspection,
  type Subset,
  type TeachRequest,
  type TeachRunOptions,
  type TemplateChoice,
} from '../teacher/teach.js';
import { importTexts, type TextImportReport, type TextImportRequest } from '../teacher/import-texts.js';
import { UserError } from '../util/errors.js';
import { parseIntFlag, parseModelName, parseNumberFlag } from './flags.js';

const DEFAULT_BASE_URL = 'http://127.0.0.1:8000/v1';

interface TeachFlags {
  work?: string;
  backend?: BackendName;
  baseUrl: string;
  model?: string;
  apiKeyEnv: string;
  what?: TeachRequest['what'];
  mode?: TeachRequest['mode'];
  concurrency: string;
  timeout: string;
  retries: string;
  attempts: string;
  backoff: string;
  limit?: string;
  ratio?: string;
  maxWords?: string;
  maxTokens?: string;
  contextItems?: string;
  candidates?: string;
  reasoningTemplate?: string;
  unguidedTemplate?: string;
  descriptionTemplate?: string;
  dryRun?: boolean;
  status?: boolean;
  json?: boolean;
  show?: string;
  showItem?: string;
  printTemplate?: TemplateChoice;
  export?: string;
  import?: string;
  teacherModel?: string;
}

export function register(program: Command): void {
  program
    .command('teach')
    .description(
      'generate oracle-guided reasoning per training user and descriptions per item with a teacher (LLM server, batch files, or the offline template teacher)',
    )
    .option('--work <dir>', 'workspace folder (required except with --print-template)')
    .addOption(
      new Option(
        '--backend <name>',
        'template: offline, NOT an LLM; openai: an OpenAI-compatible server; batch: OpenAI Batch files; import: texts imported with --teacher-model (for --status, --show)',
      ).choices([...BACKENDS]),
    )
    .option('--base-url <url>', 'openai: server URL up to /v1', DEFAULT_BASE_URL)
    .option('--model <name>', 'openai/batch: model name')
    .option('--api-key-env <var>', 'openai: environment variable holding the API key', 'OPENAI_API_KEY')
    .addOption(new Option('--what <what>', 'which prompts (default all)').choices(['reasoning', 'items', 'all']))
    .addOption(
      new Option(
        '--mode <mode>',
        'oracle: the paper (target shown); unguided: the model predicts the next item itself (ablations)',
      ).choices(['oracle', 'unguided']),
    )
    .option('--concurrency <n>', 'requests in flight', '8')
    .option('--timeout <seconds>', 'per request', '300')
    .option('--retries <n>', 'retries per prompt after 429/5xx/timeouts/dropped connections', '8')
    .option(
      '--attempts <n>',
      'answers per prompt that may be rejected (empty, cut off, wrong opening) before it is failed',
      '3',
    )
    .option('--backoff <seconds>', 'first retry pause (doubles, with jitter, up to 60 s; Retry-After is honoured)', '1')
    .option('--limit <n>', 'only this many users and items (a fixed pseudo-random subset)')
    .option('--ratio <r>', 'only this fraction of users and items (paper: distillation data ratio)')
    .option('--max-words <n>', 'the prompts\' "max {max_words} words" (default 512)')
    .option('--max-tokens <n>', 'max_tokens per answer (default 1024)')
    .option('--context-items <n>', 'description prompts: prior purchases/reviews listed (default 10)')
    .option('--candidates <n>', 'unguided prompts: candidate items (default 20)')
    .option('--reasoning-template <file>', 'override the oracle-guided reasoning prompt')
    .option('--unguided-template <file>', 'override the unguided reasoning prompt')
    .option('--description-template <file>', 'override the item description prompt')
    .addOption(
      new Option('--print-template <kind>', 'print a default template (to copy and edit)').choices([
        'reasoning',
        'unguided',
        'description',
        'description-reviews',
      ]),
    )
    .option('--dry-run', 'print prompt counts, a token estimate and the first prompt; send nothing')
    .option('--status', 'print done/failed/pending counts')
    .option('--json', 'with --status or --teacher-model: one JSON object on stdout')
    .option('--show <user_id>', "print one user's reasoning prompt and answer")
    .option('--show-item <item_id>', "print one item's description prompt and answer")
    .option('--export <file>', 'batch: write pending prompts as an OpenAI Batch JSONL file')
    .option(
      '--import <file>',
      'batch: read an OpenAI Batch result JSONL file; with --teacher-model: texts written elsewhere, JSON lines {"user_id" (or "item_id"), "text"}',
    )
    .option(
      '--teacher-model <name>',
      'with --import and --what reasoning|items: store the texts as the teacher "import" NAME (train --teacher-model NAME learns from them)',
    )
    .action(async (o: TeachFlags) => {
      if (o.printTemplate) return void process.stdout.write(defaultTemplateText(o.printTemplate));
      if (!o.work) throw new UserError('--work: required (the workspace folder)');
      const textImport = o.teacherModel === undefined ? undefined : textImportRequest(o);
      const ws = Workspace.openPrepared(o.work);
      try {
        if (textImport) return await importAction(ws, textImport, Boolean(o.json));
        if (o.status || o.show || o.showItem) return inspect(ws, o);
        await teach(ws, teachRequest(o.work, o), {
          write: (text) => process.stdout.write(text),
          log: (line) => process.stderr.write(`${line}\n`),
        });
      } finally {
        ws.close();
      }
    });
}

/** A run's flags, checked for what the backend needs before any value is parsed. */
function teachRequest(work: string, o: TeachFlags): TeachRequest {
  if (!o.backend)
    throw new UserError(
      '--backend: required to run the teacher (template, openai or batch; texts written elsewhere come in with --import FILE --teacher-model NAME); --status and --show need none',
    );
  if (o.backend === 'import')
    throw new UserError(
      '--backend import: texts come in with --import FILE --what reasoning|items --teacher-model NAME',
    );
  if (o.backend !== 'template' && !o.model) throw new UserError(`--model: required with --backend ${o.backend}`);
  if (o.backend === 'batch' && !o.export && !o.import && !o.dryRun)
    throw new UserError('--backend batch: give --export FILE (write pending prompts) or --import FILE (read results)');
  if (o.backend !== 'batch' && (o.export || o.import))
    throw new UserError(
      o.export
        ? '--export: only with --backend batch'
        : '--import: only with --backend batch (results) or --teacher-model NAME (texts written elsewhere)',
    );
  return {
    work,
    backend: o.backend,
    model: o.model,
    baseUrl: o.baseUrl,
    apiKeyEnv: o.apiKeyEnv,
    what: o.what,
    mode: o.mode,
    prompt: promptFlags(o),
    run: runFlags(o),
    subset: subsetFlags(o),
    dryRun: o.dryRun,
    exportFile: o.export,
    importFile: o.import,
  };
}

/** Flags that only shape prompts or runs, which an import of finished texts does not have. */
const NOT_FOR_IMPORT: Array<keyof TeachFlags> = [
  'model',
  'mode',
  'limit',
  'ratio',
  'export',
  'dryRun',
  'status',
  'show',
  'showItem',
  'maxWords',
  'maxTokens',
  'contextItems',
  'candidates',
  'reasoningTemplate',
  'unguidedTemplate',
  'descriptionTemplate',
];

/** `--import FILE --what W --teacher-model NAME`: texts written elsewhere, checked flag by flag. */
function textImportRequest(o: TeachFlags): TextImportRequest {
  const model = parseModelName('--teacher-model', o.teacherModel!);
  if (!o.import) throw new UserError('--teacher-model: names the texts of --import FILE; give --import FILE too');
  if (o.backend && o.backend !== 'import')
    throw new UserError(
      `--backend ${o.backend}: not with --teacher-model, which imports texts (batch results come in with --backend batch --model M --import FILE)`,
    );
  const foreign = NOT_FOR_IMPORT.find((key) => o[key] !== undefined);
  if (foreign)
    throw new UserError(
      `--${foreign.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: does not apply to an import of texts (--teacher-model)`,
    );
  if (o.what !== 'reasoning' && o.what !== 'items')
    throw new UserError(
      `--what${o.what ? ` ${o.what}` : ''}: give reasoning or items, what the --import file holds (its lines have "user_id" or "item_id")`,
    );
  return { file: o.import, what: o.what, model };
}

async function importAction(ws: Workspace, request: TextImportRequest, json: boolean): Promise<void> {
  const r = await importTexts(ws, request);
  for (const line of r.examples) process.stderr.write(`refused: ${line}\n`);
  const more = Object.values(r.refused).reduce((a, b) => a + b, 0) - r.examples.length;
  if (more > 0) process.stderr.write(`... and ${more} more refused\n`);
  if (json) {
    const { read, imported, refused } = r;
    process.stdout.write(`${JSON.stringify({ read, imported, refused })}\n`);
    if (r.oneWordTitle) process.stderr.write(`${oneWordNote(r)}\n`);
  } else process.stdout.write(formatImport(request, r));
}

function oneWordNote(r: TextImportReport): string {
  return `${r.oneWordTitle} of the ${r.refused.names_held_out_item} texts naming a held-out item named it only by a one-word title (a common word may be the reason)`;
}

function formatImport({ what, model }: TextImportRequest, r: TextImportReport): string {
  const f = r.refused;
  const heldOut =
    what === 'items'
      ? 'item texts are not checked for held-out items'
      : `names a held-out item ${f.names_held_out_item} (${r.oneWordTitle} of them by a one-word title)`;
  return `imported texts ${model} (${what}): read ${r.read}, imported ${r.imported}, refused: unknown id ${f.unknown_id}, duplicate ${f.duplicate}, empty ${f.empty}, ${heldOut}; train --teacher-model ${model} learns from them\n`;
}

/** Settings that shape prompts, given as flags (the rest keep their saved or default values). */
function promptFlags(o: TeachFlags): PromptRequest {
  const int = (flag: string, v: string | undefined, min: number) => (v ? parseIntFlag(flag, v, min) : undefined);
  return {
    maxWords: int('--max-words', o.maxWords, 1),
    maxTokens: int('--max-tokens', o.maxTokens, 1),
    contextItems: int('--context-items', o.contextItems, 1),
    candidates: int('--candidates', o.candidates, 2),
    templateFiles: { reasoning: o.reasoningTemplate, unguided: o.unguidedTemplate, description: o.descriptionTemplate },
  };
}

function subsetFlags(o: TeachFlags): Subset {
  if (o.limit && o.ratio) throw new UserError('--limit and --ratio: give one of them, not both');
  const ratio = o.ratio ? parseNumberFlag('--ratio', o.ratio, 0, 1) : undefined;
  if (ratio === 0) throw new UserError('--ratio 0: expected a fraction in (0, 1]');
  return { limit: o.limit ? parseIntFlag('--limit', o.limit, 1) : undefined, ratio };
}

/** The runner's flags, parsed before any work so a typo fails at once. */
function runFlags(o: TeachFlags): TeachRunOptions {
  return {
    concurrency: parseIntFlag('--concurrency', o.concurrency, 1),
    attempts: parseIntFlag('--attempts', o.attempts, 1),
    retries: parseIntFlag('--retries', o.retries, 0),
    backoffMs: parseNumberFlag('--backoff', o.backoff, 0) * 1000,
    timeoutMs: parseNumberFlag('--timeout', o.timeout, 0.001) * 1000,
  };
}

function inspect(ws: Workspace, o: TeachFlags): void {
  // The run flags do not apply here and are not parsed; a subset given here replaces the saved one.
  const subset = o.limit || o.ratio ? subsetFlags(o) : undefined;
  const target: InspectRequest['target'] = o.status
    ? { kind: 'status' }
    : o.show
      ? { kind: 'user', id: o.show }
      : { kind: 'item', id: o.showItem! };
  const r = inspectTeacher(ws, {
    backend: o.backend,
    model: o.model,
    mode: o.mode,
    what: o.what,
    prompt: promptFlags(o),
    subset,
    target,
  });
  if (r.kind === 'prompt') return void process.stdout.write(formatPrompt(r));
  process.stdout.write(o.json ? `${JSON.stringify(r.status)}\n` : formatStatus(r));
}

function formatStatus({ status: s, label, config: c }: StatusInspection): string {
  const line = (name: string, k: StatusInspection['status']['items']) =>
    `${name} ${k.total} total, ${k.done} done, ${k.failed} failed, ${k.pending} pending`;
  const subsetNote = c.limit ? `, limit ${c.limit}` : c.ratio ? `, ratio ${c.ratio}` : '';
  return [
    `teacher: ${label}${c.backend === 'import' ? '' : `, mode ${c.mode}`}${subsetNote}`,
    line(c.mode === 'unguided' ? 'reasoning (unguided):' : 'reasoning:', s.reasoning),
    line('items:    ', s.items),
    '',
  ].join('\n');
}

function formatPrompt({ label, name, job, answer, failure }: PromptInspection): string {
  const state = answer
    ? 'answer'
    : failure
      ? `FAILED after ${failure.attempts} attempt(s): ${failure.reason}`
      : 'pending (no answer yet)';
  const out = [
    `teacher: ${label}`,
    `${job.kind} prompt for ${name}:`,
    '',
    job.prompt.trimEnd() || '(none: the text was imported)',
    '',
    `--- ${state} ---`,
  ];
  if (answer) out.push(answer.text);
  else if (failure?.text) out.push(`rejected answer: ${failure.text}`);
  return `${out.join('\n')}\n`;
}

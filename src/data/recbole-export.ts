import { closeSync, openSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { writeFolderAtomic } from '../io/atomic.js';
import { UserError } from '../util/errors.js';
import { formatCategories, RECBOLE_COLUMNS, RECBOLE_FILE } from './formats/recbole.js';
import type { Workspace } from './workspace.js';

export interface RecboleExport {
  /** The folder written, and the dataset name RecBole knows it by (the folder's name). */
  dir: string;
  dataset: string;
  files: string[];
  users: number;
  items: number;
  interactions: number;
  /** Whether the .inter file has a rating column (some interaction had a rating). */
  ratings: boolean;
  /** Texts whose tabs or line breaks became spaces (an atomic file cannot hold them). */
  flattenedTexts: number;
}

/** A file written in large chunks, so millions of lines cost few system calls. */
class LineWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  line(fields: string[]): void {
    const text = `${fields.join('\t')}\n`;
    this.buffer.push(text);
    this.size += text.length;
    if (this.size >= 1 << 20) this.flush();
  }
  private flush(): void {
    writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Writes the workspace's prepared dataset as RecBole atomic files in `out` (a new folder, or one
 * replaced with `force`), named after the folder as RecBole expects (`out/NAME.inter`,
 * `out/NAME.item`): every kept interaction with the workspace's ids, timestamps (Unix seconds) and
 * ratings, users in workspace order and each user's interactions in sequence order, so a stable
 * sort by time (RecBole's) gives the same sequences; items in workspace order with title,
 * categories, brand and description. Written into a temporary folder renamed into place.
 */
export function exportRecbole(ws: Workspace, out: string, force = false): RecboleExport {
  // --force replaces an earlier export, never a folder holding anything else.
  const replaceable = (entry: string) => RECBOLE_FILE.test(entry);
  const dataset = basename(resolve(out));
  let flattenedTexts = 0;
  const text = (s: string | null) => {
    if (s === null) return '';
    const flat = s.replace(/[\t\r\n]+/g, ' ');
    if (flat !== s) flattenedTexts++;
    return flat;
  };
  const id = (kind: string, s: string) => {
    if (/[\t\r\n]/.test(s))
      throw new UserError(
        `${kind} id ${JSON.stringify(s)} holds a tab or a line break, which a RecBole atomic file cannot hold`,
      );
    return s;
  };
  const db = ws.db;
  const ratings = db.prepare('SELECT EXISTS (SELECT 1 FROM interactions WHERE rating IS NOT NULL)').pluck().get() === 1;
  return writeFolderAtomic(out, '--out', { force, replaceable }, (tmp) => {
    const { user, item, time, rating } = RECBOLE_COLUMNS;
    const inter = new LineWriter(join(tmp, `${dataset}.inter`));
    inter.line([`${user}:token`, `${item}:token`, `${time}:float`, ...(ratings ? [`${rating}:float`] : [])]);
    let interactions = 0;
    let users = 0;
    let lastUser = -1;
    const rows = db
      .prepare(
        `SELECT x.user_idx, u.user_id, i.item_id, x.ts, x.rating FROM interactions x
         JOIN users u ON u.idx = x.user_idx JOIN items i ON i.idx = x.item_idx ORDER BY x.user_idx, x.pos`,
      )
      .raw()
      .iterate() as Iterable<[number, string, string, number, number | null]>;
    for (const [u, userId, itemId, ts, r] of rows) {
      if (u !== lastUser) {
        users++;
        lastUser = u;
        id('user', userId);
      }
      inter.line([userId, id('item', itemId), String(ts), ...(ratings ? [r === null ? '' : String(r)] : [])]);
      interactions++;
    }
    inter.close();

    const itemFile = new LineWriter(join(tmp, `${dataset}.item`));
    itemFile.line([`${item}:token`, 'title:token_seq', 'categories:token_seq', 'brand:token', 'description:token_seq']);
    let items = 0;
    const itemRows = db
      .prepare('SELECT item_id, title, categories, brand, description FROM items ORDER BY idx')
      .raw()
      .iterate() as Iterable<[string, string, string, string | null, string | null]>;
    for (const [itemId, title, categories, brand, description] of itemRows) {
      const names = [...new Set((JSON.parse(categories) as string[][]).flat().map((c) => text(c)))];
      itemFile.line([itemId, text(title), formatCategories(names), text(brand), text(description)]);
      items++;
    }
    itemFile.close();
    return {
      dir: resolve(out),
      dataset,
      files: [`${dataset}.inter`, `${dataset}.item`],
      users,
      items,
      interactions,
      ratings,
      flattenedTexts,
    };
  });
}

import type { Workspace } from '../data/workspace.js';
import type { Item } from '../data/types.js';

/** An item added or updated at run time, with its vectors under one trained model. */
export interface StoredItem {
  item: Item;
  /** e_i from the frozen encoder and z_i (normalised, projected). */
  e: Float32Array;
  z: Float32Array;
  /** Which trained model the vectors belong to (its training time); stale vectors are re-encoded. */
  fingerprint: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS serve_items (
  model TEXT NOT NULL,
  item_id TEXT NOT NULL,
  title TEXT NOT NULL,
  categories TEXT NOT NULL,
  brand TEXT,
  description TEXT,
  fingerprint TEXT NOT NULL,
  e BLOB NOT NULL,
  z BLOB NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (model, item_id)
)`;

interface Row {
  item_id: string;
  title: string;
  categories: string;
  brand: string | null;
  description: string | null;
  fingerprint: string;
  e: Buffer;
  z: Buffer;
}

const floats = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const bytes = (f: Float32Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength);

/** Run-time items of the service, persisted in the workspace database (table serve_items). */
export class ItemStore {
  constructor(
    private readonly ws: Workspace,
    private readonly model: string,
  ) {
    ws.db.exec(SCHEMA);
  }

  /** Every stored item of this model, in the order they were first added. */
  load(): StoredItem[] {
    const rows = this.ws.db
      .prepare(
        'SELECT item_id, title, categories, brand, description, fingerprint, e, z FROM serve_items WHERE model = ? ORDER BY rowid',
      )
      .all(this.model) as Row[];
    return rows.map((r) => ({
      item: {
        id: r.item_id,
        title: r.title,
        categories: JSON.parse(r.categories) as string[][],
        brand: r.brand,
        description: r.description,
      },
      e: floats(r.e),
      z: floats(r.z),
      fingerprint: r.fingerprint,
    }));
  }

  /** Inserts or replaces items in one transaction (an update keeps the item's first position). */
  save(items: readonly StoredItem[]): void {
    const upsert = this.ws.db
      .prepare(`INSERT INTO serve_items (model, item_id, title, categories, brand, description, fingerprint, e, z, updated)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(model, item_id) DO UPDATE SET title = excluded.title, categories = excluded.categories, brand = excluded.brand,
        description = excluded.description, fingerprint = excluded.fingerprint, e = excluded.e, z = excluded.z, updated = excluded.updated`);
    const now = new Date().toISOString();
    this.ws.db.transaction(() => {
      for (const s of items)
        upsert.run(
          this.model,
          s.item.id,
          s.item.title,
          JSON.stringify(s.item.categories),
          s.item.brand,
          s.item.description,
          s.fingerprint,
          bytes(s.e),
          bytes(s.z),
          now,
        );
    })();
  }
}

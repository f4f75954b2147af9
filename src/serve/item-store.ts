import type { Item } from '../data/types.js';
import type { Workspace } from '../data/workspace.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runtime_items (
  item_id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  categories TEXT NOT NULL,
  brand TEXT,
  description TEXT,
  updated TEXT NOT NULL
)`;

interface Row {
  item_id: string;
  title: string;
  categories: string;
  brand: string | null;
  description: string | null;
}

/**
 * Items added at run time (POST /v1/items), persisted in the workspace database (table
 * runtime_items) so a restarted service, whatever model it serves, has them again. Only the
 * items are kept: each model embeds them itself when the service starts.
 */
export class ItemStore {
  constructor(private readonly ws: Workspace) {}

  /** Every stored item, in the order they were first added (none before the first is saved). */
  load(): Item[] {
    // Reading never creates the table: a command that only reads leaves the database as it was.
    const exists = this.ws.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runtime_items'")
      .get();
    if (!exists) return [];
    const rows = this.ws.db
      .prepare('SELECT item_id, title, categories, brand, description FROM runtime_items ORDER BY rowid')
      .all() as Row[];
    return rows.map((r) => ({
      id: r.item_id,
      title: r.title,
      categories: JSON.parse(r.categories) as string[][],
      brand: r.brand,
      description: r.description,
    }));
  }

  /** Inserts or replaces items in one transaction (an update keeps the item's first position). */
  save(items: readonly Item[]): void {
    this.ws.db.exec(SCHEMA);
    const upsert = this.ws.db
      .prepare(`INSERT INTO runtime_items (item_id, title, categories, brand, description, updated)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(item_id) DO UPDATE SET title = excluded.title, categories = excluded.categories, brand = excluded.brand,
        description = excluded.description, updated = excluded.updated`);
    const now = new Date().toISOString();
    this.ws.db.transaction(() => {
      for (const it of items) upsert.run(it.id, it.title, JSON.stringify(it.categories), it.brand, it.description, now);
    })();
  }
}

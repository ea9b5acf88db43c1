import { ensureUniqueIndex } from '../edge/server-internals';

/**
 * Uniqueness the database enforces, so that concurrent creates cannot make duplicates:
 * Parse's schema API cannot declare unique indexes, so they are created when cloud code loads.
 */
export const UNIQUE_INDEXES: ReadonlyArray<{ className: string; fields: string[] }> = [
  { className: 'Inventory', fields: ['product'] },
  { className: 'Cart', fields: ['user'] },
  { className: 'CheckoutRecord', fields: ['user', 'idempotencyKey'] },
  { className: 'SaleBuyer', fields: ['sale', 'user'] },
  { className: 'CodeRedemption', fields: ['code', 'user'] },
  { className: 'Lock', fields: ['key'] },
];

let ensured: Promise<void> | undefined;

/** Creates the unique indexes once per process; later calls wait for the same work. */
export function ensureUniqueIndexes(): Promise<void> {
  ensured ??= (async () => {
    const missing: string[] = [];
    for (const { className, fields } of UNIQUE_INDEXES) {
      if (!(await ensureUniqueIndex(className, fields))) missing.push(className);
    }
    if (missing.length > 0) {
      console.warn(`Classes ${missing.join(', ')} do not exist yet, so their unique indexes were not created: apply schema/ and restart.`);
    }
  })();
  return ensured;
}

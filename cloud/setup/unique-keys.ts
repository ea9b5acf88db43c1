/**
 * Uniqueness the database enforces, so that concurrent creates cannot make duplicates. Parse's
 * schema API cannot declare unique indexes, so they are created when cloud code loads
 * (unique-indexes.ts); the database door also uses this list to refuse an update that could match
 * more than one row.
 */
export const UNIQUE_INDEXES: ReadonlyArray<{ className: string; fields: string[] }> = [
  { className: 'Inventory', fields: ['product'] },
  { className: 'Cart', fields: ['user'] },
  { className: 'CheckoutRecord', fields: ['user', 'idempotencyKey'] },
  { className: 'SaleBuyer', fields: ['sale', 'user'] },
  { className: 'CodeRedemption', fields: ['code', 'user'] },
  { className: 'Lock', fields: ['key'] },
];

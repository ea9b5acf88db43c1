/**
 * Server bookkeeping no client may read or write: the recovery holds on every counter row and a
 * checkout record's request fingerprint and key. Protected fields in schema/ hide them from REST,
 * GraphQL and Live Query reads; the save checks refuse them in any save without the master key; the
 * GraphQL class config leaves them out of the generated types.
 */
export const INTERNAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Inventory: ['holds'],
  FlashSale: ['holds'],
  Coupon: ['holds'],
  DiscountCode: ['holds'],
  SaleBuyer: ['holds'],
  CodeRedemption: ['holds'],
  CheckoutRecord: ['idempotencyKey', 'request', 'effects'],
};

/** String fields under indexes Parse Server creates itself (its own classes). */
export const PARSE_INDEXED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  _User: ['username', 'email'],
  _Role: ['name'],
  _Session: ['sessionToken'],
  _Installation: ['installationId', 'deviceToken'],
};

/**
 * Every class defined in schema/ (test/unit/schema-classes.test.ts keeps this list equal to the
 * files). Cloud code cannot read schema/ where it runs on another host, so the list is written out.
 */
export const SCHEMA_CLASSES = [
  '_Installation',
  '_Role',
  '_Session',
  '_User',
  'Cart',
  'CheckoutRecord',
  'CodeRedemption',
  'Coupon',
  'DiscountCode',
  'FlashSale',
  'Inventory',
  'Lock',
  'Order',
  'ProcessLease',
  'Product',
  'SaleBuyer',
  'Transaction',
] as const;

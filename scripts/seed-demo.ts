/**
 * The demo catalogue loaded by `npm start` on an empty development database, so an app has
 * something to show at once. Never in production (parse-config refuses), never twice (a master-key
 * only marker in Parse Config remembers it was loaded, even if the products are deleted later).
 */
const MARKER = 'demoCatalogueLoadedAt';

const PRODUCTS: Array<{ name: string; price: number; stock: number; description: string }> = [
  { name: 'Pixel 9', price: 799, stock: 100, description: 'Flagship phone, 128 GB.' },
  { name: 'Galaxy S25', price: 849.99, stock: 80, description: 'Flagship phone, 256 GB.' },
  { name: 'Noise-cancelling headphones', price: 249.5, stock: 60, description: 'Over-ear, 30 h battery.' },
  { name: 'Wireless earbuds', price: 129, stock: 150, description: 'With charging case.' },
  { name: 'Smartwatch', price: 199.99, stock: 70, description: 'Heart rate, GPS, 5 ATM.' },
  { name: 'USB-C charger 65 W', price: 39.9, stock: 300, description: 'GaN, two ports.' },
  { name: 'Phone case', price: 19.99, stock: 500, description: 'Shock-absorbing, clear.' },
  { name: 'Power bank 20,000 mAh', price: 49, stock: 120, description: 'Fast charging.' },
  { name: 'Bluetooth speaker', price: 89.95, stock: 90, description: 'Waterproof, 12 h.' },
  { name: 'Tablet 11"', price: 429, stock: 40, description: '128 GB, Wi-Fi.' },
];

const HOUR = 3_600_000;

/** Loads the demo catalogue once; returns whether it loaded it now. */
export async function seedDemoCatalogue(now = new Date()): Promise<boolean> {
  const config = await Parse.Config.get({ useMasterKey: true });
  if (config.get(MARKER)) return false;
  if ((await new Parse.Query('Product').limit(1).find({ useMasterKey: true })).length > 0) return false;

  const products: Parse.Object[] = [];
  for (const { name, price, stock, description } of PRODUCTS) {
    const product = await new Parse.Object('Product').save({ name, price, description }, { useMasterKey: true });
    await Parse.Cloud.run('restock', { productId: product.id, quantity: stock }, { useMasterKey: true });
    products.push(product);
  }

  const at = (hoursFromNow: number) => new Date(now.getTime() + hoursFromNow * HOUR);
  await new Parse.Object('FlashSale').save(
    { product: products[0], discount: 20, startTime: at(-1), endTime: at(72), quantityLimit: 50, perUserLimit: 2, soldCount: 0 },
    { useMasterKey: true },
  );
  await new Parse.Object('FlashSale').save(
    { product: products[2], discountPrice: 179, startTime: at(24), endTime: at(30), quantityLimit: 30, perUserLimit: 1, soldCount: 0 },
    { useMasterKey: true },
  );
  await new Parse.Object('Coupon').save(
    { code: 'WELCOME5', discount: 5, minSubtotal: 20, validFrom: at(-1), validUntil: at(24 * 365), usageLimit: 1000, perUserLimit: 1, usedCount: 0, active: true },
    { useMasterKey: true },
  );
  await new Parse.Object('DiscountCode').save(
    { code: 'SAVE10', percentage: 10, validUntil: at(24 * 365), usageLimit: 500, perUserLimit: 1, usedCount: 0, active: true },
    { useMasterKey: true },
  );
  await Parse.Config.save({ [MARKER]: now.toISOString() }, { [MARKER]: true });
  return true;
}

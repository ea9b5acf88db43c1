import { z } from 'zod';
import { requireAdmin } from '../edge/access';
import { Code, fail } from '../edge/errors';
import { parseParams } from '../edge/params';
import { addStock } from '../invariants/stock';

const objectId = z.string({ message: 'must be an object id' }).regex(/^[A-Za-z0-9]{1,32}$/, 'must be an object id');

const Restock = z
  .object({
    productId: objectId,
    quantity: z
      .number({ message: 'must be a whole number from 1 to 1,000,000' })
      .int('must be a whole number from 1 to 1,000,000')
      .min(1, 'must be a whole number from 1 to 1,000,000')
      .max(1_000_000, 'must be a whole number from 1 to 1,000,000'),
  })
  .strict();

Parse.Cloud.define('restock', async (req) => {
  await requireAdmin(req);
  const { productId, quantity } = parseParams(Restock, req.params);
  const product = await new Parse.Query('Product').get(productId, { useMasterKey: true }).catch(() => null);
  if (!product) fail(Code.NotFound, `No product with id ${productId}`);
  return { stock: await addStock(productId, quantity) };
});

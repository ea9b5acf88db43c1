import { z } from 'zod';
import { requireAdmin } from '../edge/access';
import { Code, fail } from '../edge/errors';
import { parseParams } from '../edge/params';
import { objectId, wholeNumber } from '../edge/schemas';
import { addStock } from '../invariants/stock';
import { defineFunction } from '../edge/report';

const Restock = z.object({ productId: objectId, quantity: wholeNumber(1, 1_000_000) }).strict();

defineFunction('restock', async (req) => {
  await requireAdmin(req);
  const { productId, quantity } = parseParams(Restock, req.params);
  const product = await new Parse.Query('Product').get(productId, { useMasterKey: true }).catch(() => null);
  if (!product) fail(Code.NotFound, `No product with id ${productId}`);
  return { stock: await addStock(productId, quantity) };
});

import { requireAdmin } from '../edge/access';
import { Code, fail } from '../edge/errors';
import { parseParams } from '../edge/params';
import { addStock } from '../invariants/stock';
import { defineFunction } from '../edge/report';
import { Restock } from './params';

defineFunction('restock', async (req) => {
  await requireAdmin(req);
  const { productId, quantity } = parseParams(Restock, req.params);
  const product = await new Parse.Query('Product').get(productId, { useMasterKey: true }).catch(() => null);
  if (!product) fail(Code.NotFound, `No product with id ${productId}`);
  return { stock: await addStock(productId, quantity) };
});

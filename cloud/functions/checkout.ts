import { checkout } from '../checkout';
import { requireUser } from '../edge/access';
import { parseParams } from '../edge/params';
import { defineFunction } from '../edge/report';
import { Checkout } from './params';

defineFunction('checkout', async (req) => {
  const user = requireUser(req);
  const params = parseParams(Checkout, req.params);
  return checkout(user, { ...params, expectedTotal: params.expectedTotal as number | undefined });
});

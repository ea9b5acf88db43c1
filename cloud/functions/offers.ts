import { requireUser } from '../edge/access';
import { parseParams } from '../edge/params';
import { defineFunction } from '../edge/report';
import { NoParams } from './params';

// Personal offers are codes whose `users` lists the caller (SPEC section 4). Coupon and DiscountCode
// have no `users` field in schema/ yet, so no code is meant for one user only and the list is empty;
// the function exists so that apps (and the typed GraphQL query) can rely on its shape already.
defineFunction('myOffers', async (req) => {
  requireUser(req);
  parseParams(NoParams, req.params);
  return { serverTime: new Date().toISOString(), offers: [] };
});

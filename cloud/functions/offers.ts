import { personalOffer } from '../domain/codes';
import { requireUser } from '../edge/access';
import { parseParams } from '../edge/params';
import { defineFunction } from '../edge/report';
import { findOffersFor } from '../invariants/code-uses';
import { NoParams } from './params';

// Personal offers are codes whose `users` lists the caller (SPEC section 4): the ones it can use now,
// soonest to expire first, so an app can show what to use before it is gone.
defineFunction('myOffers', async (req) => {
  const user = requireUser(req);
  parseParams(NoParams, req.params);
  const now = new Date();
  const offers = (await findOffersFor(user.id!))
    .map(({ terms, usedByUser }) => personalOffer(terms, usedByUser, now))
    .filter((offer) => offer !== null)
    .sort((a, b) => (a.validUntil ?? '\uffff').localeCompare(b.validUntil ?? '\uffff') || a.code.localeCompare(b.code));
  return { serverTime: now.toISOString(), offers };
});

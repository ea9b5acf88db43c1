/**
 * The only writer of Coupon/DiscountCode.usedCount and CodeRedemption.uses (one row per code and
 * user). A use is claimed by conditional atomic writes, so usageLimit and perUserLimit hold under
 * any concurrency; a use is given back when the checkout that took it is undone or cancelled.
 */
import { type CodeTerms, normaliseCode } from '../domain/codes';
import { toCents } from '../domain/money';
import { Code, fail, isParseError } from '../edge/errors';
import { addHold, holdOf, holding, removeHold } from '../edge/holds';
import { type BatchPart, findRows, insertOne, newRow, updateOne } from '../edge/db';
import { dateOf, dateValue, pointerTo, type Row } from '../edge/rows';

function toCodeTerms(kind: CodeTerms['kind'], row: Row): CodeTerms {
  return {
    id: row.objectId,
    kind,
    code: row.code,
    amountCents: kind === 'Coupon' ? toCents(row.discount) : null,
    percent: kind === 'DiscountCode' ? row.percentage : null,
    productIds: kind === 'DiscountCode' && Array.isArray(row.products) && row.products.length > 0 ? row.products.map((p: Row) => p.objectId) : null,
    minSubtotalCents: toCents(row.minSubtotal ?? 0) ?? 0,
    validFrom: dateOf(row.validFrom) ?? null,
    validUntil: dateOf(row.validUntil) ?? null,
    usageLimit: row.usageLimit ?? null,
    perUserLimit: row.perUserLimit ?? 1,
    usedCount: row.usedCount ?? 0,
    active: row.active !== false,
    userIds: Array.isArray(row.users) ? row.users.map((u: Row) => u.objectId) : null,
  };
}

/** The coupon or discount code with this code (any case, any surrounding spaces), or null. Two queries. */
export async function findCode(raw: string): Promise<CodeTerms | null> {
  const code = normaliseCode(raw);
  const [coupon, discountCode] = await Promise.all([
    findRows('Coupon', { code }, { limit: 1 }),
    findRows('DiscountCode', { code }, { limit: 1 }),
  ]);
  if (coupon[0]) return toCodeTerms('Coupon', coupon[0]);
  if (discountCode[0]) return toCodeTerms('DiscountCode', discountCode[0]);
  return null;
}

/** How many times the user has used the code. One query. */
export async function usesBy(code: string, userId: string): Promise<number> {
  const [row] = await findRows('CodeRedemption', { code, user: pointerTo('_User', userId) }, { limit: 1 });
  return row?.uses ?? 0;
}

const OFFER_PAGE = 100;

/**
 * The active personal offers whose `users` holds this user, coupons then discount codes, read a page
 * of 100 at a time (objectId order), with the user's uses of each page's codes: two queries a page.
 */
export async function findOffersFor(userId: string): Promise<Array<{ terms: CodeTerms; usedByUser: number }>> {
  const offers: Array<{ terms: CodeTerms; usedByUser: number }> = [];
  for (const kind of ['Coupon', 'DiscountCode'] as const) {
    let after: string | null = null;
    for (;;) {
      const where: Record<string, unknown> = { users: pointerTo('_User', userId), active: true };
      if (after) where.objectId = { $gt: after };
      const rows = await findRows(kind, where, { limit: OFFER_PAGE, sort: { objectId: 1 } });
      if (rows.length === 0) break;
      const redemptions = await findRows('CodeRedemption', { code: { $in: rows.map((row) => row.code) }, user: pointerTo('_User', userId) });
      const used = new Map(redemptions.map((row) => [row.code as string, (row.uses as number) ?? 0]));
      for (const row of rows) offers.push({ terms: toCodeTerms(kind, row), usedByUser: used.get(row.code) ?? 0 });
      if (rows.length < OFFER_PAGE) break;
      after = rows[rows.length - 1].objectId;
    }
  }
  return offers;
}

const usedUp = (terms: CodeTerms, mine: boolean) =>
  fail(
    Code.CodeUsedUp,
    mine
      ? `You have already used code ${terms.code} ${terms.perUserLimit === 1 ? 'once, the most it allows' : `${terms.perUserLimit} times, the most it allows`}.`
      : `Code ${terms.code} has been used as often as it allows.`,
  );

/**
 * Claims one use of the code for the user: the user's count first (within perUserLimit), then the
 * code's usedCount (within usageLimit, and only while the code is active and not expired at `now`).
 * Refuses with 4012 and changes nothing when either limit is reached.
 */
export async function redeemCode(terms: CodeTerms, userId: string, now: Date, checkoutId: string): Promise<void> {
  const mine = redemptionClaim(terms, userId);
  let claimedMine = false;
  try {
    await insertOne('CodeRedemption', { ...mine.row, holds: [holdOf(checkoutId, 1)] });
    claimedMine = true;
  } catch (error) {
    if (!isParseError(error, Parse.Error.DUPLICATE_VALUE)) throw error;
  }
  if (!claimedMine) {
    claimedMine = (await updateOne('CodeRedemption', { ...mine.key, ...mine.within }, { ...mine.raise, holds: addHold(checkoutId, 1) })) !== null;
  }
  if (!claimedMine) usedUp(terms, true);

  const claimed = await updateOne(terms.kind, useCondition(terms, now), { ...USE_CHANGE, holds: addHold(checkoutId, 1) });
  if (!claimed) {
    await releaseRedemption(terms.code, userId, checkoutId);
    usedUp(terms, false);
  }
}

/** The user's CodeRedemption row as first inserted, and the condition and change that raise an existing one. */
function redemptionClaim(terms: CodeTerms, userId: string) {
  const key = { code: terms.code, user: pointerTo('_User', userId) };
  return { key, row: { ...key, uses: 1, ACL: {} }, within: { uses: { $lte: terms.perUserLimit - 1 } }, raise: { uses: { __op: 'Increment', amount: 1 } } };
}

/** The code is active, not expired at `now`, and below its usageLimit. */
function useCondition(terms: CodeTerms, now: Date): Record<string, unknown> {
  const where: Record<string, unknown> = { objectId: terms.id, active: true };
  if (terms.usageLimit !== null) where.usedCount = { $lte: terms.usageLimit - 1 };
  if (terms.validUntil) where.validUntil = { $gt: dateValue(now) };
  return where;
}

const USE_CHANGE = { usedCount: { __op: 'Increment', amount: 1 } };

/**
 * redeemCode as parts of an all-or-nothing batch (checkout-claim.ts): the user's use within
 * perUserLimit and the code's within usageLimit, with the same conditions and without holds,
 * since the batch lands whole or not at all.
 */
export function codeUseParts(terms: CodeTerms, userId: string, now: Date): BatchPart[] {
  const mine = redemptionClaim(terms, userId);
  return [
    { write: { kind: 'upsert', className: 'CodeRedemption', row: newRow(mine.row), conflict: ['code', 'user'], update: mine.raise, where: mine.within } },
    { write: { kind: 'update', className: terms.kind, where: useCondition(terms, now), update: USE_CHANGE } },
  ];
}

/**
 * Gives one use back. With `checkoutId` (an undone or recovered checkout) only a use that checkout
 * still holds comes back, at most once; without it (every order of a checkout cancelled, made once
 * by a flag on its record) unconditionally.
 */
export async function releaseCodeUse(terms: Pick<CodeTerms, 'id' | 'kind' | 'code'>, userId: string, checkoutId?: string): Promise<void> {
  const where: Record<string, unknown> = { objectId: terms.id };
  const update: Record<string, unknown> = { usedCount: { __op: 'Increment', amount: -1 } };
  if (checkoutId) {
    where.holds = holding(checkoutId, 1);
    update.holds = removeHold(checkoutId, 1);
  }
  await updateOne(terms.kind, where, update);
  await releaseRedemption(terms.code, userId, checkoutId);
}

/** Takes one use off the user's count: the one a checkout holds (at most once), or unconditionally. */
export async function releaseRedemption(code: string, userId: string, checkoutId?: string): Promise<void> {
  const where: Record<string, unknown> = { code, user: pointerTo('_User', userId) };
  const update: Record<string, unknown> = { uses: { __op: 'Increment', amount: -1 } };
  if (checkoutId) {
    where.holds = holding(checkoutId, 1);
    update.holds = removeHold(checkoutId, 1);
  }
  await updateOne('CodeRedemption', where, update);
}

/** Drops a completed checkout's hold on the code. */
export async function releaseCodeHold(terms: Pick<CodeTerms, 'id' | 'kind'>, checkoutId: string): Promise<void> {
  await updateOne(terms.kind, { objectId: terms.id, holds: holding(checkoutId, 1) }, { holds: removeHold(checkoutId, 1) });
}

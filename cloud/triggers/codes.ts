/**
 * Coupon and DiscountCode rules. Codes are stored normalised (trimmed, upper case) and are unique
 * across both classes: saving a code takes a lease on it, then looks for it in both classes, so two
 * admins creating the same code at the same moment cannot both succeed.
 */
import { checkCouponFields, checkDiscountCodeFields } from '../domain/code-rules';
import { normaliseCode } from '../domain/codes';
import { adminOnlyACL } from '../edge/access';
import { failField } from '../edge/errors';
import { checkUnderSaveLease, releaseSaveLease } from '../edge/lock';
import { afterSave, beforeSave } from '../edge/report';
import { codeTaken, missingProduct, missingUser } from '../edge/records';

const CODE_CLASSES = ['Coupon', 'DiscountCode'] as const;
const FIELDS = ['code', 'discount', 'percentage', 'minSubtotal', 'validFrom', 'validUntil', 'usageLimit', 'perUserLimit', 'active', 'products', 'users'];

async function checkProductsExist(products: unknown): Promise<void> {
  if (!Array.isArray(products) || products.length === 0) return;
  const ids = products.map((p: { className?: string; id?: string }) => (p?.className === 'Product' ? p.id : undefined));
  if (ids.some((id) => !id)) failField('products', 'must be a list of Product pointers');
  const missing = await missingProduct(ids as string[]);
  if (missing) failField('products', `no product with id ${missing}`);
}

/** A personal offer's users must exist (their pointers' form is checked in domain/code-rules.ts). */
async function checkUsersExist(users: unknown): Promise<void> {
  if (!Array.isArray(users) || users.length === 0) return;
  const missing = await missingUser(users.map((user: { id: string }) => user.id));
  if (missing) failField('users', `no user with id ${missing}`);
}

for (const className of CODE_CLASSES) {
  beforeSave(className, async (req) => {
    const row = req.object;
    const isNew = !req.original;
    if (isNew) {
      if (![undefined, 0].includes(row.get('usedCount'))) failField('usedCount', 'is maintained by the server');
      row.set('usedCount', 0);
      if (row.get('perUserLimit') === undefined) row.set('perUserLimit', 1);
      if (row.get('active') === undefined) row.set('active', true);
      row.setACL(adminOnlyACL()); // no client reads a code; a user learns of one only by applying it
    } else if (row.dirtyKeys().includes('usedCount')) {
      failField('usedCount', 'is maintained by the server');
    }
    if (typeof row.get('code') === 'string') row.set('code', normaliseCode(row.get('code')));
    const fields = Object.fromEntries(FIELDS.map((field) => [field, row.get(field)]));
    const problem = className === 'Coupon' ? checkCouponFields(fields) : checkDiscountCodeFields(fields);
    if (problem) failField(problem.field, problem.rule);
    if (className === 'DiscountCode') await checkProductsExist(row.get('products'));
    if (row.dirtyKeys().includes('users')) await checkUsersExist(row.get('users'));

    if (!isNew && !row.dirtyKeys().includes('code')) return;
    const code: string = row.get('code');
    await checkUnderSaveLease(req.context, `code:${code}`, `Another save of code ${code} is in progress; try again.`, async () => {
      for (const other of CODE_CLASSES) {
        if (await codeTaken(other, code, other === className ? row.id : undefined)) {
          failField('code', `${code} already exists (as a ${other}); codes are unique across coupons and discount codes`);
        }
      }
    });
  });

  afterSave(className, (req) => releaseSaveLease(req.context));
}

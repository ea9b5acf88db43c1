/**
 * The only writer of Cart rows: one per user (unique index), created on first use, owner-only ACL,
 * and changed by a versioned conditional write so two taps at once never lose a line.
 */
import type { CartLine } from '../domain/cart';
import { Code, fail, isParseError } from '../edge/errors';
import { updateOne } from '../edge/db';

export interface StoredCart {
  id: string;
  lines: CartLine[];
  code: string | null;
  version: number;
}

const master = { useMasterKey: true } as const;

function toStored(row: Parse.Object): StoredCart {
  return { id: row.id!, lines: row.get('items') ?? [], code: row.get('code') ?? null, version: row.get('version') ?? 0 };
}

async function findCart(user: Parse.User): Promise<Parse.Object | undefined> {
  return new Parse.Query('Cart').equalTo('user', user).first(master);
}

/** The user's cart, created empty on first use. */
export async function loadCart(user: Parse.User): Promise<StoredCart> {
  const existing = await findCart(user);
  if (existing) return toStored(existing);
  const cart = new Parse.Object('Cart');
  const acl = new Parse.ACL();
  acl.setReadAccess(user.id!, true);
  cart.setACL(acl);
  try {
    await cart.save({ user, items: [], version: 0 }, master);
    return toStored(cart);
  } catch (error) {
    if (!isParseError(error, Parse.Error.DUPLICATE_VALUE)) throw error;
    return toStored((await findCart(user))!); // created by a concurrent request
  }
}

/**
 * Applies `change` to the current cart and saves it if nobody changed the cart meanwhile; on a
 * conflict it reloads and applies `change` again.
 */
export async function changeCart(
  user: Parse.User,
  change: (cart: StoredCart) => { lines: CartLine[]; code: string | null },
): Promise<StoredCart> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const cart = await loadCart(user);
    const next = change(cart);
    const row = await updateOne(
      'Cart',
      { objectId: cart.id, version: cart.version },
      {
        items: next.lines,
        code: next.code === null ? { __op: 'Delete' } : next.code,
        version: { __op: 'Increment', amount: 1 },
      },
    );
    if (row) return { id: cart.id, ...next, version: cart.version + 1 };
  }
  fail(Code.InvalidInput, 'The cart is being changed by another request; try again.');
}

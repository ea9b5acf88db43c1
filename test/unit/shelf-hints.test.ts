/**
 * The shelf a checkout tries its one write on without a read (cloud/edge/records.ts shelfFromHints
 * and shelfWhenKnown), from what the process knows: definitions cached, counters seen, and what its
 * own checkouts are trying to take right now.
 */
import { describe, expect, test } from 'vitest';
import { demandHints, soldCountHints, stockHints } from '../../cloud/edge/counter-hints';
import { openSaleDefinitions, productDefinitions, type SaleDefinition } from '../../cloud/edge/definitions';
import { shelfFromHints, shelfWhenKnown } from '../../cloud/edge/records';

let next = 0;
/** A product this process knows: its definition, no sale or `sale`, and `stock` seen. */
function knownProduct(stock: number, sale?: Partial<SaleDefinition> & { soldCount: number }) {
  const id = `hinted${next++}`;
  productDefinitions.store([[id, { id, name: id, description: null, imageUrl: null, listCents: 1000, active: true }]], productDefinitions.loading());
  const sales: SaleDefinition[] = [];
  if (sale) {
    const { soldCount, ...terms } = sale;
    const definition: SaleDefinition = {
      id: `${id}-sale`, productId: id, startsAt: new Date(Date.now() - 60_000), endsAt: new Date(Date.now() + 3_600_000),
      discountPriceCents: null, discountPercent: 20, quantityLimit: null, perUserLimit: null, ...terms,
    };
    sales.push(definition);
    soldCountHints.seen(definition.id, soldCount);
  }
  openSaleDefinitions.store([[id, sales]], openSaleDefinitions.loading());
  stockHints.seen(id, stock);
  return { id, saleKey: `FlashSale:${id}-sale`, stockKey: `Inventory:${id}` };
}

/** Runs `checkouts` in flight at `key` until `land` is called; `after` is what they leave seen. */
function inFlight(key: string, units: number) {
  let land!: () => void;
  const done = demandHints.during([[key, units]], () => new Promise<void>((resolve) => (land = resolve)));
  return { land: async (after?: () => void) => { after?.(); land(); await done; } };
}

describe('shelfFromHints', () => {
  test('a product it knows is known, with the units its checkout will be trying', () => {
    const { id, stockKey } = knownProduct(5);
    const hint = shelfFromHints([{ productId: id, quantity: 2 }], new Date());
    expect(hint).toMatchObject({ kind: 'known' });
    expect(hint.kind === 'known' && hint.shelf.demand).toEqual([[stockKey, 2]]);
  });

  test('unknown without the definition or a counter; a read when the stock seen cannot cover the line', () => {
    expect(shelfFromHints([{ productId: 'never-seen', quantity: 1 }], new Date())).toEqual({ kind: 'unknown' });
    const { id } = knownProduct(1);
    expect(shelfFromHints([{ productId: id, quantity: 2 }], new Date())).toEqual({ kind: 'read' });
  });

  test('busy while what this process is trying to take leaves too little for the line', async () => {
    const { id, stockKey } = knownProduct(2);
    const flying = inFlight(stockKey, 2);
    expect(shelfFromHints([{ productId: id, quantity: 1 }], new Date())).toEqual({ kind: 'busy', key: stockKey });
    await flying.land();
  });

  test('a sale line is tried at the sale price while the quota, less the claims in flight, covers it; else priced as used up', async () => {
    const { id, saleKey } = knownProduct(100, { quantityLimit: 10, soldCount: 8 });
    const atSale = shelfFromHints([{ productId: id, quantity: 1 }], new Date());
    expect(atSale.kind === 'known' && atSale.shelf.demand.map(([key]) => key)).toContain(saleKey);
    const flying = inFlight(saleKey, 2); // they take the last two units, if they land
    const contested = shelfFromHints([{ productId: id, quantity: 1 }], new Date());
    expect(contested.kind === 'known' && contested.shelf.demand.map(([key]) => key)).not.toContain(saleKey);
    expect(contested.kind === 'known' && contested.shelf.sales.get(id)?.[0].soldCount).toBe(10); // the list price, checked by the write
    await flying.land();
  });
});

describe('shelfWhenKnown', () => {
  test('waits for the checkouts in flight at the last units: a read when they landed, the shelf when they did not', async () => {
    const { id, stockKey } = knownProduct(1);
    const line = [{ productId: id, quantity: 1 }];
    const landing = inFlight(stockKey, 1);
    const waiting = shelfWhenKnown(line);
    await landing.land(() => stockHints.seen(id, 0)); // it took the last unit
    expect(await waiting).toBeNull();

    stockHints.seen(id, 1);
    const failing = inFlight(stockKey, 1);
    const waitingAgain = shelfWhenKnown(line);
    await failing.land(); // refused: the unit is still there
    expect(await waitingAgain).toMatchObject({ shelf: { stocks: new Map([[id, 1]]) } });
  });
});

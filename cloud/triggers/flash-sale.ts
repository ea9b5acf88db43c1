import { checkFlashSaleFields } from '../domain/flash-sale-rules';
import { toCents } from '../domain/money';
import { catalogueACL } from '../edge/access';
import { failField } from '../edge/errors';
import { checkUnderSaveLease, releaseSaveLease } from '../edge/lock';
import { definitionChanged } from '../edge/definitions';
import { afterDelete, afterSave, beforeSave } from '../edge/report';

async function loadProduct(sale: Parse.Object): Promise<Parse.Object> {
  const pointer = sale.get('product');
  if (!pointer || pointer.className !== 'Product' || !pointer.id) failField('product', 'is required (a Product pointer)');
  const product = await new Parse.Query('Product').get(pointer.id, { useMasterKey: true }).catch(() => null);
  if (!product) failField('product', `no product with id ${pointer.id}`);
  return product;
}

/** A sale of the same product whose window shares an instant with this one, if any. */
async function overlappingSale(sale: Parse.Object, productId: string): Promise<Parse.Object | undefined> {
  const query = new Parse.Query('FlashSale')
    .equalTo('product', Parse.Object.extend('Product').createWithoutData(productId))
    .lessThan('startTime', sale.get('endTime'))
    .greaterThan('endTime', sale.get('startTime'));
  if (sale.id) query.notEqualTo('objectId', sale.id);
  return query.first({ useMasterKey: true });
}

// Rules apply to every writer, the master key included; soldCount moves only through the sale
// quota module's atomic writes, which skip this trigger. `version` grows by one with every change,
// as Inventory's does, so subscribers can order the sale's events.
beforeSave('FlashSale', async (req) => {
  const sale = req.object;
  const isNew = !req.original;
  const dirty = sale.dirtyKeys();
  if (isNew) {
    for (const field of ['soldCount', 'version']) {
      if (![undefined, 0].includes(sale.get(field))) failField(field, 'is maintained by the server');
    }
    sale.set({ soldCount: 0, version: 0 });
    sale.setACL(catalogueACL());
  } else {
    for (const field of ['soldCount', 'version']) if (dirty.includes(field)) failField(field, 'is maintained by the server');
    // An admin's edit is a change subscribers see: one more version, applied atomically by the update.
    sale.increment('version');
    if (dirty.includes('product')) failField('product', 'cannot be changed; end this sale and create another');
  }

  const product = await loadProduct(sale);
  const problem = checkFlashSaleFields(
    {
      discountPrice: sale.get('discountPrice'),
      discount: sale.get('discount'),
      startTime: sale.get('startTime'),
      endTime: sale.get('endTime'),
      quantityLimit: sale.get('quantityLimit'),
      perUserLimit: sale.get('perUserLimit'),
    },
    toCents(product.get('price')) ?? 0,
  );
  if (problem) failField(problem.field, problem.rule);

  // Two admins saving sales of one product at the same moment must not both pass the overlap
  // check: the lease serialises them until afterSave (or expires if this save never lands).
  await checkUnderSaveLease(req.context, `flash-sale:${product.id}`, 'Another change to this product’s sales is being saved; try again.', async () => {
    const clash = await overlappingSale(sale, product.id!);
    if (clash) {
      failField(
        'startTime',
        `overlaps sale ${clash.id} of this product (${clash.get('startTime').toISOString()} to ${clash.get('endTime').toISOString()}); two sales of one product never overlap`,
      );
    }
  });
});

// Checkouts, carts and the catalogue forget what they cached of sales, in every process.
afterSave('FlashSale', async (req) => {
  definitionChanged({ className: 'FlashSale' });
  await releaseSaveLease(req.context);
});

afterDelete('FlashSale', () => definitionChanged({ className: 'FlashSale' }));

import { checkProductFields, PRODUCT_FIELDS } from '../domain/product-rules';
import { catalogueACL } from '../edge/access';
import { failField } from '../edge/errors';
import { createInventory } from '../invariants/stock';
import { definitionChanged } from '../edge/definitions';
import { afterDelete, afterSave, beforeSave } from '../edge/report';

// Validation applies to master-key saves too: bad data is bad whoever writes it.
beforeSave('Product', (req) => {
  const product = req.object;
  const isNew = !req.original;
  const changed = isNew ? PRODUCT_FIELDS : req.object.dirtyKeys().filter((key) => PRODUCT_FIELDS.includes(key));
  const problem = checkProductFields(Object.fromEntries(changed.map((key) => [key, product.get(key)])));
  if (problem) failField(problem.field, problem.rule);
  if (typeof product.get('name') === 'string') product.set('name', product.get('name').trim());
  if (isNew) {
    if (product.get('active') === undefined) product.set('active', true);
    product.setACL(catalogueACL());
  }
});

// Every product gets exactly one Inventory row, created with it; checkouts and carts forget what
// they cached of it, in every process.
afterSave('Product', async (req) => {
  definitionChanged({ className: 'Product', productId: req.object.id! });
  if (!req.original) await createInventory(req.object.id!);
});

afterDelete('Product', (req) => definitionChanged({ className: 'Product', productId: req.object.id! }));

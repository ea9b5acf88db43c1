import { catalogueACL } from '../edge/access';
import { failField } from '../edge/errors';
import { beforeSave } from '../edge/report';

const SERVER_FIELDS = ['product', 'stock', 'received', 'version', 'holds'];

// Rows are created by the Product trigger (master key); after that, stock moves only through the
// stock module's atomic writes, which skip this trigger. An absolute overwrite would lose
// concurrent sales, so it is refused for everyone, admins and the master key included.
beforeSave('Inventory', (req) => {
  const row = req.object;
  if (!req.original) {
    if (!req.master) failField('Inventory', 'rows are created automatically with their product');
    const stock = row.get('stock') ?? 0;
    if (!Number.isInteger(stock) || stock < 0) failField('stock', 'must be a whole number of at least 0');
    row.set({ stock, received: stock, version: 0 });
    row.setACL(catalogueACL());
    return;
  }
  const touched = row.dirtyKeys().filter((key) => SERVER_FIELDS.includes(key));
  const counted = touched.find((key) => key !== 'product');
  if (counted) {
    failField(counted, 'cannot be set directly; call the restock function to add units (stock changes only atomically)');
  }
  if (touched.includes('product')) failField('product', 'cannot be changed after the row is created');
});

import { expirePendingOrders, startExpirySweep } from './expire-pending-orders';
import { reconcileInventory } from './reconcile-inventory';

// Job results are kept as text in _JobStatus.message.
Parse.Cloud.job('expirePendingOrders', async () => JSON.stringify({ cancelled: await expirePendingOrders() }));
Parse.Cloud.job('reconcileInventory', async (req) => JSON.stringify(await reconcileInventory({ fix: req.params?.fix === true })));

startExpirySweep();

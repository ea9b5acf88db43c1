import { expirePendingOrders, startExpirySweep } from './expire-pending-orders';
import { reconcileInventory } from './reconcile-inventory';
import { recoverCheckouts, startRecoverySweep } from './recover-checkouts';

// Job results are kept as text in _JobStatus.message.
Parse.Cloud.job('expirePendingOrders', async () => JSON.stringify({ cancelled: await expirePendingOrders() }));
Parse.Cloud.job('reconcileInventory', async (req) => JSON.stringify(await reconcileInventory({ fix: req.params?.fix === true })));

Parse.Cloud.job('recoverCheckouts', async (req) => {
  const seconds = Number(req.params?.olderThanSeconds ?? 60);
  return JSON.stringify(await recoverCheckouts({ olderThanMs: Math.max(0, seconds) * 1000 }));
});

startExpirySweep();
startRecoverySweep();

// Cloud code entry point, loaded by Parse Server: build/cloud/main.js when built, and on a host such as
// Back4app through the upload folder's main.js (build/back4app/cloud/, see docs/DEPLOY.md).
import { ensureUniqueIndexes } from './setup/unique-indexes';
import './triggers/product';
import './triggers/inventory';
import './triggers/flash-sale';
import './triggers/order';
import './triggers/codes';
import './triggers/find-limits';
import './triggers/user';
import './triggers/validation';
import './functions/time';
import './functions/admin';
import './functions/catalog';
import './functions/cart';
import './functions/checkout';
import './functions/orders';
import './functions/offers';
import './jobs';

// On hosts where we do not control start-up (Back4app), this is where the indexes get made; our own
// server waits for the same promise before it takes traffic.
ensureUniqueIndexes().catch((error) => console.error('Creating unique indexes failed', error));

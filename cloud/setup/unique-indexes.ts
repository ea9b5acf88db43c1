import { ensureUniqueIndex } from '../edge/db';
import { UNIQUE_INDEXES } from './unique-keys';

export { UNIQUE_INDEXES };

/** How often a process whose cloud code loaded before schema/ was applied looks again. */
const RETRY_MS = 5_000;

let ensured: Promise<void> | undefined;

/** Creates the unique indexes of the classes that exist; returns the classes that do not yet. */
async function createExisting(indexes: typeof UNIQUE_INDEXES): Promise<typeof UNIQUE_INDEXES> {
  const missing: Array<(typeof UNIQUE_INDEXES)[number]> = [];
  for (const index of indexes) {
    if (!(await ensureUniqueIndex(index.className, index.fields))) missing.push(index);
  }
  return missing;
}

/**
 * On a host whose schema is pushed after the cloud code loaded (a plain Parse Server, Back4app:
 * `npm run schema:push` against the running app), the classes appear later: look again until
 * every index exists, without keeping the process alive.
 */
function retryLater(missing: typeof UNIQUE_INDEXES): void {
  const timer = setTimeout(async () => {
    try {
      const still = await createExisting(missing);
      if (still.length < missing.length) {
        console.warn(`Created the unique indexes of ${missing.filter((m) => !still.includes(m)).map((m) => m.className).join(', ')}.`);
      }
      if (still.length > 0) retryLater(still);
    } catch (error) {
      console.error('Creating unique indexes failed; trying again', error);
      retryLater(missing);
    }
  }, RETRY_MS);
  timer.unref();
}

/** Creates the unique indexes once per process; later calls wait for the same work. */
export function ensureUniqueIndexes(): Promise<void> {
  ensured ??= (async () => {
    const missing = await createExisting(UNIQUE_INDEXES);
    if (missing.length > 0) {
      console.warn(
        `Classes ${missing.map((m) => m.className).join(', ')} do not exist yet, so their unique indexes were not created: ` +
          `apply schema/ (npm run schema:push); they are created within ${RETRY_MS / 1000} s after.`,
      );
      retryLater(missing);
    }
  })();
  return ensured;
}

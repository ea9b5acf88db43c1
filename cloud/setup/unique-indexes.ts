import { ensureUniqueIndex } from '../edge/db';
import { UNIQUE_INDEXES } from './unique-keys';

export { UNIQUE_INDEXES };

let ensured: Promise<void> | undefined;

/** Creates the unique indexes once per process; later calls wait for the same work. */
export function ensureUniqueIndexes(): Promise<void> {
  ensured ??= (async () => {
    const missing: string[] = [];
    for (const { className, fields } of UNIQUE_INDEXES) {
      if (!(await ensureUniqueIndex(className, fields))) missing.push(className);
    }
    if (missing.length > 0) {
      console.warn(`Classes ${missing.join(', ')} do not exist yet, so their unique indexes were not created: apply schema/ and restart.`);
    }
  })();
  return ensured;
}

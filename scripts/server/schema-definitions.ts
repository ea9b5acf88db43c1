/**
 * The class definitions of schema/, read from the project folder: for Parse Server's defined schema
 * at start-up, schema:push and the tests. Kept apart from app.ts, so a reader loads no Parse Server.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../parse-config';

/** Every class definition in schema/, applied with Parse Server's defined schema. */
export function loadSchemaDefinitions(): Array<Record<string, unknown> & { className: string }> {
  const dir = path.join(PROJECT_ROOT, 'schema');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
}

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { SCHEMA_CLASSES } from '../../cloud/setup/schema-classes';

test('SCHEMA_CLASSES names every class in schema/ (add a new class there too, so find limits cover it)', () => {
  const dir = path.resolve(__dirname, '..', '..', 'schema');
  const defined = readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')).className as string);
  expect([...SCHEMA_CLASSES].sort()).toEqual(defined.sort());
});

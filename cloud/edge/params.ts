import type { z } from 'zod';
import { failField } from './errors';

/** Validates cloud function params or an object's fields; the first problem becomes 142 naming the field. */
export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  const parsed = schema.safeParse(params ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') failField([...issue.path, issue.keys[0]].join('.'), 'is not a known parameter');
  const field = issue.path.length > 0 ? issue.path.join('.') : 'params';
  failField(field, issue.message);
}

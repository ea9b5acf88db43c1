import { expect, test } from 'vitest';
import { NewestVersions } from '../../cloud/domain/version-order';

test('an older version than the newest admitted is refused; equal, newer and unversioned ones pass, per key', () => {
  const sent = new NewestVersions();
  expect([sent.admit('a', 5), sent.admit('a', 4), sent.admit('a', 5), sent.admit('a', 6), sent.admit('a', 5)]).toEqual([true, false, true, true, false]);
  expect(sent.admit('b', 1)).toBe(true);
  expect(sent.admit('a', undefined)).toBe(true);
  expect(sent.admit('a', '9')).toBe(true); // not a version: always sent, and it does not move the newest
  expect(sent.admit('a', 5)).toBe(false);
});

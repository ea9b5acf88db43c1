import { expect, test } from 'vitest';
import { canMove, isCancellable, ORDER_STATUSES } from '../../cloud/domain/order-status';

const ALLOWED = ['pending>paid', 'pending>cancelled', 'paid>shipped', 'paid>cancelled', 'shipped>delivered'];

test.each(ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const)))('%s -> %s', (from, to) => {
  expect(canMove(from, to)).toBe(ALLOWED.includes(`${from}>${to}`));
});

test('only pending and paid orders can be cancelled', () => {
  expect(ORDER_STATUSES.filter(isCancellable)).toEqual(['pending', 'paid']);
});

/** The order status machine (SPEC section 6): pending -> paid -> shipped -> delivered; pending or paid -> cancelled. */
export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const NEXT: Record<OrderStatus, OrderStatus[]> = {
  pending: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

/** Whether an order may move from one status to another. */
export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT[from]?.includes(to) ?? false;
}

/** Statuses an owner may still cancel from; admins may cancel anything before it ships (the same set). */
export function isCancellable(status: OrderStatus): boolean {
  return canMove(status, 'cancelled');
}

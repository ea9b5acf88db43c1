/**
 * A hold names the checkout behind a counter change ("<checkoutId>:<units>") and is written in the
 * same atomic update as the change, in the row's `holds` list. After a crash, the recovery sweep
 * knows exactly which changes of an unfinished checkout landed, and undoes each once.
 */
export function holdOf(checkoutId: string, quantity: number): string {
  return `${checkoutId}:${quantity}`;
}

export function parseHold(hold: string): { checkoutId: string; quantity: number } {
  const [checkoutId, quantity] = hold.split(':');
  return { checkoutId, quantity: Number(quantity) };
}

/** The update operation that adds a hold. */
export const addHold = (checkoutId: string, quantity: number) => ({ __op: 'Add', objects: [holdOf(checkoutId, quantity)] });
/** The update operation that removes a hold. */
export const removeHold = (checkoutId: string, quantity: number) => ({ __op: 'Remove', objects: [holdOf(checkoutId, quantity)] });
/** The query condition: the row holds this. */
export const holding = (checkoutId: string, quantity: number) => ({ $all: [holdOf(checkoutId, quantity)] });

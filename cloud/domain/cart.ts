/** Cart lines: one per product, quantity 1..99, at most 50 lines (SPEC section 4). Pure. */
import type { FieldProblem } from './product-rules';

export interface CartLine {
  productId: string;
  quantity: number;
}

export const MAX_QUANTITY = 99;
export const MAX_LINES = 50;

/** Lines with duplicates merged (quantities added), in first-seen order. */
export function mergeLines(lines: CartLine[]): CartLine[] {
  const merged = new Map<string, number>();
  for (const { productId, quantity } of lines) merged.set(productId, (merged.get(productId) ?? 0) + quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/** The first rule the lines break, or null. */
export function checkLines(lines: CartLine[]): FieldProblem | null {
  const over = lines.find((line) => line.quantity > MAX_QUANTITY);
  if (over) return { field: 'quantity', rule: `at most ${MAX_QUANTITY} of one product; ${over.quantity} asked for ${over.productId}` };
  if (lines.length > MAX_LINES) return { field: 'items', rule: `at most ${MAX_LINES} different products in one cart` };
  return null;
}

/** Adds `quantity` of a product (merged with an existing line). */
export function addLine(lines: CartLine[], productId: string, quantity: number): CartLine[] {
  return mergeLines([...lines, { productId, quantity }]);
}

/** Sets a product's quantity; 0 removes the line. */
export function setLine(lines: CartLine[], productId: string, quantity: number): CartLine[] {
  const kept = lines.filter((line) => line.productId !== productId);
  if (quantity === 0) return kept;
  const index = lines.findIndex((line) => line.productId === productId);
  const updated = { productId, quantity };
  return index === -1 ? [...kept, updated] : [...kept.slice(0, index), updated, ...kept.slice(index)];
}

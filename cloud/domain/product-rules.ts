/** What a Product may hold (SPEC sections 3 and 4), as pure checks that name the field and the rule. */
import { checkMoney, describeMoneyProblem } from './money';

export interface FieldProblem {
  field: string;
  rule: string;
}

export const NAME_MAX = 200;
export const DESCRIPTION_MAX = 5000;
export const IMAGE_URL_MAX = 2048;

type Check = (value: unknown) => string | null;

/** A safe link to an image: http or https only, so no javascript: or data: URL reaches an app. */
export function checkImageUrl(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a text URL';
  if (value.length > IMAGE_URL_MAX) return `must be at most ${IMAGE_URL_MAX} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http or https URL';
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? null : 'must be an http or https URL';
}

function text(min: number, max: number): Check {
  return (value) => {
    if (typeof value !== 'string') return 'must be text';
    const length = value.trim().length;
    if (length < min) return 'must not be empty';
    return length > max ? `must be at most ${max} characters` : null;
  };
}

const productChecks: Record<string, { required: boolean; check: Check }> = {
  name: { required: true, check: text(1, NAME_MAX) },
  price: {
    required: true,
    check: (value) => {
      const problem = checkMoney(value, { allowZero: false });
      return problem ? describeMoneyProblem(problem) : null;
    },
  },
  description: { required: false, check: text(0, DESCRIPTION_MAX) },
  imageUrl: { required: false, check: checkImageUrl },
  active: { required: false, check: (value) => (typeof value === 'boolean' ? null : 'must be true or false') },
};

/**
 * The first problem among `fields` (only the keys given are checked, so an update checks what it
 * changes); a required field that is given as undefined or null is missing.
 */
export function checkProductFields(fields: Record<string, unknown>): FieldProblem | null {
  for (const [field, value] of Object.entries(fields)) {
    const rule = productChecks[field];
    if (!rule) continue;
    if (value === undefined || value === null) {
      if (rule.required) return { field, rule: 'is required' };
      continue;
    }
    const problem = rule.check(value);
    if (problem) return { field, rule: problem };
  }
  return null;
}

export const PRODUCT_FIELDS = Object.keys(productChecks);

import type { CodeRefusal } from '../domain/codes';
import { Code, fail } from './errors';

const codeOf: Record<CodeRefusal, Code> = {
  unknown: Code.CodeInvalid,
  inactive: Code.CodeInvalid,
  not_yet_valid: Code.CodeInvalid,
  expired: Code.CodeExpired,
  used_up: Code.CodeUsedUp,
  used_up_by_you: Code.CodeUsedUp,
  below_min_subtotal: Code.CodeNotApplicable,
  no_eligible_line: Code.CodeNotApplicable,
};

export interface RefusalFacts {
  code: string;
  validFrom?: Date | null;
  validUntil?: Date | null;
  minSubtotal?: number;
  subtotal?: number;
}

const money = (value = 0) => value.toFixed(2);

/** A person-readable sentence for each reason a code does not apply. */
export function describeCodeRefusal(refusal: CodeRefusal, facts: RefusalFacts): string {
  const { code } = facts;
  switch (refusal) {
    case 'unknown':
      return `There is no code ${code}; check its spelling.`;
    case 'inactive':
      return `Code ${code} is not active.`;
    case 'not_yet_valid':
      return `Code ${code} is valid from ${facts.validFrom?.toISOString()}.`;
    case 'expired':
      return `Code ${code} expired at ${facts.validUntil?.toISOString()}.`;
    case 'used_up':
      return `Code ${code} has been used as often as it allows.`;
    case 'used_up_by_you':
      return `You have already used code ${code} as often as it allows.`;
    case 'below_min_subtotal':
      return `Code ${code} needs a subtotal of at least ${money(facts.minSubtotal)}; this one is ${money(facts.subtotal)}.`;
    case 'no_eligible_line':
      return `Code ${code} applies to none of the products you are buying.`;
  }
}

/** Throws the Parse error (4010..4013) for a refusal. */
export function failCode(refusal: CodeRefusal, facts: RefusalFacts): never {
  fail(codeOf[refusal], describeCodeRefusal(refusal, facts));
}

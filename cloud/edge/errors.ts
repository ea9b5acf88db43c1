/** Every error code a client can see (SPEC section 8), and the one way to raise them. */
export const Code = {
  NotFound: 101,
  Forbidden: 119,
  InvalidInput: 142,
  OutOfStock: 4001,
  SaleLimitReached: 4002,
  PriceChanged: 4003,
  CodeInvalid: 4010,
  CodeExpired: 4011,
  CodeUsedUp: 4012,
  CodeNotApplicable: 4013,
  CartEmpty: 4020,
  StatusChangeRefused: 4030,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

/** Throws the Parse error a client sees; the message must say what to do next. */
export function fail(code: Code, message: string): never {
  throw new Parse.Error(code, message);
}

/** 142 for one field: `field: rule`, the form every validation message takes. */
export function failField(field: string, rule: string): never {
  fail(Code.InvalidInput, `${field}: ${rule}`);
}

export function isParseError(error: unknown, code?: number): error is Parse.Error {
  return error instanceof Parse.Error && (code === undefined || error.code === code);
}

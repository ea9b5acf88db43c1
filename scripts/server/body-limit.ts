/**
 * The request body limit: a body over 1 MB answers HTTP 413 with a Parse error `{ code, error }`,
 * on the Parse mount (REST, batch, functions, files) and on /graphql, instead of body-parser's HTML
 * page with a stack trace or Parse's bare `{ error }`.
 */
import express, { type NextFunction, type Request, type Response } from 'express';

export const BODY_LIMIT = '1mb';
const BODY_LIMIT_BYTES = 1024 * 1024;
const OBJECT_TOO_LARGE = 116;
const INVALID_JSON = 107;

/** body-parser's error for a body over its limit. */
export function isTooLarge(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'entity.too.large';
}

export function refuseTooLarge(res: Response): void {
  res.status(413).json({ code: OBJECT_TOO_LARGE, error: 'The request body is larger than 1 MB; send less in one request.' });
}

/**
 * Refuses a body whose Content-Length is over the limit before any of it is read, whatever its
 * type (a file upload too); a chunked body is measured by the parsers as it arrives.
 */
export function declaredLengthLimit() {
  return (req: Request, res: Response, next: NextFunction) => {
    if (Number(req.headers['content-length']) > BODY_LIMIT_BYTES) return refuseTooLarge(res);
    next();
  };
}

/**
 * Parses JSON bodies of /graphql with the limit, in front of Parse's GraphQL route (whose own parser
 * stops at 100 kB and answers HTML): the later parser sees the body parsed and leaves it.
 */
export function graphQLBody() {
  const parseJson = express.json({ limit: BODY_LIMIT });
  return (req: Request, res: Response, next: NextFunction) => {
    parseJson(req, res, (error?: unknown) => {
      if (!error) return next();
      if (isTooLarge(error)) return refuseTooLarge(res);
      res.status(400).json({ code: INVALID_JSON, error: 'The request body is not valid JSON.' });
    });
  };
}

/**
 * Rejects requests that bare Parse Server 9 answers with HTTP 500 (or that took it down): every
 * Parse-encoded value, operation and field type is checked against the class schema before Parse
 * sees it (request-check.ts, cloud/edge/rest-values.ts), so every bad input gets a Parse error
 * (142 `field: rule`) a person can act on.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { BODY_LIMIT, isTooLarge, refuseTooLarge } from './body-limit';
import { checkValue } from '../../cloud/edge/rest-values';
import { checkRequest, unavailableFeature } from './request-check';

const INVALID_JSON = 107;
const INVALID_INPUT = 142;
const COMMAND_UNAVAILABLE = 108;

class BadBody extends Error {}

/**
 * Throws BadBody naming the first malformed place in a body that is not an object write (those
 * are checked against the schema in request-check.ts): operations are checked wherever they are.
 */
export function checkBody(value: unknown, allowRelations: boolean, path: string[] = []): void {
  const found = checkValue(value, path.join('.'), allowRelations ? 'anywhere, relations too' : 'anywhere');
  if (found) throw new BadBody(`${found.field}: ${found.rule}`);
}

function refuse(res: Response, code: number, error: string): void {
  res.status(400).json({ code, error });
}

/**
 * Express middleware for the Parse mount: parses the body the way Parse Server does (any content
 * type, since the JS SDK sends text/plain) and refuses malformed ones with 400 and a Parse error.
 */
export function bodyGuard(limit = BODY_LIMIT) {
  const parseJson = express.json({ type: (req) => !(req as Request).is('application/x-www-form-urlencoded'), limit });
  const parseForm = express.urlencoded({ extended: false, limit });
  return [
    (req: Request, res: Response, next: NextFunction) => {
      // File uploads (raw bytes) and multipart forms go to Parse untouched.
      if (req.path.startsWith('/files/') || req.is('multipart/*')) return next();
      parseForm(req, res, (formError?: unknown) => {
        if (isTooLarge(formError)) return refuseTooLarge(res);
        if (formError) return refuse(res, INVALID_JSON, 'The request body could not be read.');
        parseJson(req, res, (error?: unknown) => {
          if (isTooLarge(error)) return refuseTooLarge(res);
          if (error) return refuse(res, INVALID_JSON, 'The request body is not valid JSON.');
          next();
        });
      });
    },
    (req: Request, res: Response, next: NextFunction) => {
      try {
        const unavailable = unavailableFeature(req.method, req.path);
        if (unavailable) return refuse(res, COMMAND_UNAVAILABLE, unavailable);
        const found = checkRequest(req.method, req.path, req.body, req.query as Record<string, unknown>);
        if (found) return refuse(res, INVALID_INPUT, `${found.field}: ${found.rule}`);
        next();
      } catch (error) {
        next(error);
      }
    },
  ];
}

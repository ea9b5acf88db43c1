/**
 * In front of Parse's GraphQL route: variables and inline argument values are checked like function
 * parameters (well-formed encodings, storable text, no `__op`), because Parse's Object and Array
 * scalars pass any JSON on to the same code as REST. And no GraphQL error leaves with a stack trace:
 * Apollo adds `extensions.stacktrace` whenever NODE_ENV is neither production nor test, and Parse
 * Server 9.10 offers no option to turn that off, so the answer is rewritten without it.
 */
import type { NextFunction, Request, Response } from 'express';
import { type ValueNode, Kind, parse, valueFromASTUntyped, visit } from 'graphql';
import { type Check, checkValue, isRecord } from '../../cloud/edge/rest-values';

const INVALID_INPUT = 142;

/** The answer without `extensions.stacktrace` on any error (untouched when it has none). */
export function withoutStackTraces(body: string): string {
  if (!body.includes('"stacktrace"')) return body;
  try {
    const parsed = JSON.parse(body);
    for (const result of Array.isArray(parsed) ? parsed : [parsed]) {
      for (const error of Array.isArray(result?.errors) ? result.errors : []) {
        if (isRecord(error?.extensions)) delete error.extensions.stacktrace;
      }
    }
    return JSON.stringify(parsed);
  } catch {
    return body;
  }
}

function checkLiterals(query: unknown): Check {
  if (typeof query !== 'string') return null;
  let document;
  try {
    document = parse(query);
  } catch {
    return null; // Apollo answers a syntax error itself
  }
  let found: Check = null;
  visit(document, {
    Argument(node) {
      if (found) return false;
      if (node.value.kind !== Kind.OBJECT && node.value.kind !== Kind.LIST) return undefined;
      try {
        found = checkValue(valueFromASTUntyped(node.value as ValueNode), `arguments.${node.name.value}`);
      } catch {
        found = { field: `arguments.${node.name.value}`, rule: 'nested too deeply' };
      }
      return false;
    },
  });
  return found;
}

/** GraphQL variables as sent: an object, or JSON text (a GET, some clients); other text as it is. */
export function parsedJSON(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** One GraphQL request (or each of a batch): its variables and the values written in its text. */
export function checkGraphQLRequest(body: unknown, query: Record<string, unknown>): Check {
  for (const request of Array.isArray(body) ? body : [body]) {
    const fields = isRecord(request) ? request : {};
    const found = checkValue(parsedJSON(fields.variables ?? query.variables), 'variables') ?? checkLiterals(fields.query ?? query.query);
    if (found) return found;
  }
  return null;
}

/** Express middleware for /graphql, after its body parser. */
export function graphQLGuard() {
  return (req: Request, res: Response, next: NextFunction) => {
    const send = res.send.bind(res);
    res.send = ((body?: unknown) => send(typeof body === 'string' ? withoutStackTraces(body) : body)) as Response['send'];
    let found: Check;
    try {
      found = checkGraphQLRequest(req.body, req.query as Record<string, unknown>);
    } catch (error) {
      return next(error);
    }
    if (!found) return next();
    res.status(400).json({ errors: [{ message: `${found.field}: ${found.rule}`, extensions: { code: INVALID_INPUT } }] });
  };
}

/**
 * The app's last error handler: an error no route answered (a body that cannot be read, a multipart
 * upload gone wrong) gets a Parse-style JSON answer, never express's HTML page with a stack trace.
 */
export function jsonErrors() {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = Number((error as { status?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode);
    if (status >= 400 && status < 500) {
      return res.status(status).json({ code: status === 413 ? 116 : 107, error: 'The request could not be read.' });
    }
    console.error('Unexpected error outside Parse Server:', error);
    res.status(500).json({ code: 1, error: 'Internal server error.' });
  };
}

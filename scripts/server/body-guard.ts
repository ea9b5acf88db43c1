/**
 * Rejects request bodies that bare Parse Server 9 answers with HTTP 500 (an unknown, relation or
 * batch `__op`, a Date with a bad `iso`, a NUL character, a Pointer without its fields), so that
 * every bad input gets a Parse error a person can act on.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { BODY_LIMIT, isTooLarge, refuseTooLarge } from './body-limit';

const INVALID_JSON = 107;
const INVALID_INPUT = 142;
const KNOWN_OPS = new Set(['Increment', 'Add', 'AddUnique', 'Remove', 'Delete']);
const RELATION_OPS = new Set(['AddRelation', 'RemoveRelation']);
const MAX_DEPTH = 32;

class BadBody extends Error {}

function where(path: string[]): string {
  return path.length > 0 ? path.join('.') : 'body';
}

function isObjectId(value: unknown): boolean {
  return typeof value === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(value)
}

function checkTyped(value: Record<string, unknown>, path: string[]): void {
  const at = where(path);
  switch (value.__type) {
    case 'Date':
      if (typeof value.iso !== 'string' || Number.isNaN(Date.parse(value.iso))) {
        throw new BadBody(`${at}: a Date needs "iso" with an ISO 8601 date like 2026-01-31T12:00:00.000Z`);
      }
      return;
    case 'Pointer':
      if (typeof value.className !== 'string' || !isObjectId(value.objectId)) {
        throw new BadBody(`${at}: a Pointer needs "className" and "objectId"`);
      }
      return;
    case 'Bytes':
      if (typeof value.base64 !== 'string') throw new BadBody(`${at}: Bytes need "base64" text`);
      return;
    case 'GeoPoint':
      if (typeof value.latitude !== 'number' || typeof value.longitude !== 'number') {
        throw new BadBody(`${at}: a GeoPoint needs numeric "latitude" and "longitude"`);
      }
      return;
    case 'File':
      if (typeof value.name !== 'string') throw new BadBody(`${at}: a File needs "name"`);
      return;
    case 'Object':
    case 'Relation':
    case 'Polygon':
      return;
    default:
      throw new BadBody(`${at}: unknown __type ${JSON.stringify(value.__type)}`);
  }
}

function checkOp(value: Record<string, unknown>, path: string[], allowRelations: boolean): void {
  const op = value.__op;
  if (typeof op === 'string' && KNOWN_OPS.has(op)) return;
  if (typeof op === 'string' && RELATION_OPS.has(op) && allowRelations) {
    const objects = value.objects;
    if (Array.isArray(objects) && objects.every((o) => o && o.__type === 'Pointer' && isObjectId(o.objectId))) return;
    throw new BadBody(`${where(path)}: ${op} needs "objects", a list of Pointers`);
  }
  throw new BadBody(`${where(path)}: operation ${JSON.stringify(op)} is not supported here`);
}

/** Throws BadBody naming the first malformed place in `value`. */
export function checkBody(value: unknown, allowRelations: boolean, path: string[] = []): void {
  if (path.length > MAX_DEPTH) throw new BadBody(`${where(path)}: nested too deeply`);
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new BadBody(`${where(path)}: must not contain a NUL character`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkBody(item, allowRelations, [...path, String(i)]));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  if ('__op' in record) checkOp(record, path, allowRelations);
  if ('__type' in record) checkTyped(record, path);
  for (const [key, item] of Object.entries(record)) {
    if (key.includes('\u0000')) throw new BadBody(`${where(path)}: a field name must not contain a NUL character`);
    checkBody(item, allowRelations, [...path, key]);
  }
}

function refuse(res: Response, code: number, error: string): void {
  res.status(400).json({ code, error });
}

/** JSON query parameters (where, ...) are checked like bodies. */
function queryValues(req: Request): unknown[] {
  const values: unknown[] = [];
  for (const [key, raw] of Object.entries(req.query)) {
    if (typeof raw !== 'string') continue;
    if (raw.includes('\u0000')) throw new BadBody(`${key}: must not contain a NUL character`);
    if (key === 'where') {
      try {
        values.push(JSON.parse(raw));
      } catch {
        throw new BadBody('where: must be JSON');
      }
    }
  }
  return values;
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
        // Role membership is the one place this backend uses relations (master key only).
        const allowRelations = /^\/(classes\/_Role|roles)(\/|$)/.test(req.path);
        checkBody(req.body, allowRelations);
        for (const value of queryValues(req)) checkBody(value, allowRelations, ['where']);
        next();
      } catch (error) {
        if (error instanceof BadBody) return refuse(res, INVALID_INPUT, error.message);
        next(error);
      }
    },
  ];
}

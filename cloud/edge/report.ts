/**
 * Refusals (a Parse.Error we throw on purpose: 4001, 142, ...) are answers, not server faults, so
 * Parse Server logs them at `info` (see logLevels in the server options). Anything else thrown from
 * cloud code is a bug: these registration helpers log it with where it came from, then rethrow.
 */
import { checkFindQuery, checkSavedFields, keepLoggable } from './save-checks';

type Cloud = typeof Parse.Cloud;
type HandlerOf<F extends (...args: never[]) => unknown> = Parameters<F>[1];
export type FunctionRequest = Parameters<NonNullable<HandlerOf<Cloud['define']>>>[0];
export type BeforeSaveRequest = Parameters<NonNullable<HandlerOf<Cloud['beforeSave']>>>[0];
export type AfterSaveRequest = Parameters<NonNullable<HandlerOf<Cloud['afterSave']>>>[0];
export type BeforeFindRequest = Parameters<NonNullable<HandlerOf<Cloud['beforeFind']>>>[0];
type ClassName = Parameters<Cloud['beforeSave']>[0];

function reportUnexpected<A>(where: string, handler: (req: A) => unknown): (req: A) => Promise<unknown> {
  return async (req: A) => {
    try {
      return await handler(req);
    } catch (error) {
      if (!(error instanceof Parse.Error)) console.error(`Unexpected error in ${where}:`, error);
      throw error;
    }
  };
}

const nameOf = (className: ClassName) => (typeof className === 'string' ? className : new className().className);

export function defineFunction(name: string, handler: (req: FunctionRequest) => unknown): void {
  Parse.Cloud.define(name, reportUnexpected(name, handler));
}

/**
 * Every beforeSave first makes its object safe for Parse Server to log (a refusal is logged with
 * the object; one that cannot be encoded took the process down) and checks the changed fields
 * against the running schema (142 naming the field), so the handler sees only well-typed values.
 */
export function beforeSave(className: ClassName, handler: (req: BeforeSaveRequest) => unknown): void {
  const name = nameOf(className);
  const checked = async (req: BeforeSaveRequest) => {
    keepLoggable(req.object);
    await checkSavedFields(name, req);
    return handler(req);
  };
  Parse.Cloud.beforeSave(className, reportUnexpected(`beforeSave ${name}`, checked) as never);
}

export function afterSave(className: ClassName, handler: (req: AfterSaveRequest) => unknown): void {
  Parse.Cloud.afterSave(className, reportUnexpected(`afterSave ${nameOf(className)}`, handler) as never);
}

export function afterDelete(className: ClassName, handler: (req: AfterSaveRequest) => unknown): void {
  Parse.Cloud.afterDelete(className, reportUnexpected(`afterDelete ${nameOf(className)}`, handler) as never);
}

/** Every beforeFind first checks the find's constraints against the running schema (142 naming the place). */
export function beforeFind(className: ClassName, handler: (req: BeforeFindRequest) => unknown): void {
  const checked = async (req: BeforeFindRequest) => {
    await checkFindQuery(req.query as never);
    return handler(req);
  };
  Parse.Cloud.beforeFind(className, reportUnexpected(`beforeFind ${nameOf(className)}`, checked) as never);
}

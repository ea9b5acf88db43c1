/**
 * Refusals (a Parse.Error we throw on purpose: 4001, 142, ...) are answers, not server faults, so
 * Parse Server logs them at `info` (see logLevels in the server options). Anything else thrown from
 * cloud code is a bug: these registration helpers log it with where it came from, then rethrow.
 */
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

export function beforeSave(className: ClassName, handler: (req: BeforeSaveRequest) => unknown): void {
  Parse.Cloud.beforeSave(className, reportUnexpected(`beforeSave ${nameOf(className)}`, handler) as never);
}

export function afterSave(className: ClassName, handler: (req: AfterSaveRequest) => unknown): void {
  Parse.Cloud.afterSave(className, reportUnexpected(`afterSave ${nameOf(className)}`, handler) as never);
}

export function beforeFind(className: ClassName, handler: (req: BeforeFindRequest) => unknown): void {
  Parse.Cloud.beforeFind(className, reportUnexpected(`beforeFind ${nameOf(className)}`, handler) as never);
}

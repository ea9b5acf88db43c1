/**
 * The few master-key REST calls schema:push makes. Every failure becomes a PushError whose message
 * is one line a user can act on: a wrong key, a server that does not answer, a URL that is not a
 * Parse Server's mount path.
 */

const TIMEOUT_MS = 30_000;

/** A failure to report as one line, without a stack trace; `code` is Parse's error code, when it gave one. */
export class PushError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

export class ParseRest {
  constructor(
    readonly serverURL: string,
    private readonly appId: string,
    private readonly masterKey: string,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.serverURL.replace(/\/+$/, '')}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { 'X-Parse-Application-Id': this.appId, 'X-Parse-Master-Key': this.masterKey, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new PushError(`Cannot reach a Parse Server at ${this.serverURL}: ${reason(error)}`);
    }
    const text = await response.text();
    let answer: any;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new PushError(`${this.serverURL} is not a Parse Server's mount path (e.g. https://host/parse): ${method} ${path} answered ${response.status} with no JSON`);
    }
    if (response.status === 401 || response.status === 403) {
      throw new PushError(`${this.serverURL} refused the app id or master key (${response.status} ${answer?.error ?? 'unauthorized'}): check --app-id and --master-key`);
    }
    if (!response.ok) {
      const detail = answer && typeof answer === 'object' && 'error' in answer ? `${answer.code ?? response.status} ${answer.error}` : `${response.status}`;
      throw new PushError(`${method} ${path} failed: ${detail}`, typeof answer?.code === 'number' ? answer.code : undefined);
    }
    return answer as T;
  }
}

/** Node's fetch says only "fetch failed"; the cause names what went wrong (ECONNREFUSED, ENOTFOUND...). */
function reason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

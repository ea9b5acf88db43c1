/**
 * The rate limits (SPEC 8): sign-up and login per IP address, checkout and applyCode per user,
 * counted together whichever way the call comes.
 *
 * They are Parse Server's built-in `rateLimit` rules, one per limit, each on the REST path Parse
 * matches (`req.path`). Calls that reach the same code by a path no rule matches are counted
 * against that rule by `countAsRestCall` (parse-rate-limits.ts), from Parse's
 * `requestContextMiddleware`, which runs on REST and on /graphql once the request's app, session
 * and user are known:
 * - REST: POST /classes/Order is a checkout, POST /classes/_User a sign-up, /verifyPassword and
 *   /challenge check a password like /login; inside /batch too (Parse's batch counts the
 *   sub-requests that match a rule's path itself).
 * - GraphQL: every root field of the mutation that runs, in each operation of a batched body,
 *   aliases and fragments included, once per response key (as GraphQL runs it).
 *
 * With REDIS_URL each rule keeps its counts in its own Redis database (REDIS_URL's database + 1 +
 * the rule's index): Parse gives every rule's store the same key prefix, so rules sharing a
 * database would share a counter per IP or user (parse-server #10624).
 */
import type { NextFunction, Request, Response } from 'express';
import { type DocumentNode, type FieldNode, Kind, type OperationDefinitionNode, type SelectionSetNode, parse, valueFromASTUntyped } from 'graphql';
import type { ShopConfig } from '../../parse-config';
import { parsedJSON } from './graphql-guard';
import { countAsRestCall, RATE_LIMITED, ruleMessages } from './parse-rate-limits';

const LOGIN = '/login';
const SIGN_UP = '/users';
const CHECKOUT = '/functions/checkout';
const APPLY_CODE = '/functions/applyCode';

const WINDOW_MS = 60_000;

/** The database a rule's counts live in: REDIS_URL's own (0 when it names none) + 1 + index. */
export function ruleRedisURL(redisURL: string, index: number): string {
  const url = new URL(redisURL);
  const base = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  url.pathname = `/${base + 1 + index}`;
  return url.toString();
}

/** Parse Server's `rateLimit` option. */
export function rateLimitRules(config: ShopConfig) {
  const { authPerMinute, checkoutPerMinute, applyCodePerMinute } = config.rateLimits;
  const rules = [
    { requestPath: SIGN_UP, requestMethods: ['POST'], requestCount: authPerMinute, zone: 'ip',
      errorResponseMessage: 'Too many sign-ups from this address; wait a minute and try again.' },
    { requestPath: LOGIN, requestMethods: ['GET', 'POST'], requestCount: authPerMinute, zone: 'ip',
      errorResponseMessage: 'Too many login attempts from this address; wait a minute and try again.' },
    // No methods: the function runs for GET too, and POST /classes/Order is counted here as well.
    { requestPath: CHECKOUT, requestCount: checkoutPerMinute, zone: 'user',
      errorResponseMessage: 'Too many checkouts; wait a minute and try again.' },
    { requestPath: APPLY_CODE, requestCount: applyCodePerMinute, zone: 'user',
      errorResponseMessage: 'Too many code attempts; wait a minute and try again.' },
  ];
  return rules.map((rule, index) => ({
    ...rule,
    requestTimeWindow: WINDOW_MS,
    // Without this, requests from 127.0.0.1 (a local proxy, the tests) are never limited.
    includeInternalRequests: true,
    ...(config.redisURL ? { redisUrl: ruleRedisURL(config.redisURL, index) } : {}),
  }));
}

/** The rule path a REST call no rule's path matches stands for, or null. */
export function restCallCountedAs(method: string, path: string): string | null {
  const route = path.replace(/\/+$/, '');
  if (method === 'POST' && route === '/classes/Order') return CHECKOUT;
  if (method === 'POST' && route === '/classes/_User') return SIGN_UP;
  if ((method === 'GET' || method === 'POST') && route === '/verifyPassword') return LOGIN;
  if (method === 'POST' && route === '/challenge') return LOGIN;
  return null;
}

/** Root mutation fields that run the code of a limited REST call (Parse's generated ones and the shop's typed ones). */
const GRAPHQL_FIELDS: Record<string, string> = {
  signUp: SIGN_UP,
  createUser: SIGN_UP,
  logIn: LOGIN,
  logInWith: LOGIN,
  challenge: LOGIN,
  checkout: CHECKOUT,
  createOrder: CHECKOUT,
  applyCode: APPLY_CODE,
};

/** The functions callCloudCode may run that have a limit. */
const LIMITED_FUNCTIONS: Record<string, string> = { checkout: CHECKOUT, applyCode: APPLY_CODE };

interface GraphQLRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

function rootFields(selections: SelectionSetNode, document: DocumentNode, seen: Set<string>, into: FieldNode[]): void {
  for (const selection of selections.selections) {
    if (selection.kind === Kind.FIELD) into.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) rootFields(selection.selectionSet, document, seen, into);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) rootFields(fragment.selectionSet, document, seen, into);
    }
  }
}

/** The mutations a request may run: the one operationName names, else the only one, else (Apollo refuses) each. */
function mutationsOf(document: DocumentNode, operationName: unknown): OperationDefinitionNode[] {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const chosen = typeof operationName === 'string' && operationName !== '' ? operations.filter((o) => o.name?.value === operationName) : operations;
  return chosen.filter((o) => o.operation === 'mutation');
}

function functionNameOf(field: FieldNode, variables: Record<string, unknown>): unknown {
  const input = field.arguments?.find((argument) => argument.name.value === 'input');
  if (!input) return undefined;
  try {
    const value = valueFromASTUntyped(input.value, variables) as { functionName?: unknown } | undefined;
    return value?.functionName;
  } catch {
    return undefined;
  }
}

/** The rule path of every limited root field one GraphQL request runs, once per occurrence. */
export function graphQLCallsCountedAs(request: GraphQLRequest): string[] {
  if (typeof request.query !== 'string') return [];
  let document: DocumentNode;
  try {
    document = parse(request.query);
  } catch {
    return []; // Apollo answers the syntax error and runs nothing
  }
  const variables = parsedJSON(request.variables);
  const values = variables !== null && typeof variables === 'object' ? (variables as Record<string, unknown>) : {};
  const counted: string[] = [];
  for (const operation of mutationsOf(document, request.operationName)) {
    const fields: FieldNode[] = [];
    rootFields(operation.selectionSet, document, new Set(), fields);
    // GraphQL runs the fields of one response key once (repeats merge, or fail validation).
    const byKey = new Map(fields.map((field) => [field.alias?.value ?? field.name.value, field]));
    for (const field of byKey.values()) {
      const name = field.name.value;
      const path = name === 'callCloudCode' ? LIMITED_FUNCTIONS[String(functionNameOf(field, values))] : GRAPHQL_FIELDS[name];
      if (path) counted.push(path);
    }
  }
  return counted;
}

function graphQLRequests(req: Request): GraphQLRequest[] {
  if (req.method === 'GET') return [req.query as GraphQLRequest];
  const body: unknown = req.body;
  const requests = Array.isArray(body) ? body : [body];
  return requests.filter((r): r is GraphQLRequest => r !== null && typeof r === 'object');
}

function batchRequests(req: Request): Array<{ method: string; path: string }> {
  const requests: unknown = (req.body as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(requests)) return [];
  // Sub-request paths carry the mount (/parse/classes/Order), as Parse's batch expects; rules know the route.
  const mount = req.originalUrl.split('?')[0].slice(0, -'/batch'.length);
  return requests
    .filter((r): r is { method?: unknown; path: string } => r !== null && typeof r === 'object' && typeof r.path === 'string')
    .filter((r) => r.path.startsWith(`${mount}/`))
    .map((r) => ({ method: String(r.method ?? 'GET').toUpperCase(), path: r.path.slice(mount.length).replace(/\/{2,}/g, '/') }));
}

function isMaster(req: Request): boolean {
  return (req as Request & { auth?: { isMaster?: boolean } }).auth?.isMaster === true;
}

/** The rule paths of the calls this request makes that no rule's own path matches. */
function callsCountedAs(req: Request, graphQLPath: string): string[] {
  if (req.baseUrl === graphQLPath) return graphQLRequests(req).flatMap(graphQLCallsCountedAs);
  if (req.method === 'POST' && req.path === '/batch') {
    return batchRequests(req).flatMap(({ method, path }) => restCallCountedAs(method, path) ?? []);
  }
  const path = restCallCountedAs(req.method, req.path);
  return path ? [path] : [];
}

async function refusal(req: Request, paths: string[]): Promise<string | null> {
  for (const path of paths) {
    const message = await countAsRestCall(req, 'POST', path);
    if (message) return message;
  }
  return null;
}

/**
 * Parse's `requestContextMiddleware`: counts the calls of a REST or GraphQL request against the
 * rules they stand for, and answers HTTP 429 beyond a limit (GraphQL: an error with code 429).
 */
export function rateLimitMiddleware(appId: string, graphQLPath: string) {
  let messages: Set<string> | undefined;
  return (req: Request, res: Response, next: NextFunction) => {
    const graphQL = req.baseUrl === graphQLPath;
    if (graphQL && !isMaster(req) && req.is('multipart/form-data')) {
      // The body is read after this middleware, so its operations could not be counted; clients
      // upload no files to this shop (fileUpload allows none without the master key).
      res.status(415).json({ errors: [{ message: 'GraphQL requests must be sent as application/json.', extensions: { code: 142 } }] });
      return;
    }
    if (!graphQL && req.path === '/batch') {
      // Parse answers a batch sub-request beyond a limit with HTTP 400; every other limit answers 429.
      messages ??= ruleMessages(appId);
      const json = res.json.bind(res);
      res.json = ((body?: { code?: unknown; error?: unknown }) => {
        if (res.statusCode === 400 && body?.code === RATE_LIMITED && messages!.has(String(body.error))) res.status(429);
        return json(body);
      }) as Response['json'];
    }
    refusal(req, callsCountedAs(req, graphQLPath)).then(
      (message) => {
        if (!message) return next();
        if (graphQL) res.status(429).json({ errors: [{ message, extensions: { code: 429 } }] });
        else res.status(429).json({ code: RATE_LIMITED, error: message });
      },
      next,
    );
  };
}

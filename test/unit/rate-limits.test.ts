import { describe, expect, test } from 'vitest';
import { graphQLCallsCountedAs, restCallCountedAs, ruleRedisURL } from '../../scripts/server/rate-limits';

describe('graphQLCallsCountedAs', () => {
  test.each([
    ['a typed checkout', { query: 'mutation { checkout(idempotencyKey: "k") { checkoutId } }' }, ['/functions/checkout']],
    ['callCloudCode with a literal name', { query: 'mutation { callCloudCode(input: { functionName: applyCode }) { result } }' }, ['/functions/applyCode']],
    ['callCloudCode with the name in a variable', { query: 'mutation R($f: CloudCodeFunction!) { callCloudCode(input: { functionName: $f }) { result } }', variables: { f: 'checkout' } }, ['/functions/checkout']],
    ['callCloudCode with the whole input in a variable, as JSON text', { query: 'mutation R($i: CallCloudCodeInput!) { callCloudCode(input: $i) { result } }', variables: '{"i":{"functionName":"checkout"}}' }, ['/functions/checkout']],
    ['callCloudCode of a function without a limit', { query: 'mutation { callCloudCode(input: { functionName: serverTime }) { result } }' }, []],
    ['each alias', { query: 'mutation { a: checkout(idempotencyKey: "a") { checkoutId } b: checkout(idempotencyKey: "b") { checkoutId } }' }, ['/functions/checkout', '/functions/checkout']],
    ['fields in fragments', { query: 'mutation { ...F ... on Mutation { logIn { clientMutationId } } } fragment F on Mutation { signUp { clientMutationId } }' }, ['/users', '/login']],
    ['a response key once, as GraphQL runs it once', { query: 'mutation { ...F checkout { checkoutId } ...F } fragment F on Mutation { checkout { total } }' }, ['/functions/checkout']],
    ['the operation operationName names', { query: 'mutation A { logIn { clientMutationId } } mutation B { createOrder { clientMutationId } }', operationName: 'B' }, ['/functions/checkout']],
    ['every mutation when none is named (Apollo runs none)', { query: 'mutation A { logInWith { clientMutationId } } mutation B { createUser { clientMutationId } }' }, ['/login', '/users']],
    ['nothing in a query', { query: 'query { checkout }' }, []],
    ['nothing in a syntax error', { query: 'mutation { checkout(' }, []],
    ['nothing without a query', { variables: {} }, []],
  ])('counts %s', (_name, request, expected) => {
    expect(graphQLCallsCountedAs(request)).toEqual(expected);
  });
});

describe('restCallCountedAs', () => {
  test.each([
    ['POST', '/classes/Order', '/functions/checkout'],
    ['POST', '/classes/Order/', '/functions/checkout'],
    ['GET', '/classes/Order', null],
    ['PUT', '/classes/Order', null],
    ['POST', '/classes/_User', '/users'],
    ['GET', '/verifyPassword', '/login'],
    ['POST', '/challenge', '/login'],
    ['POST', '/functions/checkout', null], // the rule's own path: Parse counts it
  ])('%s %s counts as %s', (method, path, expected) => {
    expect(restCallCountedAs(method, path)).toBe(expected);
  });
});

test('each rule counts in its own Redis database after the one REDIS_URL names', () => {
  expect(ruleRedisURL('redis://cache:6379', 0)).toBe('redis://cache:6379/1');
  expect(ruleRedisURL('redis://:secret@cache:6379/4', 3)).toBe('redis://:secret@cache:6379/8');
  expect(ruleRedisURL('rediss://cache/', 1)).toBe('rediss://cache/2');
});

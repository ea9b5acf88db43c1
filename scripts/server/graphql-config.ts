/**
 * Parse's GraphQL class config (stored in `_GraphQLConfig`): internal fields are left out of the
 * generated create and update inputs and of the output types, pointers the server sets are left out
 * of the inputs, and classes only the master key may
 * touch are left out of the GraphQL schema altogether. Generated queries whose names the shop's
 * typed operations take (scripts/server/graphql-schema.ts) are turned off: Parse names the FlashSale
 * class's find `flashSales`, and two fields of one name make every /graphql request answer 500.
 */
import { INTERNAL_FIELDS } from '../../cloud/edge/internal-fields';

interface Definition {
  className: string;
  fields?: Record<string, unknown>;
  classLevelPermissions?: Record<string, unknown>;
}

const OPERATIONS = ['find', 'get', 'count', 'create', 'update', 'delete'];

/** Generated class queries that give way to a typed operation of the same name. */
const QUERIES: Record<string, { get: boolean; find: boolean }> = {
  FlashSale: { get: true, find: false }, // `flashSales` is the typed listing with countdowns
};

/**
 * Pointers to the caller that the server sets, left out of the generated inputs: a client may not
 * set them anyway, and Parse's nested `createAndLink` on a `_User` pointer creates the user before
 * the object's own checks refuse it, a sign-up past the sign-up rate limit.
 */
const SERVER_SET: Record<string, string[]> = {
  Order: ['user'],
  Cart: ['user'],
};

/** A class whose permissions grant nothing to anyone: only the master key reads or writes it. */
function masterOnly(definition: Definition): boolean {
  const permissions = definition.classLevelPermissions ?? {};
  return OPERATIONS.every((operation) => {
    const granted = permissions[operation];
    return granted !== undefined && granted !== null && typeof granted === 'object' && Object.keys(granted).length === 0;
  });
}

export function graphQLConfig(definitions: Definition[]) {
  // Parse's own classes keep their GraphQL types: its viewer, logIn and signUp operations use them.
  const disabledForClasses = definitions.filter((d) => !d.className.startsWith('_') && masterOnly(d)).map((d) => d.className);
  const classConfigs = definitions
    .filter((d) => !disabledForClasses.includes(d.className) && (INTERNAL_FIELDS[d.className] || SERVER_SET[d.className] || QUERIES[d.className]))
    .map((d) => {
      const internal = INTERNAL_FIELDS[d.className] ?? [];
      const visible = Object.keys(d.fields ?? {}).filter((field) => !internal.includes(field));
      const inputs = visible.filter((field) => !SERVER_SET[d.className]?.includes(field));
      const restricted = internal.length > 0 || inputs.length < visible.length;
      const type = restricted ? { type: { inputFields: { create: inputs, update: inputs }, outputFields: visible } } : {};
      return { className: d.className, ...type, ...(QUERIES[d.className] ? { query: QUERIES[d.className] } : {}) };
    });
  return { disabledForClasses, classConfigs };
}

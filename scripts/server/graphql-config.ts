/**
 * Parse's GraphQL class config (stored in `_GraphQLConfig`): internal fields are left out of the
 * generated create and update inputs and of the output types, and classes only the master key may
 * touch are left out of the GraphQL schema altogether.
 */
import { INTERNAL_FIELDS } from '../../cloud/edge/internal-fields';

interface Definition {
  className: string;
  fields?: Record<string, unknown>;
  classLevelPermissions?: Record<string, unknown>;
}

const OPERATIONS = ['find', 'get', 'count', 'create', 'update', 'delete'];

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
    .filter((d) => !disabledForClasses.includes(d.className) && INTERNAL_FIELDS[d.className])
    .map((d) => {
      const visible = Object.keys(d.fields ?? {}).filter((field) => !INTERNAL_FIELDS[d.className].includes(field));
      return { className: d.className, type: { inputFields: { create: visible, update: visible }, outputFields: visible } };
    });
  return { disabledForClasses, classConfigs };
}

/**
 * `npm run schema:push -- --server-url URL --app-id ID --master-key KEY [--dry-run] [--force]`
 * (or SERVER_URL, APP_ID, MASTER_KEY; flags win): applies schema/, the admin role and the GraphQL
 * config to a running Parse Server through its REST schema API. Every failure is one line on stderr.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ADMIN_ROLE } from '../cloud/edge/access';
import { UNIQUE_INDEXES } from '../cloud/setup/unique-keys';
import { applyPlan, fieldsHoldingData, readServerState } from './schema/apply';
import { ParseRest, PushError } from './schema/parse-rest';
import { describeChange, planSchema, refusedReplacements } from './schema/plan';
import { graphQLConfig } from './server/graphql-config';
import { loadSchemaDefinitions } from './server/schema-definitions';

const USAGE = 'usage: npm run schema:push -- --server-url URL --app-id ID --master-key KEY [--dry-run] [--force]';

const Options = z.object({
  serverURL: z
    .string({ message: 'missing --server-url (or SERVER_URL)' })
    .refine((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), '--server-url must be an http(s) URL such as https://host/parse'),
  appId: z.string({ message: 'missing --app-id (or APP_ID)' }).min(1, 'missing --app-id (or APP_ID)'),
  masterKey: z.string({ message: 'missing --master-key (or MASTER_KEY)' }).min(1, 'missing --master-key (or MASTER_KEY)'),
  dryRun: z.boolean(),
  force: z.boolean(),
});

function readOptions(argv: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'server-url': { type: 'string' },
      'app-id': { type: 'string' },
      'master-key': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const parsed = Options.safeParse({
    serverURL: values['server-url'] ?? env.SERVER_URL,
    appId: values['app-id'] ?? env.APP_ID,
    masterKey: values['master-key'] ?? env.MASTER_KEY,
    dryRun: values['dry-run'],
    force: values.force,
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues[0].message);
  return parsed.data;
}

class UsageError extends Error {}

const UNIQUE_NOTE =
  'Unique keys (' +
  UNIQUE_INDEXES.map(({ className, fields }) => `${className}.${fields.join('+')}`).join(', ') +
  ') are not part of the REST schema API: the cloud code creates their unique indexes when it loads, and cloud code already running does so within seconds of this push.';

/** Parse's code for "Class X already exists." */
const CLASS_EXISTS = 103;
const PLAN_ATTEMPTS = 3;

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2), process.env);
  const rest = new ParseRest(options.serverURL, options.appId, options.masterKey);
  for (let attempt = 1; ; attempt++) {
    try {
      return await push(rest, options);
    } catch (error) {
      // Cloud code already running on the host creates a class with its first write to it (each
      // server process writes its ProcessLease as it starts), which can land between our read and
      // our create: read the server again and plan from what it has now.
      if (!(error instanceof PushError && error.code === CLASS_EXISTS) || attempt === PLAN_ATTEMPTS) throw error;
      console.log(`${error.message} The server made it meanwhile; planning again from what it has now.`);
    }
  }
}

async function push(rest: ParseRest, options: z.infer<typeof Options>): Promise<number> {
  const definitions = loadSchemaDefinitions();
  const wanted = { definitions, roles: [ADMIN_ROLE], graphQLConfig: graphQLConfig(definitions) };

  const { changes, leftAlone } = planSchema(await readServerState(rest, wanted.roles), wanted);
  const holding = await fieldsHoldingData(rest, changes);
  const refused = refusedReplacements(changes, holding, options.force);

  for (const change of changes) {
    for (const line of describeChange(change)) {
      const held = change.kind === 'replaceField' && holding.has(`${change.className}.${change.field}`);
      console.log(held ? `${line}, holds data` : line);
    }
  }
  for (const what of leftAlone) console.log(`left alone: ${what} (on the server, not in schema/)`);

  if (refused.length > 0) {
    console.error(
      `Refused: ${refused.join(', ')} ${refused.length === 1 ? 'holds' : 'hold'} data of another type than schema/ says; nothing was changed. ` +
        'Migrate the values, or run again with --force to delete them and add the field as schema/ says.',
    );
    return 1;
  }
  if (changes.length === 0) {
    console.log(`Nothing to change: ${options.serverURL} already has schema/ (${definitions.length} classes), the ${ADMIN_ROLE} role and the GraphQL config.`);
    return 0;
  }
  if (options.dryRun) {
    console.log(`Dry run: ${changes.length} change(s) planned, nothing was changed.`);
    return 0;
  }
  await applyPlan(rest, changes);
  console.log(`Applied ${changes.length} change(s) to ${options.serverURL}.`);
  console.log(UNIQUE_NOTE);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // One line, no stack: what went wrong and what to check. TypeError: parseArgs' unknown or malformed flags.
    const usage = error instanceof UsageError || error instanceof TypeError;
    console.error(`schema:push: ${error instanceof Error ? error.message : String(error)}${usage ? ` (${USAGE})` : ''}`);
    process.exitCode = usage ? 2 : 1;
  },
);

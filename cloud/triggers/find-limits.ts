import { requireUser } from '../edge/access';
import { failField } from '../edge/errors';
import { beforeFind } from '../edge/report';
import { SCHEMA_CLASSES } from '../setup/schema-classes';

/** Deeper pages make the database read and throw away every row before them. */
export const MAX_SKIP = 10_000;

/** A user's own rows: anonymous reads get 119 (log in) rather than Parse's 101 for an unauthenticated CLP. */
const OWN_ROWS: ReadonlySet<string> = new Set(['_User', 'Order', 'Transaction', 'Cart']);

// Parse keeps one beforeFind per class, so every rule about reading a class lives in this one trigger.
// It runs for REST, batch, GraphQL and SDK queries alike, on any Parse Server this cloud code runs on.
// Parse allows no beforeFind on _Session, whose rows only the master key reads (schema/_Session.json).
for (const className of SCHEMA_CLASSES.filter((name) => name !== '_Session')) {
  beforeFind(className, (req) => {
    if (req.master) return; // the master key (operator tools, our own code) pages as it needs
    if (OWN_ROWS.has(className)) requireUser(req);
    if (req.query._skip > MAX_SKIP) {
      failField('skip', `must be at most ${MAX_SKIP.toLocaleString('en-US')}; to read further, filter on a sorted field (for example createdAt greater than the last row seen)`);
    }
  });
}

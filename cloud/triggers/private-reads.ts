import { requireUser } from '../edge/access';
import { beforeFind } from '../edge/report';

// A user's own rows: anonymous reads get 119 (log in) rather than Parse's 101 for an unauthenticated
// class-level permission; the ACLs then show each user only its own rows.
for (const className of ['Order', 'Transaction', 'Cart']) {
  beforeFind(className, (req) => {
    if (!req.master) requireUser(req);
  });
}

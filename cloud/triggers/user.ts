import { ADMIN_ROLE } from '../edge/access';
import { failField } from '../edge/errors';
import { mirrorAdminRole } from '../setup/admin-role';
import { afterSave, beforeSave } from '../edge/report';

// `role` mirrors membership of the admin role; only the server (master key) writes it.
beforeSave(Parse.User, (req) => {
  if (req.master) return;
  if (req.object.dirtyKeys().includes('role')) {
    failField('role', 'is set by the server from membership of the admin role and cannot be changed by a client');
  }
  if (!req.original) req.object.set('role', 'customer');
});

// Membership changes (the dashboard, a script) reach `_User.role`.
afterSave(Parse.Role, async (req) => {
  if (req.object.get('name') === ADMIN_ROLE) await mirrorAdminRole();
});

import { Code, fail } from './errors';

export const ADMIN_ROLE = 'admin';

interface Caller {
  master?: boolean;
  user?: Parse.User;
}

/** The logged-in user, or 119. */
export function requireUser(req: Caller): Parse.User {
  if (!req.user) fail(Code.Forbidden, 'Log in first: this needs a session token (X-Parse-Session-Token).');
  return req.user;
}

/** True for the master key and for members of the admin role. */
export async function isAdmin(req: Caller): Promise<boolean> {
  if (req.master) return true;
  if (!req.user) return false;
  const roles = await new Parse.Query(Parse.Role)
    .equalTo('name', ADMIN_ROLE)
    .equalTo('users', req.user)
    .count({ useMasterKey: true });
  return roles > 0;
}

/** Passes for the master key and admins; everyone else gets 119. */
export async function requireAdmin(req: Caller): Promise<void> {
  if (!req.master) requireUser(req);
  if (!(await isAdmin(req))) fail(Code.Forbidden, 'Only an admin can do this.');
}

/** The ACL of catalogue rows (Product, Inventory, FlashSale): everyone reads, admins write. */
export function catalogueACL(): Parse.ACL {
  const acl = new Parse.ACL();
  acl.setPublicReadAccess(true);
  acl.setRoleWriteAccess(ADMIN_ROLE, true);
  return acl;
}

/** Rows only admins read and write (codes). */
export function adminOnlyACL(): Parse.ACL {
  const acl = new Parse.ACL();
  acl.setRoleReadAccess(ADMIN_ROLE, true);
  acl.setRoleWriteAccess(ADMIN_ROLE, true);
  return acl;
}

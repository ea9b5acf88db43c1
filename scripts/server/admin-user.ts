import type { ShopConfig } from '../../parse-config';
import { addToAdminRole, ensureAdminRole } from '../../cloud/setup/admin-role';

/**
 * The admin role always exists; ADMIN_USERNAME/ADMIN_PASSWORD name a user that is made a member
 * (development default admin / shop-owner-password; required in production).
 * An existing user keeps its password unless it no longer matches ADMIN_PASSWORD (so restarts do
 * not log the admin out, and changing the variable takes effect).
 */
export async function ensureAdminUser(admin: ShopConfig['admin']): Promise<void> {
  await ensureAdminRole();
  let user = await new Parse.Query(Parse.User).equalTo('username', admin.username).first({ useMasterKey: true });
  if (!user) {
    user = new Parse.User();
    user.set({ username: admin.username, password: admin.password });
    await user.save(null, { useMasterKey: true });
  } else {
    const passwordMatches = await Parse.User.verifyPassword(admin.username, admin.password, { useMasterKey: true })
      .then(() => true)
      .catch(() => false);
    if (!passwordMatches) await user.set('password', admin.password).save(null, { useMasterKey: true });
  }
  await addToAdminRole(user);
}

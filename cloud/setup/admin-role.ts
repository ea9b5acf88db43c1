/**
 * The `admin` role and `_User.role`, which mirrors membership of it so apps can show the right UI.
 * Only this module writes `_User.role`.
 */
import { ADMIN_ROLE } from '../edge/access';

/** The admin role, created (master-key only ACL) when missing. */
export async function ensureAdminRole(): Promise<Parse.Role> {
  const existing = await new Parse.Query(Parse.Role).equalTo('name', ADMIN_ROLE).first({ useMasterKey: true });
  if (existing) return existing;
  const role = new Parse.Role(ADMIN_ROLE, new Parse.ACL());
  try {
    return await role.save(null, { useMasterKey: true });
  } catch (error) {
    // Another process created it at the same moment: names of roles are unique.
    const again = await new Parse.Query(Parse.Role).equalTo('name', ADMIN_ROLE).first({ useMasterKey: true });
    if (again) return again;
    throw error;
  }
}

/** Sets `role` on every user so it says whether the user is a member of the admin role. */
export async function mirrorAdminRole(): Promise<void> {
  const role = await ensureAdminRole();
  const memberIds = new Set<string>();
  await role.getUsers().query().each((user) => void memberIds.add(user.id!), { useMasterKey: true });

  const stale: Parse.User[] = [];
  await new Parse.Query(Parse.User).equalTo('role', 'admin').each(
    (user) => void (memberIds.has(user.id!) || stale.push(user.set('role', 'customer'))),
    { useMasterKey: true },
  );
  const promote = await new Parse.Query(Parse.User)
    .containedIn('objectId', [...memberIds])
    .notEqualTo('role', 'admin')
    .limit(memberIds.size + 1)
    .find({ useMasterKey: true });
  const changed = [...stale, ...promote.map((user) => user.set('role', 'admin'))];
  if (changed.length > 0) await Parse.Object.saveAll(changed, { useMasterKey: true });
}

/** Makes the user a member of the admin role. */
export async function addToAdminRole(user: Parse.User): Promise<void> {
  const role = await ensureAdminRole();
  role.getUsers().add(user);
  await role.save(null, { useMasterKey: true });
  await mirrorAdminRole();
}

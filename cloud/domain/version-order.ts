/**
 * SPEC 9: a subscriber never sees a row go back in time, and an event may be skipped only when a
 * newer one of that row was already sent. This keeps the newest version sent per key and says
 * whether an event may still go: older ones may not; equal and newer ones may. An event without a
 * version (a row that has none) always may.
 */
export class NewestVersions {
  private readonly newest = new Map<string, number>();

  /** Whether an event of `version` may be sent under `key`; if so, it is the newest sent from now on. */
  admit(key: string, version: unknown): boolean {
    if (typeof version !== 'number') return true;
    if ((this.newest.get(key) ?? -1) > version) return false;
    this.newest.set(key, version);
    return true;
  }
}

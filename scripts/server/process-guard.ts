/**
 * Node turns a promise rejected with no handler into an uncaught exception, on which Parse Server's
 * own handler exits the process. Such a rejection is one request's chain gone wrong (Parse Server's
 * trigger logging threw that way and took the process down): it is logged with its stack, as the
 * bug it is, and the process keeps serving everyone else. Uncaught exceptions still stop it (state
 * may be half-changed); the supervisor replaces the process.
 */
let installed = false;

export function logUnhandledRejections(): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    console.error('Unhandled promise rejection; the process keeps running, but this is a bug:', reason);
  });
}

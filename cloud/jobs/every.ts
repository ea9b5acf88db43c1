/**
 * A periodic sweep in the server process (Parse jobs never run on their own): never two runs at
 * once, a failure logged and retried next time, and the timer does not keep the process alive.
 */
export function every(name: string, intervalMs: number, run: () => Promise<unknown>, firstAfterMs = intervalMs): void {
  let running = false;
  const sweep = () => {
    if (running) return;
    running = true;
    run()
      .catch((error) => console.error(`The ${name} sweep failed`, error))
      .finally(() => (running = false));
  };
  setTimeout(sweep, firstAfterMs).unref();
  setInterval(sweep, intervalMs).unref();
}

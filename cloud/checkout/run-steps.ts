/**
 * Checkout reads as ordered steps, each with the step that undoes it. If a step refuses, the steps
 * that ran are undone in reverse order, so a failed checkout changes nothing. An undo that itself
 * fails is reported to `leaveForRecovery`: the checkout's record then stays for recovery, which
 * gives back what is still held, rather than being forgotten.
 */
export interface Step<C> {
  name: string;
  run(ctx: C): Promise<void>;
  undo?(ctx: C): Promise<void>;
}

export async function runSteps<C>(steps: Step<C>[], ctx: C, leaveForRecovery: (failedUndos: string[]) => Promise<void>): Promise<void> {
  const started: Step<C>[] = [];
  try {
    for (const step of steps) {
      started.push(step);
      await step.run(ctx);
    }
  } catch (error) {
    const failedUndos: string[] = [];
    for (const step of started.reverse()) {
      await step.undo?.(ctx).catch((undoError) => {
        console.error(`Undoing checkout step "${step.name}" failed; recovery will settle the checkout`, undoError);
        failedUndos.push(step.name);
      });
    }
    if (failedUndos.length > 0) await leaveForRecovery(failedUndos);
    throw error;
  }
}

/**
 * Checkout reads as ordered steps, each with the step that undoes it. If a step refuses, the steps
 * that ran are undone in reverse order, so a failed checkout changes nothing.
 */
export interface Step<C> {
  name: string;
  run(ctx: C): Promise<void>;
  undo?(ctx: C): Promise<void>;
}

export async function runSteps<C>(steps: Step<C>[], ctx: C): Promise<void> {
  const started: Step<C>[] = [];
  try {
    for (const step of steps) {
      started.push(step);
      await step.run(ctx);
    }
  } catch (error) {
    for (const step of started.reverse()) {
      // An undo that fails leaves the checkout record pending; the recovery sweep repairs it.
      await step.undo?.(ctx).catch((undoError) => console.error(`Undoing checkout step "${step.name}" failed`, undoError));
    }
    throw error;
  }
}

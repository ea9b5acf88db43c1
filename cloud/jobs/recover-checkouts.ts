/**
 * The recovery sweeps of this process (Parse jobs never run on their own): every second, the
 * checkouts of processes whose lease lapsed are settled, so a death is settled within seconds; every
 * half minute, old pending checkouts whose owner is not alive (also ones recorded before records
 * named an owner).
 */
import { recoverCheckouts, type RecoveryReport, settleDeadOwners } from '../recovery/settle';
import { every } from './every';

const PROMPT_MS = 1_000;
const THOROUGH_MS = 30_000;

function logSettled(report: RecoveryReport): void {
  if (report.completed.length + report.rolledBack.length > 0) console.warn(`Settled interrupted checkouts: ${JSON.stringify(report)}`);
}

export function startRecoverySweep(): void {
  every('checkout recovery', PROMPT_MS, async () => logSettled(await settleDeadOwners()), PROMPT_MS);
  every('stale checkout recovery', THOROUGH_MS, async () => logSettled(await recoverCheckouts()), THOROUGH_MS);
}

export { recoverCheckouts };

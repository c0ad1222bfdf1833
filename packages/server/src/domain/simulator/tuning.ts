/**
 * How the simulated network behaves for one project: the server's defaults (the config file's
 * delays and rules) with whatever the project changed through the settings API. A project's
 * changes apply to its own messages only (see "Tenancy" in docs/architecture.md).
 */
import type { OutcomeRule, SimulatedOutcome } from './outcomes.js';

/** The simulator's behaviour that can change at run time. */
export interface SimulatorTuning {
  /** Delay between lifecycle steps (submit answer, then receipt), ms. */
  readonly delayMs: number;
  /** Delay of a "delayed receipt" outcome, ms. */
  readonly delayedReceiptMs: number;
  /** Whether MMS get delivery receipts (real networks give none: MMS stop at `sent`). */
  readonly mmsReceipts: boolean;
  readonly rules: readonly OutcomeRule[];
}

/** A project's own changes; null follows the server's default. */
export type SimulatorOverrides = { readonly [K in keyof SimulatorTuning]: SimulatorTuning[K] | null };

/** A change of a project's overrides: an absent field stays as it is, null returns it to the default. */
export type SimulatorOverridesPatch = Partial<SimulatorOverrides>;

/** A project that changed nothing. */
export const NO_OVERRIDES: SimulatorOverrides = { delayMs: null, delayedReceiptMs: null, mmsReceipts: null, rules: null };

/** The longest submission delay the operator project may choose. */
export const OPERATOR_MAX_DELAY_MS = 600_000;

/**
 * The longest submission delay a project other than the operator's may choose. The simulator's
 * answer to a submission holds one of the dispatcher's batch slots for that long, so a tenant's
 * delay is kept short of the dispatch lease; the operator project may go to 600 s.
 */
export const TENANT_MAX_DELAY_MS = 10_000;

/** The behaviour a project's messages get. */
export function effectiveTuning(defaults: SimulatorTuning, own: SimulatorOverrides): SimulatorTuning {
  return {
    delayMs: own.delayMs ?? defaults.delayMs,
    delayedReceiptMs: own.delayedReceiptMs ?? defaults.delayedReceiptMs,
    mmsReceipts: own.mmsReceipts ?? defaults.mmsReceipts,
    rules: own.rules ?? defaults.rules,
  };
}

/** How long after acceptance a message with `outcome` reaches the handset and its receipt is due. */
export function receiptDelay(outcome: SimulatedOutcome, delays: Pick<SimulatorTuning, 'delayMs' | 'delayedReceiptMs'>): number {
  return outcome.kind === 'delivered' && outcome.receipt === 'delayed' ? delays.delayedReceiptMs : delays.delayMs;
}

/**
 * What the simulator API (an HTTP surface) may do to the simulated network: read and change a
 * project's delays and outcome rules, and inspect and steer the simulator's SMSC (shared: the
 * operator project's alone). The carriers implement these; the surface sees only these
 * interfaces, so adapters stay apart.
 */
import type { SimulatorOverridesPatch, SimulatorTuning } from '../simulator/tuning.js';

export type { SimulatorOverridesPatch, SimulatorTuning } from '../simulator/tuning.js';

/**
 * The built-in carrier, as the simulator API steers it. Behaviour is per project: the server's
 * defaults (config file) with each project's own changes, which apply to its messages only.
 */
export interface SimulatorControl {
  /** The behaviour `projectId`'s messages get. */
  settingsOf(projectId: string): Promise<SimulatorTuning>;
  /**
   * Change `projectId`'s own behaviour (null: back to the server's default); applies to what it
   * submits from now on. Returns the behaviour its messages now get.
   */
  updateSettings(projectId: string, patch: SimulatorOverridesPatch): Promise<SimulatorTuning>;
  /** The longest `delayMs` `projectId` may choose. */
  delayLimitMs(projectId: string): number;
}

/** Chaos switches of the simulator's SMSC, changed at run time through the simulator API or by tests. */
export interface SmscBehaviour {
  /** Most submit_sm per second per bind before ESME_RTHROTTLED (0: no limit). */
  readonly maxSubmitsPerSecond: number;
  /** Answer the next N submit_sm with ESME_RTHROTTLED. */
  readonly throttleNext: number;
  /** Delay every submit_sm_resp by this much (ms). */
  readonly responseDelayMs: number;
  /** Drop every bind after this many more submit_sm (the last one accepted but never answered); null: never. */
  readonly dropAfterSubmits: number | null;
  /** Refuse binds (ESME_RBINDFAIL). */
  readonly refuseBinds: boolean;
}

/** A message an ESME submitted, as the SMSC saw it (kept for inspection, bounded). */
export interface SmscSubmission {
  readonly id: string;
  readonly systemId: string;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly dataCoding: number;
  readonly concat: { reference: number; total: number; seq: number } | null;
  readonly registeredDelivery: number;
  readonly at: number;
}

/** One ESME bound to the SMSC. */
export interface SmscBind {
  readonly systemId: string;
  readonly mode: string;
  /** host:port of the ESME. */
  readonly remote: string;
  /** deliver_sm sent to it and not yet answered. */
  readonly awaitingResponses: number;
}

/** The SMSC's counters since it started. */
export interface SmscStats {
  binds: number;
  bindsRefused: number;
  submits: number;
  accepted: number;
  rejected: number;
  throttled: number;
  receiptsSent: number;
  moSent: number;
  delivers_retried: number;
  drops: number;
  protocolErrors: number;
}

/** A handset sending a message to an ESME through the SMSC. */
export interface MoInjection {
  readonly from: string;
  readonly to: string;
  readonly text: string;
  /** How a long text is split on the wire: UDH (8- or 16-bit reference), SAR TLVs, or one message_payload. */
  readonly split?: 'udh8' | 'udh16' | 'sar' | 'payload';
  /** The account whose receiving bind gets it (the configured one by default). */
  readonly systemId?: string;
  /** Part numbers (1-based) to lose on the way. */
  readonly loseParts?: readonly number[];
  /** Type of number on `from`, as SMSCs that write handsets without a + send it (automatic by default). */
  readonly fromTon?: number;
}

/** The simulator's SMSC, as the simulator API inspects and steers it. */
export interface SmscControl {
  /** The port it listens on. */
  readonly port: number;
  readonly stats: Readonly<SmscStats>;
  /** Receipts and MOs not yet acknowledged by an ESME. */
  readonly undelivered: number;
  getBehaviour(): SmscBehaviour;
  setBehaviour(patch: Partial<SmscBehaviour>): SmscBehaviour;
  /** Drop every bind now, without unbind (a network failure); returns how many there were. */
  dropBinds(): number;
  binds(): SmscBind[];
  /** The last submissions received, newest last. */
  submissions(): readonly SmscSubmission[];
  /** Send a mobile-originated message; returns the number of deliver_sm parts. */
  injectMo(mo: MoInjection): number;
}

declare module './bus.js' {
  interface BusTopics {
    /** A project's own simulator settings changed: every node drops its cached copy. */
    'simulator.settings.changed': { readonly projectId: string };
  }
}

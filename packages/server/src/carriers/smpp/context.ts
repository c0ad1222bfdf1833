/**
 * What the parts of one SMPP connector — bind pool, part queue, receipt ledger, MO assembler —
 * share: its configuration, its dependencies, the engine's sink and one set of counters, which the
 * carrier status reports together.
 */
import type { CarrierSink } from '../../domain/ports/carrier.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { Store } from '../../domain/ports/store.js';
import type { SmppConnectorConfig } from './config.js';

/** What an SMPP connector is given. */
export interface SmppConnectorDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly now: () => number;
}

/** Fresh counters, in the order the carrier status lists them. */
export function newCounters() {
  return {
    submitted: 0,
    accepted: 0,
    rejected: 0,
    throttled: 0,
    transient_errors: 0,
    resent: 0,
    /** submit_sm_resp for parts whose message had already gone back to the dispatcher (a stalled SMSC answering late). */
    late_answers: 0,
    /** Retries of messages given back with parts in a window that took those parts over instead of sending them again. */
    adopted: 0,
    /** Retries answered accepted without sending, every part having been accepted before (`accepted-before.ts`). */
    already_accepted: 0,
    binds: 0,
    bind_failures: 0,
    disconnects: 0,
    receipts: 0,
    receipts_intermediate: 0,
    /** Receipts whose stat word is not a known one: read as intermediate (see receipt.ts). */
    receipts_unknown_stat: 0,
    receipts_early: 0,
    receipts_orphaned: 0,
    receipts_duplicate: 0,
    /** Receipts for an id the SMSC reused that its dates could not tie to one of the id's parts: applied to none (receipt-match.ts). */
    receipts_ambiguous: 0,
    receipts_unreadable: 0,
    /** Accepted parts whose SMSC message id cannot be read in idFormat.submit (their receipts cannot correlate). */
    ids_unreadable: 0,
    /** query_sm sent for overdue receipts, and those the SMSC could not answer. */
    queries: 0,
    queries_failed: 0,
    mo_received: 0,
    mo_unrouted: 0,
    mo_incomplete: 0,
    /** Parts of a multipart MO received again (the SMSC resent one we had): acknowledged, not buffered twice. */
    mo_duplicate_parts: 0,
    /** Multipart MOs dropped for being longer than a handset can send (`MAX_MO_MESSAGE_CHARS`); their parts answered ESME_RX_P_APPN. */
    mo_too_long: 0,
    /** Parts of multipart MOs answered ESME_RX_T_APPN because the incomplete messages flushed to make room are not stored yet. */
    mo_deferred: 0,
    protocol_errors: 0,
    /** Times our answers backed up (the SMSC did not read them) and we stopped reading it until they drained. */
    writes_backed_up: 0,
  };
}

/** The connector's event counters (shown in the carrier status and as metrics). */
export type SmppCounters = ReturnType<typeof newCounters>;

/** Handed to each part of a connector. */
export interface SmppContext {
  readonly config: SmppConnectorConfig;
  readonly deps: SmppConnectorDeps;
  readonly counters: SmppCounters;
  /** The engine's sink, once the connector has started. */
  sink(): CarrierSink | undefined;
}

/**
 * The receipts the simulator's SMSC owes, kept in the database it shares with the server: a
 * message's row is written before its submit_sm_resp goes out and deleted once an ESME acknowledges
 * its receipt (or the SMSC gives the receipt up). A real SMSC keeps these on disk; kept only in
 * memory they died with the process, and a kill -9 left every message still awaiting its receipt
 * `sent` until receipt reconciliation gave up on it (30008, after 72 h: `query_sm` found nothing
 * either). At start the SMSC reads them back (`load`) and sends them again.
 *
 * Writes are group-committed through one ordered batcher, so a receipt's deletion never runs
 * before its row's insert.
 */
import type { Logger } from '../../../domain/ports/logger.js';
import type { SmscReceiptRecord, SmscReceiptRepository } from '../../../domain/ports/store.js';
import type { SimulatedOutcome } from '../../../domain/simulator/outcomes.js';
import { Batcher } from '../../../util/batcher.js';
import { RepeatedFailure } from '../../../util/log-limiter.js';
import { decodePdu, encodePdu, type Pdu } from '../../smpp/pdu/codec.js';
import type { DeliverSm } from './deliveries.js';

/** A receipt owed, as the SMSC uses it. */
export interface OwedReceipt {
  readonly seq: number;
  readonly systemId: string;
  readonly sourceAddr: string;
  readonly outcome: SimulatedOutcome;
  readonly dueAt: number;
  readonly pdu: DeliverSm;
}

type Op = { readonly kind: 'insert'; readonly row: SmscReceiptRecord } | { readonly kind: 'delete'; readonly seq: number };

const PAGE = 1000;

export class OwedReceipts {
  private readonly writes: Batcher<Op, void>;
  private readonly deleteFailures: RepeatedFailure;

  constructor(
    private readonly repository: SmscReceiptRepository,
    /** The SMSC's identity: its configured address (`host:port`). */
    private readonly smsc: string,
    private readonly deps: { readonly logger: Logger; readonly now: () => number },
  ) {
    this.writes = new Batcher((ops) => this.flush(ops), 2000);
    this.deleteFailures = new RepeatedFailure(deps.logger, 'warn', 'forgetting acknowledged simulator SMSC receipts failed; they are sent again after a restart', 'forgetting simulator SMSC receipts succeeds again');
  }

  /** Keep `r`; resolves once committed (the submit_sm_resp waits for it), rejects when storage refused it. */
  record(r: OwedReceipt): Promise<void> {
    const receipt = encodePdu({ ...r.pdu, sequence: 0 } as Pdu);
    return this.writes.add({ kind: 'insert', row: { smsc: this.smsc, seq: r.seq, systemId: r.systemId, sourceAddr: r.sourceAddr, outcome: JSON.stringify(r.outcome), dueAt: r.dueAt, receipt, createdAt: this.deps.now() } });
  }

  /** An ESME acknowledged the receipt of `seq`, or it was given up: forget it. */
  settled(seq: number): void {
    this.writes.add({ kind: 'delete', seq }).then(
      () => this.deleteFailures.succeeded(),
      (err: unknown) => this.deleteFailures.failed(err, { smsc: this.smsc }),
    );
  }

  /** Every receipt this SMSC owes, page by page. */
  async *load(): AsyncGenerator<OwedReceipt[]> {
    for (let after = 0; ; ) {
      const rows = await this.repository.listOwed(this.smsc, after, PAGE);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.seq;
      const owed: OwedReceipt[] = [];
      for (const row of rows) {
        const decoded = decodePdu(row.receipt);
        if (!decoded.ok || decoded.pdu.command !== 'deliver_sm') continue;
        const { sequence: _sequence, ...pdu } = decoded.pdu;
        owed.push({ seq: row.seq, systemId: row.systemId, sourceAddr: row.sourceAddr, outcome: JSON.parse(row.outcome) as SimulatedOutcome, dueAt: row.dueAt, pdu });
      }
      yield owed;
    }
  }

  /** Wait for the writes queued so far. */
  drain(): Promise<void> {
    return this.writes.drain();
  }

  private async flush(ops: Op[]): Promise<void[]> {
    const inserts = ops.flatMap((o) => (o.kind === 'insert' ? [o.row] : []));
    const deletes = ops.flatMap((o) => (o.kind === 'delete' ? [o.seq] : []));
    // Inserts first: a deletion in the same batch is always of a receipt recorded before it.
    if (inserts.length) await this.repository.insertMany(inserts);
    if (deletes.length) await this.repository.deleteMany(this.smsc, deletes);
    return ops.map(() => undefined);
  }
}

/**
 * Messages handed to a carrier whose answer is not recorded yet. A receipt can overtake the
 * carrier's submit answer (the simulator with no delay; SMPP receipts racing `submit_sm_resp`);
 * such receipts are held here and released right after `sent` is recorded, so every message's
 * history reads `sent` before `delivered`.
 */
import type { StatusReport } from '../../domain/ports/carrier.js';

export class SubmissionsInFlight {
  private readonly held = new Map<string, StatusReport[] | null>();

  /** Mark messages as being submitted. */
  begin(messageIds: readonly string[]): void {
    for (const id of messageIds) if (!this.held.has(id)) this.held.set(id, null);
  }

  /** Hold the report if its message is mid-submit; returns false when it can be recorded now. */
  holdIfEarly(report: StatusReport): boolean {
    if (!this.held.has(report.messageId)) return false;
    const list = this.held.get(report.messageId);
    if (list) list.push(report);
    else this.held.set(report.messageId, [report]);
    return true;
  }

  /** The submit answers are recorded: returns the receipts that waited for them. */
  end(messageIds: readonly string[]): StatusReport[] {
    const out: StatusReport[] = [];
    for (const id of messageIds) {
      const list = this.held.get(id);
      this.held.delete(id);
      if (list) out.push(...list);
    }
    return out;
  }

  get size(): number {
    return this.held.size;
  }
}

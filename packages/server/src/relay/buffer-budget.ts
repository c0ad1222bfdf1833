/**
 * One memory budget for every buffered RELAY event on this node (live sessions' unacknowledged
 * events and parked sessions' missed ones), so the total stays bounded whatever clients do.
 */
export class BufferBudget {
  private usedBytes = 0;

  constructor(readonly maxBytes: number) {}

  get used(): number {
    return this.usedBytes;
  }

  /** Reserve room for an event; false (nothing reserved) when the budget is spent. */
  take(bytes: number): boolean {
    if (this.usedBytes + bytes > this.maxBytes) return false;
    this.usedBytes += bytes;
    return true;
  }

  give(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
  }
}

/** Bytes an event is charged for (its params are shared between sessions, so this over-counts safely). */
export function eventCost(params: string): number {
  return params.length + 96;
}

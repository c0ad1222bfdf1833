/**
 * The manual simulator clock's position (`simulator.clock: "manual"`), shared by every node using
 * the database and kept across restarts. It only moves forward.
 */
export interface SimulatorClockRepository {
  /** The stored position (ms since the epoch), or undefined when none was stored yet. */
  get(): Promise<number | undefined>;
  /**
   * The stored position, else `candidate`, stored now. Nodes racing to store it all get the one
   * that was stored first.
   */
  getOrStart(candidate: number, at: number): Promise<number>;
  /**
   * Move the stored position forward by `ms` in one statement, so advances made at once (on one
   * node or several) add up; returns the new position. With none stored yet, `from` is the start.
   */
  advance(ms: number, from: number, at: number): Promise<number>;
}

/**
 * The most objects of each kind one project may keep (settings `projects.max*`), so no set of
 * valid credentials can fill the node's storage. Defaults are Twilio's documented account limits
 * where it documents one (1,000 applications, error 21301; 10,000 Messaging Services, error 30995);
 * Twilio and SignalWire document no limit on an account's phone numbers, so theirs is one no
 * normal customer reaches.
 */
export interface ProjectLimits {
  readonly numbers: number;
  readonly numberGroups: number;
  readonly applications: number;
  /**
   * Entries of the project's opt-out lists past which the API adds no more (a handset's STOP is
   * recorded however many there are). Neither Twilio nor SignalWire documents a limit on an
   * opt-out list; a million is more than a sender's real list and bounds a project's rows.
   */
  readonly optOuts: number;
}

export const DEFAULT_PROJECT_LIMITS: ProjectLimits = { numbers: 10_000, numberGroups: 10_000, applications: 1_000, optOuts: 1_000_000 };

/** Which carriers' jobs this node may take and which carriers it can submit to now. */
export interface CarrierAvailability {
  /** Carrier ids whose pinned jobs this node may claim; undefined: every job (one node owns everything). */
  claimable(): readonly string[] | undefined;
  /** Whether this node can submit to the carrier now. */
  isLocal(carrierId: string): boolean;
}

/** A single node owns every carrier. */
export const ALL_CARRIERS_LOCAL: CarrierAvailability = { claimable: () => undefined, isLocal: () => true };

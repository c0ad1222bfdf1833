import type { SimulatorOverrides, SimulatorOverridesPatch } from '../../simulator/tuning.js';

/** Each project's own simulator behaviour (the settings API), shared by every node. */
export interface SimulatorSettingsRepository {
  /** What `projectId` changed; every field null when it changed nothing. */
  get(projectId: string): Promise<SimulatorOverrides>;
  /**
   * Write the fields the patch names (null clears one) and leave the others, so concurrent
   * changes of different fields both hold; returns the project's overrides after the change.
   */
  update(projectId: string, patch: SimulatorOverridesPatch, at: number): Promise<SimulatorOverrides>;
}

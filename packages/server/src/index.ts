/**
 * The server package's public entry: start a whole server (`startSwitchboard`), or build the engine
 * on your own adapters (`createEngine`) — the same engine every surface of the server uses.
 */
export { startSwitchboard, settingsFromEnvironment, openStore, openBus, VERSION, type StartOptions, type SwitchboardHandle, type ResolvedSettings } from './main.js';
export { createEngine, type Engine, type EngineOptions, type EnginePorts, type EngineReads, type WebhookPlanner } from './engine/index.js';
export { ManualClock, systemClock, type Clock } from './domain/clock.js';

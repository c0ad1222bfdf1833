/**
 * What a node says when a parked session ends before its client came back: one metric and one log
 * line, the same for the in-memory store and the one shared through the database.
 */
import type { Logger } from 'pino';
import type { RelayMetrics } from '../domain/ports/metrics.js';
import type { ParkedSessionEnd } from '../domain/ports/relay-resume.js';

const REASONS: Partial<Record<ParkedSessionEnd, string>> = {
  overflow: 'RELAY session dropped: its buffer of missed events is full',
  crowded: 'RELAY session dropped: its project parked more sessions than relay.maxSessionsPerProject',
  revoked: 'RELAY session ended while parked: its API token was revoked',
};

export function parkedSessionDropped(metrics: RelayMetrics, logger: Logger): (protocol: string, why: ParkedSessionEnd) => void {
  return (protocol, why) => {
    // Revoked as a live session's token is: ended, not lost to a limit.
    metrics.relaySessionEvent(why === 'expired' ? 'expired' : why === 'revoked' ? 'ended' : 'lost');
    const reason = REASONS[why];
    if (reason) logger.info({ protocol }, reason);
  };
}

/**
 * Test support, not used by the server: `buildTestEngine` builds the engine the way main.ts does,
 * from ports, with no network port: the store and bus the test opens (in-memory SQLite and the
 * in-process bus — this folder imports no adapter, by the layering rules), a ManualClock,
 * sequential ids, a scripted carrier, counting metrics and a recording logger; and it bootstraps a
 * project with two numbers. Tests drive it with promises: `statuses.reached(id, status)` for a bus
 * event, `carrier.submitted(n)` for a submission, and `clock.advance` + `engine.wake()` for due times.
 */
import { isTerminalStatus, type BackoffPolicy, type MessageStatus } from '@switchboard/protocol';
import { ManualClock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import type { MessageRecord } from '../../domain/message.js';
import type { Bus, MessageStatusEvent } from '../../domain/ports/bus.js';
import type { Carrier } from '../../domain/ports/carrier.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { EngineMetrics } from '../../domain/ports/metrics.js';
import type { Store } from '../../domain/ports/store.js';
import type { ProjectRecord } from '../../domain/project.js';
import type { SendInput } from '../../domain/send-request.js';
import { createEngine, type Engine, type EngineOptions, type WebhookPlanner } from '../index.js';
import { ObservedStore } from './observed-store.js';
import { ScriptedCarrier } from './scripted-carrier.js';

/** The numbers the test project owns; inbound messages to them go to the RELAY context `TEST_CONTEXT`. */
export const TEST_NUMBERS = ['+15550000001', '+15550000002'] as const;
export const TEST_CONTEXT = 'office';
/** A destination nobody on this server owns. */
export const HANDSET = '+15559990001';

/**
 * Carrier retries: far longer than any test runs, so the dispatcher's real retry timer never fires
 * and only `clock.advance` + `engine.wake()` bring a retry due.
 */
export const TEST_RETRY: BackoffPolicy = { initialMs: 60_000, maxMs: 600_000 };

/** Ids that read well in failures: UUID-shaped, numbered in order of creation. */
export class SequentialIds implements IdGenerator {
  private n = 0;
  uuid(): string {
    return `00000000-0000-4000-8000-${(++this.n).toString(16).padStart(12, '0')}`;
  }
}

/** Metrics that count what the engine reported. */
export class CountingMetrics implements EngineMetrics {
  /** Transitions reported, by status. */
  readonly transitioned: Partial<Record<MessageStatus, number>> = {};
  /** Carrier answers reported, by `carrier:outcome`. */
  readonly submitted: Record<string, number> = {};
  dispatchLatencies = 0;

  messagesTransitioned(status: MessageStatus, count: number): void {
    this.transitioned[status] = (this.transitioned[status] ?? 0) + count;
  }
  dispatchLatency(): void {
    this.dispatchLatencies++;
  }
  carrierSubmitted(carrier: string, outcome: string, count: number): void {
    this.submitted[`${carrier}:${outcome}`] = (this.submitted[`${carrier}:${outcome}`] ?? 0) + count;
  }
  webhookOutcome(): void {}
  /** Opt-out confirmation replies dropped, by action. */
  readonly repliesDropped: Record<string, number> = {};
  optOutReplyDropped(action: string): void {
    this.repliesDropped[action] = (this.repliesDropped[action] ?? 0) + 1;
  }
  /** Rows deleted by retention, by table. */
  readonly pruned: Record<string, number> = {};
  rowsPruned(table: string, count: number): void {
    this.pruned[table] = (this.pruned[table] ?? 0) + count;
  }
}

/** A logger that keeps what it was told. */
export class RecordingLogger implements Logger {
  readonly entries: Array<{ readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly obj: object; readonly msg: string | undefined }> = [];
  debug(obj: object, msg?: string): void {
    this.entries.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string): void {
    this.entries.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.entries.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.entries.push({ level: 'error', obj, msg });
  }
  /** Messages logged at `level`. */
  messages(level: 'debug' | 'info' | 'warn' | 'error'): Array<string | undefined> {
    return this.entries.filter((e) => e.level === level).map((e) => e.msg);
  }
}

/** Every `message.status` event published on a bus, in order, and waits for the next ones. */
export class StatusLog {
  readonly events: MessageStatusEvent[] = [];
  private readonly waiters = new Set<{ messageId: string; status: MessageStatus; resolve: (e: MessageStatusEvent) => void; reject: (err: Error) => void }>();

  constructor(bus: Bus) {
    bus.subscribe('message.status', (e) => {
      this.events.push(e);
      for (const w of this.waiters) {
        if (w.messageId !== e.message.id) continue;
        if (e.status === w.status) w.resolve(e);
        else if (isTerminalStatus(e.status)) w.reject(new Error(`message ${w.messageId} ended ${e.status} (${e.message.reason ?? 'no reason'}), not ${w.status}`));
        else continue;
        this.waiters.delete(w);
      }
    });
  }

  /** The statuses published for a message, in order. */
  of(messageId: string): MessageStatus[] {
    return this.events.filter((e) => e.message.id === messageId).map((e) => e.status);
  }

  /** Resolves with the event of `messageId` entering `status` (at once if it was published already); rejects if it ends otherwise. */
  reached(messageId: string, status: MessageStatus): Promise<MessageStatusEvent> {
    const seen = this.events.find((e) => e.message.id === messageId && e.status === status);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => this.waiters.add({ messageId, status, resolve, reject }));
  }
}

/** The engine under test and everything it was built from. */
export interface TestEngine {
  readonly engine: Engine;
  readonly store: ObservedStore;
  readonly bus: Bus;
  readonly clock: ManualClock;
  readonly ids: SequentialIds;
  readonly carrier: ScriptedCarrier;
  readonly statuses: StatusLog;
  readonly metrics: CountingMetrics;
  readonly logger: RecordingLogger;
  readonly project: ProjectRecord;
  /** Accept a message from the project's first number to `HANDSET` (or as `input` says). */
  send(input?: Partial<SendInput>): Promise<MessageRecord>;
  /** The stored state of a message of the project. */
  message(id: string): Promise<MessageRecord>;
  /** The statuses of a message's stored event rows, in order. */
  timeline(id: string): Promise<MessageStatus[]>;
  /** Stop the engine and close the store (an engine sharing the store after a restart: `engine.stop()` only). */
  close(): Promise<void>;
}

export interface TestEngineSettings {
  /** Share these with an earlier engine on the same store (a restart). */
  readonly clock?: ManualClock;
  readonly ids?: SequentialIds;
  readonly carrier?: ScriptedCarrier;
  /** More carriers beside the scripted one (route to one with `options.defaultCarrier` or `options.routes`). */
  readonly carriers?: readonly Carrier[];
  readonly planners?: readonly WebhookPlanner[];
  readonly options?: Partial<EngineOptions>;
}

/** Build an engine on `adapters` and bootstrap its project (not started: call `engine.start()`). */
export async function buildTestEngine(adapters: { readonly store: Store; readonly bus: Bus }, settings: TestEngineSettings = {}): Promise<TestEngine> {
  const store = new ObservedStore(adapters.store);
  const { bus } = adapters;
  const clock = settings.clock ?? new ManualClock();
  const ids = settings.ids ?? new SequentialIds();
  const carrier = settings.carrier ?? new ScriptedCarrier(clock);
  const metrics = new CountingMetrics();
  const logger = new RecordingLogger();
  const statuses = new StatusLog(bus);
  const engine = createEngine(
    { store, bus, clock, ids, logger, metrics, carriers: [carrier, ...(settings.carriers ?? [])], planners: settings.planners ?? [] },
    {
      nodeId: 'test-node',
      instanceId: 'TEST',
      roles: ['dispatch'],
      routes: [],
      defaultCarrier: carrier.descriptor.id,
      pricing: null,
      sendRules: { refusePrivateCallbacks: false },
      dispatch: { batchSize: 100, concurrency: 2, leaseMs: 30_000, retry: TEST_RETRY },
      inferSentFromReceipts: false,
      cluster: null,
      // The scripted carrier is not the simulator: without this its long codes would send 1 segment/s.
      senderRates: { defaults: { longcode: 0, 'toll-free': 0, shortcode: 0 }, queueLimitSeconds: 36_000 },
      ...settings.options,
    },
  );
  const { project } = await engine.bootstrap({ projectId: null, projectName: 'Test project', apiToken: null, signingKey: null, numbers: [...TEST_NUMBERS], relayContext: TEST_CONTEXT });
  const send = (input: Partial<SendInput> = {}) =>
    engine.acceptor.accept(project.id, { to: HANDSET, from: TEST_NUMBERS[0], body: 'Hello from the engine tests', media: undefined, callbackFormat: 'json', origin: 'rest', ...input });
  const message = async (id: string) => {
    const m = await engine.reads.messages.get(project.id, id);
    if (!m) throw new Error(`message ${id} is not stored`);
    return m;
  };
  const timeline = async (id: string) => (await engine.reads.events.listForMessage(project.id, id)).map((e) => e.status);
  const close = async () => {
    await engine.stop();
    await store.close();
  };
  return { engine, store, bus, clock, ids, carrier, statuses, metrics, logger, project, send, message, timeline, close };
}

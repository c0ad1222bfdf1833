/**
 * `RestClient`: the native REST API (messages, logs, phone numbers) and the Compatibility
 * Messages API over `fetch`, with HTTP Basic `project:token`. Lists come back one page at a time
 * with `next()`, or as async iterators over every item.
 */
import { COMPAT_URI_PREFIX, type MessageLog, type NativeMessage, type NativePage, type PhoneNumber, type RegisterPhoneNumberRequest, type SendMessageRequest, type UpdatePhoneNumberRequest } from '@switchboard/protocol';
import { resolveCredentials, resolveEndpoint } from '../endpoint.js';
import type { CompatCreateMessage, CompatListMessages, CompatMessage, CompatMessagePage } from './compat-types.js';
import { RestError } from './rest-error.js';

/** Options of `new RestClient()`. */
export interface RestClientOptions {
  /** Project ID; default `SIGNALWIRE_PROJECT_ID`. */
  project?: string;
  /** API token; default `SIGNALWIRE_API_TOKEN`. */
  token?: string;
  /** Host name with optional port, or an `http(s)://` URL; default `SIGNALWIRE_SPACE`, then `127.0.0.1:8080`. */
  host?: string;
  /** Per-request timeout in ms (default 30 000). */
  timeoutMs?: number;
}

/** One page of a native list, with a way to the next one. */
export interface Page<T> {
  readonly data: T[];
  readonly links: NativePage<T>['links'];
  /** The next page, or null on the last one. */
  next(): Promise<Page<T> | null>;
}

/** Query of `GET /api/messaging/logs`. */
export interface LogQuery {
  page_size?: number;
  created_before?: string;
  created_on?: string;
  created_after?: string;
  include_deleted?: boolean;
}

/** Query of `GET /api/relay/rest/phone_numbers`. */
export interface PhoneNumberQuery {
  page_size?: number;
  filter_name?: string;
  filter_number?: string;
}

/** One page of the compat list, with a way to the next one. */
export interface CompatPage extends CompatMessagePage {
  next(): Promise<CompatPage | null>;
}

/** The simulator clock, on a server started with `simulator.clock: "manual"`. */
export interface SimulatorClock {
  /** The server's time, ISO 8601. */
  readonly now: string;
  readonly mode: 'manual';
}

type Query = Record<string, string | number | boolean | undefined>;

/** A client of the native REST API and the Compatibility Messages API. */
export class RestClient {
  /** Project ID (also the compat `AccountSid`). */
  readonly project: string;
  /** `http(s)://host[:port]`. */
  readonly baseUrl: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;

  /** Native messaging: send, redact, logs. */
  readonly messaging = {
    /** `POST /api/messaging/messages`: send an SMS/MMS; resolves with the queued message. */
    send: (request: SendMessageRequest): Promise<NativeMessage> => this.json('POST', '/api/messaging/messages', request),
    /** `PATCH /api/messaging/messages/{id}`: redact a finished message's body. */
    redact: (id: string): Promise<NativeMessage> => this.json('PATCH', `/api/messaging/messages/${encodeURIComponent(id)}`, { body: '' }),
    /** `GET /api/messaging/logs/{id}`; a message deleted through the Compatibility API is 404 unless `include_deleted`. */
    getLog: (id: string, query: { include_deleted?: boolean } = {}): Promise<MessageLog> => this.json('GET', `/api/messaging/logs/${encodeURIComponent(id)}${queryString(query)}`),
    /** `GET /api/messaging/logs`: the first page, newest first. */
    listLogs: (query: LogQuery = {}): Promise<Page<MessageLog>> => this.page(`/api/messaging/logs${queryString(query)}`),
    /** Every log entry, page after page. */
    logs: (query: LogQuery = {}): AsyncIterable<MessageLog> => iterate(() => this.messaging.listLogs(query), (page) => page.data),
  };

  /** Phone numbers: `/api/relay/rest/phone_numbers`. */
  readonly phoneNumbers = {
    /** The first page of the project's numbers. */
    list: (query: PhoneNumberQuery = {}): Promise<Page<PhoneNumber>> => this.page(`/api/relay/rest/phone_numbers${queryString(query)}`),
    /** Every number, page after page. */
    all: (query: PhoneNumberQuery = {}): AsyncIterable<PhoneNumber> => iterate(() => this.phoneNumbers.list(query), (page) => page.data),
    /** One number by id. */
    get: (id: string): Promise<PhoneNumber> => this.json('GET', `/api/relay/rest/phone_numbers/${encodeURIComponent(id)}`),
    /** Register a number with the project (there is no purchasing on Switchboard). */
    register: (request: RegisterPhoneNumberRequest): Promise<PhoneNumber> => this.json('POST', '/api/relay/rest/phone_numbers', request),
    /** Change a number's name, capabilities or message handler. */
    update: (id: string, request: UpdatePhoneNumberRequest): Promise<PhoneNumber> => this.json('PUT', `/api/relay/rest/phone_numbers/${encodeURIComponent(id)}`, request),
    /** Release a number from the project. */
    delete: async (id: string): Promise<void> => {
      await this.call('DELETE', `/api/relay/rest/phone_numbers/${encodeURIComponent(id)}`);
    },
  };

  /** The Compatibility (Twilio-shaped) Messages API under `/api/laml/2010-04-01/Accounts/{project}`. */
  readonly compat = {
    messages: {
      /** Send; form-encoded like the Twilio SDKs. */
      create: (params: CompatCreateMessage): Promise<CompatMessage> => this.form('POST', this.compatPath('/Messages.json'), params),
      /** One message by sid. */
      get: (sid: string): Promise<CompatMessage> => this.json('GET', this.compatPath(`/Messages/${encodeURIComponent(sid)}.json`)),
      /** The first page, newest first. */
      list: (query: CompatListMessages = {}): Promise<CompatPage> => this.compatPage(this.compatPath(`/Messages.json${queryString(query as Query)}`)),
      /** Every message, page after page. */
      all: (query: CompatListMessages = {}): AsyncIterable<CompatMessage> => iterate(() => this.compat.messages.list(query), (page) => page.messages),
      /** Redact a finished message's body (`Body=""`). */
      redact: (sid: string): Promise<CompatMessage> => this.form('POST', this.compatPath(`/Messages/${encodeURIComponent(sid)}.json`), { Body: '' }),
      /** Delete a finished message. */
      delete: async (sid: string): Promise<void> => {
        await this.call('DELETE', this.compatPath(`/Messages/${encodeURIComponent(sid)}.json`));
      },
    },
  };

  /**
   * The simulator clock: on a server started with `SWITCHBOARD_SIMULATOR_CLOCK=manual`, time
   * stands still until a test moves it, and delays, receipts, callback retries, expiry and
   * scheduled sends follow it. On the wall clock both calls fail with a 409 `RestError`.
   */
  readonly simulator = {
    /** `GET /api/simulator/clock`. */
    clock: (): Promise<SimulatorClock> => this.json('GET', '/api/simulator/clock'),
    /** `POST /api/simulator/clock/advance`: move time forward by `ms` (scope `management`); resolves with the new time. */
    advanceClock: (ms: number): Promise<SimulatorClock> => this.json('POST', '/api/simulator/clock/advance', { ms }),
  };

  /**
   * @param options credentials and host; fall back to `SIGNALWIRE_PROJECT_ID`,
   *   `SIGNALWIRE_API_TOKEN` and `SIGNALWIRE_SPACE`
   */
  constructor(options: RestClientOptions = {}) {
    const creds = resolveCredentials(options);
    this.project = creds.project;
    this.baseUrl = resolveEndpoint(creds.host).restUrl;
    this.authorization = `Basic ${base64(`${creds.project}:${creds.token}`)}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  private compatPath(rest: string): string {
    return `${COMPAT_URI_PREFIX}/Accounts/${encodeURIComponent(this.project)}${rest}`;
  }

  private async call(method: string, path: string, body?: { type: string; text: string }): Promise<unknown> {
    const url = /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    if (body) headers['content-type'] = body.type;
    const res = await fetch(url, { method, headers, ...(body ? { body: body.text } : {}), signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await res.text();
    let parsed: unknown = text;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) throw new RestError(res.status, parsed, method, url);
    return text ? parsed : undefined;
  }

  private json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.call(method, path, body === undefined ? undefined : { type: 'application/json', text: JSON.stringify(body) }) as Promise<T>;
  }

  private form<T>(method: string, path: string, fields: object): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
      else params.append(k, String(v));
    }
    return this.call(method, path, { type: 'application/x-www-form-urlencoded', text: params.toString() }) as Promise<T>;
  }

  private async page<T>(path: string): Promise<Page<T>> {
    const body = (await this.json<NativePage<T>>('GET', path)) ?? { data: [], links: { self: path, first: path } };
    const nextLink = body.links?.next;
    return {
      data: body.data ?? [],
      links: body.links,
      next: () => (nextLink ? this.page<T>(nextLink) : Promise.resolve(null)),
    };
  }

  private async compatPage(path: string): Promise<CompatPage> {
    const body = await this.json<CompatMessagePage>('GET', path);
    return { ...body, next: () => (body.next_page_uri ? this.compatPage(body.next_page_uri) : Promise.resolve(null)) };
  }
}

/** Every item of a list, fetching page after page from the first. */
function iterate<P extends { next(): Promise<P | null> }, T>(first: () => Promise<P>, items: (page: P) => readonly T[]): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: async function* () {
      for (let page: P | null = await first(); page; page = await page.next()) yield* items(page);
    },
  };
}

function queryString(query: Query | object): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.append(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

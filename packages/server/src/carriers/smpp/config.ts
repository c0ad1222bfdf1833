/**
 * The `smpp` section of the config file: connectors and the routes from destination prefixes to
 * them. Checked once at boot; the first bad value stops the start with an error naming it
 * (`smpp.connectors[0].window must be a whole number from 1 to 1000`). docs/carriers/smpp.md
 * documents every key; keep the two in step.
 */
import { didYouMean } from '../../domain/closest-name.js';
import { parseNumberPrefix, unmatchablePrefix } from '../../domain/phone-numbers.js';
import { errorKeyForCompatCode, ERRORS, type ErrorKey } from '@switchboard/protocol';
import type { IdFormat } from './message-ids.js';
import type { ReceiptReading } from './receipt.js';
import type { GsmWireEncoding, SplitMethod } from './text.js';

/** The default of `stalledAfterMs` when the response timeout is longer. */
const DEFAULT_STALLED_AFTER_MS = 10_000;

/** Which part's receipt decides a multipart message's final state. */
export type ReceiptPolicy = 'all' | 'first' | 'last';

/** One SMPP connector, fully resolved. */
export interface SmppConnectorConfig {
  /** Carrier id: used in routes, metrics and the `carrier` field of messages. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly tls: null | { readonly rejectUnauthorized: boolean; readonly caFile: string | null; readonly servername: string | null };
  readonly systemId: string;
  readonly password: string;
  readonly systemType: string;
  /** `transceiver`: every bind sends and receives; `transmitter-receiver`: separate binds. */
  readonly bindMode: 'transceiver' | 'transmitter-receiver';
  /** Binds that send (transceivers or transmitters). */
  readonly binds: number;
  /** Receiver binds (transmitter-receiver mode only). */
  readonly receivers: number;
  /** Most submit_sm awaiting an answer, per bind. */
  readonly window: number;
  /** Parts per second for the whole connector; 0 = no limit. */
  readonly throughput: number;
  readonly source: { readonly ton: number | null; readonly npi: number | null };
  readonly destination: { readonly ton: number; readonly npi: number };
  readonly addressRange: string;
  /** Calling code (digits) for national-format numbers on MOs; null: national numbers are not placed. */
  readonly nationalCountryCode: string | null;
  /** How MO numbers with TON 0 (unknown) are read: international without the +, or national (needs `nationalCountryCode`). */
  readonly unknownTon: 'international' | 'national';
  readonly gsmEncoding: GsmWireEncoding;
  readonly split: SplitMethod;
  /** registered_delivery: receipts on final outcome, on failure only, or none. */
  readonly registeredDelivery: 'final' | 'failure' | 'none';
  readonly receiptPolicy: ReceiptPolicy;
  readonly idFormat: { readonly submit: IdFormat; readonly receipt: IdFormat };
  readonly serviceType: string;
  readonly enquireLinkMs: number;
  readonly responseTimeoutMs: number;
  /**
   * No submit_sm answered for this long (across rebinds) and the connector gives back every message
   * it holds, those in a window too (their retries wait for those parts' answers rather than send
   * them again); `responseTimeoutMs` unless set, at most DEFAULT_STALLED_AFTER_MS.
   */
  readonly stalledAfterMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** Receipts for ids not known yet wait this long for their submit_sm_resp. */
  readonly earlyReceiptHoldMs: number;
  /** A multipart MO still incomplete after this is delivered with the parts that came. */
  readonly moReassemblyMs: number;
  /** Transient SMSC errors tolerated per part before the message goes back to the engine. */
  readonly maxSubmitAttempts: number;
  /** Extra mappings onto the error catalogue. */
  readonly errors: { readonly submit: ReadonlyMap<number, ErrorKey>; readonly receipt: ReadonlyMap<string, ErrorKey> };
  /** The carrier's own receipt `stat:` words (upper case) and how to read them; before the built-in ones. */
  readonly receiptStats: ReadonlyMap<string, ReceiptReading>;
  /** Part records are kept this long for receipt correlation (hours). */
  readonly partRetentionHours: number;
  /** The SMSC's receipt dates are this many minutes ahead of UTC (its local time); 0 for UTC. */
  readonly receiptDateOffsetMinutes: number;
}

/** A destination prefix and the connector that takes it. */
export interface SmppRoute {
  readonly prefix: string;
  readonly carrier: string;
}

export interface SmppSection {
  readonly connectors: SmppConnectorConfig[];
  readonly routes: SmppRoute[];
}

/** A bad value in the `smpp` section; the message names the key. */
export class SmppConfigError extends Error {}

type Obj = Record<string, unknown>;

function fail(path: string, why: string): never {
  throw new SmppConfigError(`${path} ${why}`);
}

function int(o: Obj, key: string, path: string, min: number, max: number, dflt?: number): number {
  const v = o[key];
  if (v === undefined) {
    if (dflt === undefined) fail(`${path}.${key}`, 'is required');
    return dflt;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${path}.${key}`, `must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
  return v;
}

function str(o: Obj, key: string, path: string, maxLen: number, dflt?: string): string {
  const v = o[key];
  if (v === undefined) {
    if (dflt === undefined) fail(`${path}.${key}`, 'is required');
    return dflt;
  }
  if (typeof v !== 'string') fail(`${path}.${key}`, 'must be a string');
  // SMPP strings are ASCII (Latin-1 at most) of bounded length.
  if (v.length > maxLen || !/^[\x20-\x7e]*$/.test(v)) fail(`${path}.${key}`, `must be printable ASCII of at most ${maxLen} characters`);
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[], dflt: T): T {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(`${path}.${key}`, `must be one of ${values.join(', ')} (got ${JSON.stringify(v)})`);
  return v as T;
}

function bool(o: Obj, key: string, path: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(`${path}.${key}`, 'must be true or false');
  return v;
}

function obj(v: unknown, path: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, 'must be an object');
  return v as Obj;
}

function deliveryError(v: unknown, path: string): ErrorKey {
  const key = typeof v === 'number' ? errorKeyForCompatCode(v) : typeof v === 'string' && v in ERRORS ? (v as ErrorKey) : undefined;
  if (!key || ERRORS[key].category !== 'delivery') fail(path, `must be a delivery error code such as 30003 (got ${JSON.stringify(v)})`);
  return key;
}

const ID_FORMATS = ['text', 'hex', 'decimal'] as const;
const KNOWN_KEYS = new Set([
  'id', 'host', 'port', 'tls', 'systemId', 'password', 'systemType', 'bindMode', 'binds', 'receivers', 'window', 'throughput', 'source', 'destination', 'addressRange',
  'nationalCountryCode', 'unknownTon', 'gsmEncoding', 'split', 'registeredDelivery', 'receiptPolicy', 'idFormat', 'serviceType', 'enquireLinkMs', 'responseTimeoutMs', 'stalledAfterMs', 'connectTimeoutMs', 'reconnectMinMs',
  'reconnectMaxMs', 'earlyReceiptHoldMs', 'moReassemblyMs', 'maxSubmitAttempts', 'errors', 'partRetentionHours', 'receiptStats',
  'receiptDateOffsetMinutes',
]);
const READINGS = ['delivered', 'undelivered', 'expired', 'rejected', 'intermediate'] as const;

function receiptStats(v: unknown, path: string): Map<string, ReceiptReading> {
  const out = new Map<string, ReceiptReading>();
  for (const [k, reading] of Object.entries(v === undefined ? {} : obj(v, path))) {
    if (!/^[0-9A-Za-z_]{1,15}$/.test(k)) fail(path, `keys must be stat words such as "FAILED" (got ${JSON.stringify(k)})`);
    if (typeof reading !== 'string' || !(READINGS as readonly string[]).includes(reading)) fail(`${path}.${k}`, `must be one of ${READINGS.join(', ')} (got ${JSON.stringify(reading)})`);
    out.set(k.toUpperCase(), reading as ReceiptReading);
  }
  return out;
}

function countryCode(v: unknown, path: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !/^[1-9]\d{0,2}$/.test(v)) fail(path, `must be a country calling code such as "1" or "44" (got ${JSON.stringify(v)})`);
  return v;
}

function parseConnector(raw: unknown, path: string): SmppConnectorConfig {
  const o = obj(raw, path);
  for (const k of Object.keys(o)) if (!KNOWN_KEYS.has(k)) fail(`${path}.${k}`, `is not a connector setting${didYouMean(k, KNOWN_KEYS)} (see docs/carriers/smpp.md)`);
  const id = str(o, 'id', path, 64);
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(id)) fail(`${path}.id`, 'must be letters, digits, - and _');
  if (id === 'simulator') fail(`${path}.id`, 'must not be "simulator" (that is the built-in carrier)');
  const bindMode = oneOf(o, 'bindMode', path, ['transceiver', 'transmitter-receiver'] as const, 'transceiver');
  let tls: SmppConnectorConfig['tls'] = null;
  if (o.tls === true) tls = { rejectUnauthorized: true, caFile: null, servername: null };
  else if (o.tls !== undefined && o.tls !== false && o.tls !== null) {
    const t = obj(o.tls, `${path}.tls`);
    const caFile = t.caFile === undefined ? null : typeof t.caFile === 'string' && t.caFile !== '' ? t.caFile : fail(`${path}.tls.caFile`, 'must be a file path');
    const servername = t.servername === undefined ? null : typeof t.servername === 'string' ? t.servername : fail(`${path}.tls.servername`, 'must be a host name');
    tls = { rejectUnauthorized: bool(t, 'rejectUnauthorized', `${path}.tls`, true), caFile, servername };
  }
  const source = o.source === undefined ? {} : obj(o.source, `${path}.source`);
  const destination = o.destination === undefined ? {} : obj(o.destination, `${path}.destination`);
  const idFormat = o.idFormat === undefined ? {} : typeof o.idFormat === 'string' ? { submit: o.idFormat, receipt: o.idFormat } : obj(o.idFormat, `${path}.idFormat`);
  const errors = o.errors === undefined ? {} : obj(o.errors, `${path}.errors`);
  const submitErrors = new Map<number, ErrorKey>();
  for (const [k, v] of Object.entries(errors.submit === undefined ? {} : obj(errors.submit, `${path}.errors.submit`))) {
    const status = /^0x[0-9a-f]{1,8}$/i.test(k) ? parseInt(k, 16) : /^\d+$/.test(k) ? Number(k) : fail(`${path}.errors.submit`, `keys must be command_status values such as "0x00000045" (got ${JSON.stringify(k)})`);
    submitErrors.set(status, deliveryError(v, `${path}.errors.submit["${k}"]`));
  }
  const receiptErrors = new Map<string, ErrorKey>();
  for (const [k, v] of Object.entries(errors.receipt === undefined ? {} : obj(errors.receipt, `${path}.errors.receipt`))) {
    if (!/^[0-9A-Za-z]{1,10}$/.test(k)) fail(`${path}.errors.receipt`, `keys must be receipt err codes such as "027" (got ${JSON.stringify(k)})`);
    receiptErrors.set(/^\d+$/.test(k) ? k.padStart(3, '0') : k.toUpperCase(), deliveryError(v, `${path}.errors.receipt["${k}"]`));
  }
  const reconnectMinMs = int(o, 'reconnectMinMs', path, 10, 600_000, 1000);
  const reconnectMaxMs = int(o, 'reconnectMaxMs', path, 10, 3_600_000, 30_000);
  if (reconnectMaxMs < reconnectMinMs) fail(`${path}.reconnectMaxMs`, 'must not be below reconnectMinMs');
  const responseTimeoutMs = int(o, 'responseTimeoutMs', path, 100, 600_000, 30_000);
  const nationalCountryCode = countryCode(o.nationalCountryCode, `${path}.nationalCountryCode`);
  const unknownTon = oneOf(o, 'unknownTon', path, ['international', 'national'] as const, 'international');
  if (unknownTon === 'national' && nationalCountryCode === null) fail(`${path}.unknownTon`, '"national" needs nationalCountryCode (the country those numbers are in)');
  const nullableByte = (x: Obj, key: string, p: string): number | null => (x[key] === undefined || x[key] === null ? null : int(x, key, p, 0, 255));
  return {
    id,
    host: str(o, 'host', path, 255),
    port: int(o, 'port', path, 1, 65535),
    tls,
    systemId: str(o, 'systemId', path, 15),
    password: str(o, 'password', path, 8),
    systemType: str(o, 'systemType', path, 12, ''),
    bindMode,
    binds: int(o, 'binds', path, 1, 32, 1),
    receivers: bindMode === 'transmitter-receiver' ? int(o, 'receivers', path, 1, 32, 1) : (o.receivers === undefined ? 0 : fail(`${path}.receivers`, 'applies only to bindMode "transmitter-receiver"')),
    window: int(o, 'window', path, 1, 1000, 10),
    throughput: int(o, 'throughput', path, 0, 1_000_000, 100),
    source: { ton: nullableByte(source, 'ton', `${path}.source`), npi: nullableByte(source, 'npi', `${path}.source`) },
    destination: { ton: int(destination, 'ton', `${path}.destination`, 0, 255, 1), npi: int(destination, 'npi', `${path}.destination`, 0, 255, 1) },
    addressRange: str(o, 'addressRange', path, 40, ''),
    nationalCountryCode,
    unknownTon,
    gsmEncoding: oneOf(o, 'gsmEncoding', path, ['gsm7', 'gsm7-packed', 'latin1'] as const, 'gsm7'),
    split: oneOf(o, 'split', path, ['udh8', 'udh16', 'sar', 'payload'] as const, 'udh8'),
    registeredDelivery: oneOf(o, 'registeredDelivery', path, ['final', 'failure', 'none'] as const, 'final'),
    receiptPolicy: oneOf(o, 'receiptPolicy', path, ['all', 'first', 'last'] as const, 'all'),
    idFormat: { submit: oneOf(idFormat, 'submit', `${path}.idFormat`, ID_FORMATS, 'text'), receipt: oneOf(idFormat, 'receipt', `${path}.idFormat`, ID_FORMATS, 'text') },
    serviceType: str(o, 'serviceType', path, 5, ''),
    enquireLinkMs: int(o, 'enquireLinkMs', path, 100, 3_600_000, 30_000),
    responseTimeoutMs,
    // A hung SMSC holds the node's dispatch slots this long: at most 10 s unless set (a slower one is rare; see docs/carriers/smpp.md).
    stalledAfterMs: int(o, 'stalledAfterMs', path, 100, 600_000, Math.min(responseTimeoutMs, DEFAULT_STALLED_AFTER_MS)),
    connectTimeoutMs: int(o, 'connectTimeoutMs', path, 100, 600_000, 10_000),
    reconnectMinMs,
    reconnectMaxMs,
    earlyReceiptHoldMs: int(o, 'earlyReceiptHoldMs', path, 0, 3_600_000, 60_000),
    moReassemblyMs: int(o, 'moReassemblyMs', path, 100, 86_400_000, 300_000),
    maxSubmitAttempts: int(o, 'maxSubmitAttempts', path, 1, 100, 5),
    errors: { submit: submitErrors, receipt: receiptErrors },
    receiptStats: receiptStats(o.receiptStats, `${path}.receiptStats`),
    partRetentionHours: int(o, 'partRetentionHours', path, 1, 24 * 365, 72),
    receiptDateOffsetMinutes: int(o, 'receiptDateOffsetMinutes', path, -14 * 60, 14 * 60, 0),
  };
}

/** Parse the `smpp` section (undefined when absent). Throws `SmppConfigError` naming the bad key. */
export function parseSmppSection(raw: unknown): SmppSection {
  if (raw === undefined || raw === null) return { connectors: [], routes: [] };
  const o = obj(raw, 'smpp');
  for (const k of Object.keys(o)) if (k !== 'connectors' && k !== 'routes') fail(`smpp.${k}`, `is not a setting${didYouMean(k, ['connectors', 'routes'])} (expected "connectors" and "routes")`);
  const list = o.connectors === undefined ? [] : o.connectors;
  if (!Array.isArray(list)) fail('smpp.connectors', 'must be a list');
  const connectors = list.map((c, i) => parseConnector(c, `smpp.connectors[${i}]`));
  const ids = new Set<string>();
  connectors.forEach((c, i) => {
    if (ids.has(c.id)) fail(`smpp.connectors[${i}].id`, `"${c.id}" is used twice`);
    ids.add(c.id);
  });
  const routesRaw = o.routes === undefined ? [] : o.routes;
  if (!Array.isArray(routesRaw)) fail('smpp.routes', 'must be a list');
  const routes = routesRaw.map((r, i) => {
    const p = `smpp.routes[${i}]`;
    const ro = obj(r, p);
    for (const k of Object.keys(ro)) if (k !== 'prefix' && k !== 'connector') fail(`${p}.${k}`, `is not a route setting${didYouMean(k, ['prefix', 'connector'])} (a route has "prefix" and "connector")`);
    const prefix = parseNumberPrefix(ro.prefix);
    if (prefix === undefined) fail(`${p}.prefix`, `must be up to 17 digits, optionally after + (got ${JSON.stringify(ro.prefix)})`);
    const unmatchable = unmatchablePrefix(prefix);
    if (unmatchable) fail(`${p}.prefix`, unmatchable);
    const carrier = ro.connector;
    if (typeof carrier !== 'string' || (!ids.has(carrier) && carrier !== 'simulator')) fail(`${p}.connector`, `must name a configured connector${ids.size ? ` (${[...ids].join(', ')})` : ''} or "simulator" (got ${JSON.stringify(carrier)})`);
    return { prefix, carrier };
  });
  return { connectors, routes };
}

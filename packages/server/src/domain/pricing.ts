import { didYouMean } from './closest-name.js';
import { parseNumberPrefix, unmatchablePrefix } from './phone-numbers.js';
import { preview } from './preview.js';
import type { MessageKind } from '@switchboard/protocol';

/** What a message costs to send, per the operator's price table. */
export interface PriceQuote {
  /** Total in `unit`, or null when unpriced. */
  readonly price: number | null;
  readonly unit: string;
}

/** Prices messages when they are handed to a carrier. */
export interface Pricing {
  quote(message: { readonly to: string; readonly kind: MessageKind; readonly segments: number; readonly direction: 'inbound' | 'outbound' }): PriceQuote;
}

/** No price table: messages carry no price. */
export const unpriced: Pricing = { quote: () => ({ price: null, unit: 'USD' }) };

/** One line of a price table: messages of a kind and direction to destinations starting with `prefix`. */
export interface PriceRule {
  /** Destination prefix (`+1`, `+4477`); `""` matches every destination. Longest prefix wins. */
  readonly prefix: string;
  /** `sms`, `mms`, or null for both. A rule for the exact kind beats a rule for both at equal prefix. */
  readonly kind: MessageKind | null;
  readonly direction: 'inbound' | 'outbound';
  /** Price of one segment (an MMS counts one segment). */
  readonly perSegment: number;
}

/** The operator's price table (config-file key `pricing`). */
export interface PriceTable {
  readonly unit: string;
  readonly rules: readonly PriceRule[];
}

/** Prices messages by kind, direction and destination prefix, per segment; unmatched messages stay unpriced. */
export class TablePricing implements Pricing {
  private readonly rules: readonly PriceRule[];

  constructor(private readonly table: PriceTable) {
    // Most specific first: longer prefix, then a rule for one kind before a rule for both.
    this.rules = [...table.rules].sort((a, b) => b.prefix.length - a.prefix.length || Number(b.kind !== null) - Number(a.kind !== null));
  }

  quote(m: { readonly to: string; readonly kind: MessageKind; readonly segments: number; readonly direction: 'inbound' | 'outbound' }): PriceQuote {
    for (const r of this.rules) {
      if (r.direction !== m.direction || (r.kind !== null && r.kind !== m.kind) || !m.to.startsWith(r.prefix)) continue;
      // Round to 1/1000000 of the unit so sums of floating-point prices stay clean.
      return { price: Math.round(r.perSegment * Math.max(1, m.segments) * 1e6) / 1e6, unit: this.table.unit };
    }
    return { price: null, unit: this.table.unit };
  }
}

/**
 * Read a price table from configuration: an object, or its JSON text (environment variable), like
 * `{"unit":"USD","rules":[{"prefix":"+1","kind":"sms","perSegment":0.0079}]}`. Throws an Error
 * saying what is wrong.
 */
export function parsePriceTable(raw: unknown): PriceTable {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (err) {
      throw new Error(`must be JSON: ${(err as Error).message}`);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('must be an object with "rules"');
  const v = value as Record<string, unknown>;
  unknownField(v, TABLE_KEYS, 'the table');
  const unit = v.unit === undefined ? 'USD' : v.unit;
  // Messages carry USD as their price unit (as SignalWire reports it); other currencies are not modelled.
  if (unit !== 'USD') throw new Error('"unit" must be USD');
  if (!Array.isArray(v.rules)) throw new Error('"rules" must be a list');
  const rules = v.rules.map((r: unknown, i: number): PriceRule => {
    if (r === null || typeof r !== 'object') throw new Error(`rule ${i} must be an object`);
    const rule = r as Record<string, unknown>;
    // A misspelt optional field ("drection") would otherwise be dropped, and the rule price other messages.
    unknownField(rule, RULE_KEYS, `rule ${i}`);
    const prefix = parseNumberPrefix(rule.prefix ?? '');
    if (prefix === undefined) throw new Error(`rule ${i}: "prefix" must be up to 17 digits, optionally after +`);
    const unmatchable = unmatchablePrefix(prefix);
    if (unmatchable) throw new Error(`rule ${i}: "prefix" ${unmatchable}`);
    const kind = rule.kind ?? null;
    if (kind !== null && kind !== 'sms' && kind !== 'mms') throw new Error(`rule ${i}: "kind" must be sms or mms`);
    const direction = rule.direction ?? 'outbound';
    if (direction !== 'inbound' && direction !== 'outbound') throw new Error(`rule ${i}: "direction" must be inbound or outbound`);
    const perSegment = rule.perSegment;
    if (typeof perSegment !== 'number' || !Number.isFinite(perSegment) || perSegment < 0) throw new Error(`rule ${i}: "perSegment" must be a number of 0 or more (got ${preview(perSegment)})`);
    return { prefix, kind, direction, perSegment };
  });
  return { unit, rules };
}

const TABLE_KEYS = ['unit', 'rules'];
const RULE_KEYS = ['prefix', 'kind', 'direction', 'perSegment'];

function unknownField(o: Record<string, unknown>, known: readonly string[], where: string): void {
  const unknown = Object.keys(o).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new Error(`${where}: unknown field ${preview(unknown)}${didYouMean(unknown, known)}; ${where === 'the table' ? 'a price table has' : 'a rule has'} ${known.join(', ')}`);
}

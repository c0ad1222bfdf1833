/**
 * Simulator outcome rules as written in the config file or the settings API:
 * `[{ "prefix": "+4477", "outcome": "undelivered", "error": 30003 }, …]`.
 */
import { errorKeyForCompatCode, ERRORS, type ErrorKey } from '@switchboard/protocol';
import { didYouMean } from '../closest-name.js';
import { parseNumberPrefix, unmatchablePrefix } from '../phone-numbers.js';
import { preview } from '../preview.js';
import type { OutcomeRule, SimulatedOutcome } from './outcomes.js';

const OUTCOMES = ['delivered', 'delayed', 'undelivered', 'failed', 'no_receipt', 'throttled', 'transient'] as const;

function errorKey(raw: unknown, i: number): ErrorKey {
  const key = typeof raw === 'number' || (typeof raw === 'string' && /^\d+$/.test(raw)) ? errorKeyForCompatCode(Number(raw)) : typeof raw === 'string' && raw in ERRORS ? (raw as ErrorKey) : undefined;
  if (!key || ERRORS[key].category !== 'delivery') throw new Error(`rule ${i}: "error" must be a delivery error code such as 30003 (got ${preview(raw)})`);
  return key;
}

/** Parse and check a list of rules; throws with the index and reason of the first bad one. */
export function parseOutcomeRules(raw: unknown): OutcomeRule[] {
  if (!Array.isArray(raw)) throw new Error('rules must be a list');
  return raw.map((r, i) => {
    if (r === null || typeof r !== 'object') throw new Error(`rule ${i} must be an object`);
    const { prefix: rawPrefix, outcome, error, times, description } = r as Record<string, unknown>;
    // A configuration prefix, here with at least one digit ("" and "+" are refused).
    const prefix = parseNumberPrefix(rawPrefix);
    if (!prefix?.replace('+', '')) throw new Error(`rule ${i}: "prefix" must be digits, optionally starting with + (got ${preview(rawPrefix)})`);
    if (typeof outcome !== 'string' || !(OUTCOMES as readonly string[]).includes(outcome)) throw new Error(`rule ${i}: "outcome" must be one of ${OUTCOMES.join(', ')} (got ${preview(outcome)})${typeof outcome === 'string' ? didYouMean(outcome, OUTCOMES) : ''}`);
    const count = times === undefined ? 1 : Number(times);
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new Error(`rule ${i}: "times" must be a whole number from 1 to 100`);
    let o: SimulatedOutcome;
    switch (outcome as (typeof OUTCOMES)[number]) {
      case 'delivered':
        o = { kind: 'delivered', receipt: 'normal' };
        break;
      case 'delayed':
        o = { kind: 'delivered', receipt: 'delayed' };
        break;
      case 'undelivered':
        o = { kind: 'undelivered', error: errorKey(error ?? 30003, i) };
        break;
      case 'failed':
        o = { kind: 'failed', error: errorKey(error ?? 30008, i) };
        break;
      case 'no_receipt':
        o = { kind: 'no_receipt' };
        break;
      case 'throttled':
        o = { kind: 'throttled', times: count };
        break;
      case 'transient':
        o = { kind: 'transient', times: count };
        break;
    }
    return { prefix, outcome: o, ...(typeof description === 'string' ? { description } : {}) };
  });
}

/** The most rules one project (or the config file) may set: far past any test's, and each send reads them. */
export const MAX_OUTCOME_RULES = 1_000;
export const MAX_RULE_DESCRIPTION = 200;
const RULE_KEYS = ['prefix', 'outcome', 'error', 'times', 'description'];
const TAKES_ERROR = ['undelivered', 'failed'];
const TAKES_TIMES = ['throttled', 'transient'];

/**
 * Rules being set (the settings API, the config file), checked more closely than stored ones are
 * read: no unknown field, no `error` or `times` its outcome ignores, no prefix twice (which rule
 * would win?), no prefix that matches no destination, a description of at most 200 characters,
 * at most 1,000 rules.
 */
export function parseOutcomeRuleSet(raw: unknown): OutcomeRule[] {
  // Counted before any rule is parsed: an oversized list is refused without the work.
  if (Array.isArray(raw) && raw.length > MAX_OUTCOME_RULES) throw new Error(`at most ${MAX_OUTCOME_RULES} rules (got ${raw.length})`);
  // Unknown fields first: a misspelt "prefix" is named as one, not reported as a missing prefix.
  if (Array.isArray(raw)) {
    raw.forEach((r: unknown, i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) return;
      const unknown = Object.keys(r).find((k) => !RULE_KEYS.includes(k));
      if (unknown !== undefined) throw new Error(`rule ${i}: unknown field ${preview(unknown)}${didYouMean(unknown, RULE_KEYS)}; a rule has ${RULE_KEYS.join(', ')}`);
    });
  }
  const rules = parseOutcomeRules(raw);
  const list = raw as Array<Record<string, unknown>>;
  const seen = new Map<string, number>();
  list.forEach((r, i) => {
    const outcome = r.outcome as string;
    if (r.error !== undefined && !TAKES_ERROR.includes(outcome)) throw new Error(`rule ${i}: "error" is for undelivered and failed outcomes, not ${outcome}`);
    if (r.times !== undefined && !TAKES_TIMES.includes(outcome)) throw new Error(`rule ${i}: "times" is for throttled and transient outcomes, not ${outcome}`);
    if (r.description !== undefined && (typeof r.description !== 'string' || r.description.length > MAX_RULE_DESCRIPTION)) throw new Error(`rule ${i}: "description" must be text of at most ${MAX_RULE_DESCRIPTION} characters`);
    const prefix = rules[i]!.prefix;
    // Here, not where stored rules are read: one stored before this check still reads.
    const unmatchable = unmatchablePrefix(prefix);
    if (unmatchable) throw new Error(`rule ${i}: "prefix" ${unmatchable}`);
    const earlier = seen.get(prefix);
    if (earlier !== undefined) throw new Error(`rule ${i}: prefix ${prefix} is already rule ${earlier}'s; one rule per prefix`);
    seen.set(prefix, i);
  });
  return rules;
}

/** A rule in the vocabulary of the config file and the settings API (the inverse of `parseOutcomeRules`). */
export function describeOutcomeRule(rule: OutcomeRule): { prefix: string; outcome: string; error?: number; times?: number; description?: string } {
  const o = rule.outcome;
  const base = { prefix: rule.prefix, ...(rule.description ? { description: rule.description } : {}) };
  switch (o.kind) {
    case 'delivered':
      return { ...base, outcome: o.receipt === 'delayed' ? 'delayed' : 'delivered' };
    case 'undelivered':
    case 'failed':
      return { ...base, outcome: o.kind, error: ERRORS[o.error].compat };
    case 'no_receipt':
      return { ...base, outcome: 'no_receipt' };
    case 'throttled':
    case 'transient':
      return { ...base, outcome: o.kind, times: o.times };
  }
}

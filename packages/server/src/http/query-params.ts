/**
 * Query parameters as every surface reads them: a filter given twice, or a name the endpoint does
 * not know, is an error rather than ignored (ignoring it would answer the whole list). The errors
 * are catalogue `FILTER_INVALID`s, rendered in each surface's own shape by its formatter.
 */
import type { ErrorDetail } from '@switchboard/protocol';
import { AppError, detail } from '../domain/app-error.js';
import { parsePhoneNumber } from '../domain/phone-numbers.js';
import { preview } from '../domain/preview.js';
import { didYouMean } from '../domain/closest-name.js';

/** The message of a query parameter given more than once: which of its values was meant cannot be told. */
export function givenOnceMessage(name: string): string {
  return `${name} must be given once.`;
}

/** One value of a query parameter given at most once, or undefined when absent or empty. */
export function singleParam(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw AppError.of('FILTER_INVALID', { attribute: name, message: givenOnceMessage(name) });
  return v;
}

const BOOLEAN_TEXT = new Map([
  ['true', true],
  ['false', false],
  // SignalWire's Python SDK passes Python bools to requests, which writes them `True`/`False`.
  ['True', true],
  ['False', false],
]);

/** A query flag's value as a boolean (`true`/`false`, or `True`/`False`), undefined for anything else. */
export function booleanText(value: string): boolean | undefined {
  return BOOLEAN_TEXT.get(value);
}

/**
 * Refuse a query parameter not among `known`, naming the closest known one and all of them
 * (`what`: what the message says takes them, a list unless told).
 */
export function checkParamNames(query: Record<string, unknown>, known: readonly string[], what = 'This list'): void {
  for (const name of Object.keys(query)) if (!known.includes(name)) throw new AppError([unknownParamDetail(name, known, name, what)]);
}

/** The error of a query parameter not among `known` (`shown`: the name as the message quotes it). */
export function unknownParamDetail(name: string, known: readonly string[], shown = name, what = 'This list'): ErrorDetail {
  const takes = known.length ? `takes: ${known.join(', ')}` : 'takes no query parameters';
  return detail('FILTER_INVALID', { attribute: name, message: `Unknown query parameter '${shown}'${didYouMean(name, known, "'")}. ${what} ${takes}.` });
}

/**
 * A number filter (`to`, `from`) given at most once, refused when it is no address a message can
 * have: such a filter matches nothing, so the list would answer empty — and a wait time out —
 * with no hint why. The usual cause is a `+` written as is in a URL, which a query string reads as
 * a space (`?to=+1555…` arrives as " 1555…"): the error says to write it %2B.
 */
export function addressParam(query: Record<string, unknown>, name: string): string | undefined {
  const value = singleParam(query, name);
  if (value === undefined || parsePhoneNumber(value) !== undefined) return value;
  throw AppError.of('FILTER_INVALID', { attribute: name, message: `${name} must be a phone number such as +15557654321 (got ${preview(value)})${plusHint(name, value)}.` });
}

/**
 * The end of an error about a number read from a query string with a space before its digits
 * (mostly a `+` written as is, which a query string reads as a space): to write it %2B, showing
 * `name=%2B…` with the value cut at `end`. Empty for any other value.
 */
export function plusHint(name: string, value: string, end?: number): string {
  return /^ \d/.test(value) ? `: a "+" in a URL's query string reads as a space, so write it %2B (${name}=%2B${value.slice(1, end)})` : '';
}

/**
 * A part of a number to search for (`filter_number`, `PhoneNumber`: digits, a `+`, `*` for any
 * digit; the Compatibility API's `ShortCode` has its own check in short-code-routes.ts) given at
 * most once, refused when a space comes before its first digit: numbers hold no spaces, so it
 * would match nothing and the list answer empty with no hint why. It is almost always a `+`
 * written as is, which a query string reads as a space: the error says to write it %2B, as
 * `addressParam`'s does; for the native list of short codes (`kind`), which have no `+` either,
 * to give the digits alone.
 */
export function numberFragmentParam(query: Record<string, unknown>, name: string, kind: 'number' | 'short code' = 'number'): string | undefined {
  const value = singleParam(query, name);
  if (value === undefined || !/^ \d/.test(value)) return value;
  const why = kind === 'number' ? plusHint(name, value, 33) : `: a "+" in a URL's query string reads as a space, and a short code has neither: it is digits only (${name}=${value.slice(1, 33)})`;
  throw AppError.of('FILTER_INVALID', { attribute: name, message: `${name} ${preview(value)} matches no ${kind}${why}.` });
}

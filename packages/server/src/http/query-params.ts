/**
 * Query parameters as every surface reads them: a filter given twice, or a name the endpoint does
 * not know, is an error rather than ignored (ignoring it would answer the whole list). The errors
 * are catalogue `FILTER_INVALID`s, rendered in each surface's own shape by its formatter.
 */
import { AppError } from '../domain/app-error.js';
import { didYouMean } from '../util/closest-name.js';

/** One value of a query parameter given at most once, or undefined when absent or empty. */
export function singleParam(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw AppError.of('FILTER_INVALID', { attribute: name, message: `${name} must be given once.` });
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

/** Refuse a query parameter not among `known`, naming the closest known one and all of them. */
export function checkParamNames(query: Record<string, unknown>, known: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (known.includes(name)) continue;
    throw AppError.of('FILTER_INVALID', { attribute: name, message: `Unknown query parameter '${name}'${didYouMean(name, known).replace(/"/g, "'")}. This list takes: ${known.join(', ')}.` });
  }
}

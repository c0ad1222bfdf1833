import { ERRORS, type ErrorDetail, type ErrorKey } from '@switchboard/protocol';

/**
 * A failure the platform reports to a caller, carrying one or more catalogue entries.
 * Surfaces turn it into their own shape through their one formatter; nothing matches on text.
 */
export class AppError extends Error {
  readonly details: readonly ErrorDetail[];

  constructor(details: ErrorDetail | readonly ErrorDetail[]) {
    const list = Array.isArray(details) ? (details as readonly ErrorDetail[]) : [details as ErrorDetail];
    if (list.length === 0) throw new TypeError('AppError needs at least one detail');
    super(list[0]!.message);
    this.name = 'AppError';
    this.details = list;
  }

  /** The first (most important) problem. */
  get key(): ErrorKey {
    return this.details[0]!.key;
  }

  /** Build from a catalogue key, optionally overriding attribute and message. */
  static of(key: ErrorKey, opts: { attribute?: string | null; message?: string } = {}): AppError {
    return new AppError(detail(key, opts));
  }
}

/** Build one error detail from the catalogue. */
export function detail(key: ErrorKey, opts: { attribute?: string | null; message?: string } = {}): ErrorDetail {
  const entry = ERRORS[key];
  return { key, attribute: opts.attribute === undefined ? entry.attribute : opts.attribute, message: opts.message ?? entry.message };
}

/** True for an AppError whose first detail is the given key. */
export function isAppError(err: unknown, key?: ErrorKey): err is AppError {
  return err instanceof AppError && (key === undefined || err.key === key);
}

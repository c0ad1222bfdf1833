/**
 * An error answer written straight to a socket, for connections that are not (or no longer) tied
 * to a surface: refused by the node servers' limits, or plain HTTP on the HTTPS port. One JSON body
 * both REST shapes can read — the native `{error, message}` and the Compatibility API's `{code,
 * message, more_info, status}` — from the error catalogue like every other error.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorKey } from '@switchboard/protocol';
import { AppError } from '../domain/app-error.js';
import { compatErrorBody } from './compat/error-format.js';

/** The status and JSON body of `key`'s answer (with `message` instead of the catalogue's text). */
export function rawErrorBody(key: ErrorKey, message?: string): { status: number; reason: string; body: string } {
  const compat = compatErrorBody(AppError.of(key, message === undefined ? {} : { message }));
  const reason = STATUS_CODES[compat.status] ?? 'Error';
  return { status: compat.status, reason, body: JSON.stringify({ error: reason, ...compat }) };
}

/** A whole HTTP/1.1 answer that closes its connection, for `key` (with `message` instead of the catalogue's text). */
export function rawErrorResponse(key: ErrorKey, message?: string, headers: Record<string, string> = {}): string {
  const { status, reason, body } = rawErrorBody(key, message);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

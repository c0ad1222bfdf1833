/** A failed webhook exchange described for its attempt record. Used by `WebhookRunner`. */

export function describeFailure(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    if (err.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `timeout (${code ?? err.name})`;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** A REST API answer that is not a success: the HTTP status and the parsed error body. */
export class RestError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** The parsed JSON body (native `{errors:[...]}`, compat `{code, message, ...}`), or the text. */
  readonly body: unknown;
  /** The first error code the body names (native `code` string or compat numeric code), if any. */
  readonly code: string | number | undefined;

  /**
   * @param status HTTP status
   * @param body parsed body or text
   * @param method HTTP method, for the message
   * @param url request URL, for the message
   */
  constructor(status: number, body: unknown, method: string, url: string) {
    const b = (body && typeof body === 'object' ? body : undefined) as { errors?: unknown[] } | undefined;
    const first = (Array.isArray(b?.errors) ? b.errors[0] : b) as { message?: unknown; detail?: unknown; code?: string | number } | undefined;
    const text = typeof first?.message === 'string' ? first.message : typeof first?.detail === 'string' ? first.detail : typeof body === 'string' ? body.slice(0, 200) : '';
    super(`${method} ${url} failed with HTTP ${status}${text ? `: ${text}` : ''}`);
    this.name = 'RestError';
    this.status = status;
    this.body = body;
    this.code = first?.code;
  }
}

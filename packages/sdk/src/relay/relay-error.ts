/**
 * An error reported by a RELAY server, or by the client about a request: `code` is the
 * application result code (`400`, `403`...) or the JSON-RPC error code (`-32002`...); `-1` means
 * the connection closed before an answer came.
 */
export class RelayError extends Error {
  /** Result or JSON-RPC error code. */
  readonly code: number;
  /** The server's text, undecorated. */
  readonly serverMessage: string;
  /** Extra facts the server gave (`data`), e.g. every problem by field for a refused send. */
  readonly data: unknown;

  /**
   * @param code result code or JSON-RPC error code
   * @param message the server's (or client's) explanation
   * @param data extra facts from the server
   */
  constructor(code: number, message: string, data?: unknown) {
    super(`RELAY error ${code}: ${message}`);
    this.name = 'RelayError';
    this.code = code;
    this.serverMessage = message;
    this.data = data;
  }
}

/** A wait or request that did not finish in time (code -32000, the JSON-RPC timeout code). */
export class RelayTimeoutError extends RelayError {
  /**
   * @param message what timed out
   */
  constructor(message: string) {
    super(-32000, message);
    this.name = 'RelayTimeoutError';
  }
}

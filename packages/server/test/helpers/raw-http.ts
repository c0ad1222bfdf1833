/** One request through node's own HTTP(S) client, answered as status and text: for requests a fetch client would not send as they are. */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';

export function requestText(send: (options: RequestOptions, onResponse: (res: IncomingMessage) => void) => ClientRequest, options: RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = send(options, (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

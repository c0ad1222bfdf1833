/** One request through node's own HTTP(S) client, answered as status and text: for requests a fetch client would not send as they are. */
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';

export function requestText(send: (options: RequestOptions, onResponse: (res: IncomingMessage) => void) => ClientRequest, options: RequestOptions, body?: string | Buffer): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = send(options, (r) => {
      let text = '';
      r.on('data', (d) => (text += d));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body: text, headers: r.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

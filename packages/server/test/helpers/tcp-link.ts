/**
 * A loopback TCP relay to a server (PostgreSQL in the outage tests) that can be taken down
 * (refusing new connections and dropping those open), brought back, or cut (open connections
 * dropped, new ones still accepted: a blip that lands inside whatever is in flight).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpLink {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  /** A link to the host and port of a URL (PostgreSQL's default port when it names none). */
  static to(url: string): TcpLink {
    const u = new URL(url);
    return new TcpLink({ host: u.hostname, port: Number(u.port || 5432) });
  }

  /** `url` with its host and port replaced by this link's (call after `up`). */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const [s, other] of [[client, upstream], [upstream, client]] as const) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        // A side reset (PostgreSQL closing a terminated backend's socket with bytes still unread
        // sends RST, not FIN) resets the other too, as it would reach a direct client: `pipe` ends
        // the other side only on a clean end, and the client would wait for ever on a live socket.
        s.on('error', () => other.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Drop every open connection; new ones are still accepted. Returns how many sockets were dropped. */
  cut(): number {
    const n = this.sockets.size;
    for (const s of this.sockets) s.destroy();
    return n;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.cut();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

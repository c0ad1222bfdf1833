/**
 * A loopback TCP relay to a server (PostgreSQL in the outage tests) that can be taken down
 * (refusing new connections and dropping those open), brought back, cut (open connections
 * dropped, new ones still accepted: a blip that lands inside whatever is in flight), or silenced
 * (a partition: nothing closes, no byte passes, new connections are accepted and go nowhere, until
 * `heal` lets through what waited, as TCP would once the network is back).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpLink {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private silent = false;
  /** Connections accepted while silent, joined to the target when it heals. */
  private waiting: Socket[] = [];
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
      if (this.silent) {
        client.pause();
        this.sockets.add(client);
        client.on('close', () => this.sockets.delete(client));
        client.on('error', () => client.destroy());
        this.waiting.push(client);
        return;
      }
      this.join(client);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Pass no byte either way and close nothing, on open connections and new ones alike. */
  silence(): void {
    this.silent = true;
    for (const s of this.sockets) s.pause();
  }

  /** End a silence: what waited passes, connections accepted meanwhile reach the target. */
  heal(): void {
    this.silent = false;
    for (const s of this.sockets) if (!this.waiting.includes(s)) s.resume();
    for (const client of this.waiting.splice(0)) if (!client.destroyed) this.join(client);
  }

  private join(client: Socket): void {
    {
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
      client.resume();
    }
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
    this.silent = false;
    this.waiting = [];
    this.cut();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

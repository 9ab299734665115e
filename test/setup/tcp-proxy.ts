/**
 * A TCP proxy a test can cut: forwards every connection to `target`; `cut()` closes the listening socket and every
 * open connection (clients then get "connection refused", as when the service is down), `restore()` listens on the
 * same port again. Used to take a shared service (the schema registry) away from one process under test without
 * stopping it for the other test runs that share it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** connections accepted so far */
  connections = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** listens (a free port the first time, the same port after a cut); resolves with the port */
  async listen(): Promise<number> {
    const server = createServer((client) => {
      this.connections++;
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** the service is gone: no new connection is accepted, open ones are reset */
  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const c of this.sockets) c.destroy();
    this.sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  restore(): Promise<number> {
    return this.listen();
  }

  close(): Promise<void> {
    return this.cut();
  }
}

/**
 * A TCP proxy a test controls, to cut Redis or PostgreSQL under a running gateway: `forward` (the default) pipes
 * each connection to the target; `blackhole()` keeps accepting and holding connections but forwards nothing in
 * either direction (a silent network partition: clients only find out through their own timeouts); `refuse()`
 * closes every open connection and every new one at once (a crashed server); `resume()` forwards again.
 */
import { once } from 'node:events';
import net from 'node:net';

export type ProxyMode = 'forward' | 'blackhole' | 'refuse';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
}

export class TcpProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<Pair>();
  private current: ProxyMode = 'forward';
  private port = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Listens on a free loopback port and forwards to `target` (a `host:port` or a URL with both). */
  static async start(target: string): Promise<TcpProxy> {
    const { hostname, port } = target.includes('://') ? new URL(target) : new URL(`tcp://${target}`);
    const proxy = new TcpProxy(hostname, Number(port));
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  get mode(): ProxyMode {
    return this.current;
  }

  /** The proxy's `127.0.0.1:port`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Open client connections. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Holds connections open and forwards nothing, new or existing. */
  blackhole(): void {
    this.current = 'blackhole';
    for (const pair of this.pairs) {
      pair.client.pause();
      pair.upstream?.pause();
    }
  }

  /** Closes every connection now and every new one as it arrives. */
  refuse(): void {
    this.current = 'refuse';
    for (const pair of [...this.pairs]) this.drop(pair);
  }

  /** Forwards again. Connections held by `blackhole()` are closed: their streams lost bytes, so they are unusable. */
  resume(): void {
    if (this.current === 'blackhole') for (const pair of [...this.pairs]) this.drop(pair);
    this.current = 'forward';
  }

  async close(): Promise<void> {
    for (const pair of [...this.pairs]) this.drop(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.current === 'refuse') {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined };
    this.pairs.add(pair);
    client.on('error', () => this.drop(pair));
    client.on('close', () => this.drop(pair));
    if (this.current === 'blackhole') {
      // Never forwarded, even after resume (which closes it): the client waits on its own timeout.
      client.pause();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => this.drop(pair));
    upstream.on('close', () => this.drop(pair));
    client.on('data', (chunk: Buffer) => {
      if (this.current === 'forward') upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.current === 'forward') client.write(chunk);
    });
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}

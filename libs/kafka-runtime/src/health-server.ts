import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the probes ask of the worker. */
export interface HealthSource {
  /** False once the consumer crashed for good: the process should be restarted. */
  isAlive(): boolean;
  /** Why the worker is not ready, or an empty list when it is. */
  notReadyReasons(): Promise<string[]>;
  readonly registry: Registry;
}

/** A started HTTP server for `/livez`, `/readyz` and `/metrics`. */
export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the probe and metrics server. */
export async function startHealthServer(source: HealthSource, host: string, port: number): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (request.method !== 'GET') return reply(405, 'method not allowed\n');
    switch (path) {
      case '/livez':
        return source.isAlive() ? reply(200, 'ok\n') : reply(503, 'consumer crashed\n');
      case '/readyz':
        source.notReadyReasons().then(
          (reasons) =>
            reasons.length === 0 ? reply(200, 'ready\n') : reply(503, `not ready: ${reasons.join('; ')}\n`),
          (error: unknown) => reply(503, `not ready: ${String(error)}\n`),
        );
        return;
      case '/metrics':
        source.registry.metrics().then(
          (text) => reply(200, text, source.registry.contentType),
          (error: unknown) => reply(500, String(error)),
        );
        return;
      default:
        return reply(404, 'not found: try /livez, /readyz or /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

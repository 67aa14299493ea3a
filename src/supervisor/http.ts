import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Health {
  ok: boolean;
  /** Shown as the JSON body of /healthz. */
  detail: Record<string, unknown>;
}

export interface StatusSource {
  health(): Health;
  metrics(): string;
}

export interface StatusServer {
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `/healthz` (200 while the supervisor works, 503 when it cannot: its state store or its loop is stuck) and
 * `/metrics` (Prometheus text) on the address given by `--listen`. Nothing else is served; only GET and HEAD.
 */
export async function serveStatus(host: string, port: number, source: StatusSource): Promise<StatusServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      const health = source.health();
      const body = `${JSON.stringify({ status: health.ok ? "ok" : "failing", ...health.detail })}\n`;
      res.writeHead(health.ok ? 200 : 503, { "Content-Type": "application/json" });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    if (path === "/metrics") {
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : source.metrics());
      return;
    }
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not found: try /healthz or /metrics\n");
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

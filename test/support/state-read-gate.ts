import { type ClientRequest, createServer, type IncomingMessage, request } from "node:http";

/** A state read held by the gate: `arrived` once the client sent it, passed on to the master by `release()`. */
export interface HeldRead {
  arrived: Promise<void>;
  release(): void;
}

export interface StateReadGate {
  /** The proxy's URL: give it as the master. */
  url: string;
  /** Holds the `nth` read of the cluster's state from now on (1: the next), until released. */
  hold(nth?: number): HeldRead;
  close(): Promise<void>;
}

/** Whether a request reads the cluster's state: the operator API's GET_STATE or the legacy `/master/state`. */
function readsState(req: IncomingMessage, body: Buffer): boolean {
  if (req.method === "GET") return (req.url ?? "").startsWith("/master/state");
  return (req.url ?? "").startsWith("/api/v1") && /"type"\s*:\s*"GET_STATE"/.test(body.toString("utf8"));
}

/**
 * An HTTP proxy in front of a master whose reads of the cluster's state can be held for as long as a test needs: a
 * master that is slow to answer them, making deterministic what another titan does meanwhile. Everything else,
 * scheduler streams included, passes straight through.
 */
export async function startStateReadGate(masterUrl: string): Promise<StateReadGate> {
  const master = new URL(masterUrl);
  const upstreams = new Set<ClientRequest>();
  const waiting: Array<{ left: number; arrive(): void; released: Promise<void> }> = [];
  const releases: Array<() => void> = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      if (readsState(req, body)) {
        for (const wait of waiting) wait.left--;
        const due = waiting.find((w) => w.left === 0);
        if (due !== undefined) {
          waiting.splice(waiting.indexOf(due), 1);
          due.arrive();
          await due.released;
        }
      }
      const upstream = request(
        {
          host: master.hostname,
          port: master.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstreams.add(upstream);
      upstream.on("close", () => upstreams.delete(upstream));
      upstream.on("error", () => res.destroy());
      res.on("close", () => upstream.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the gate has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    hold(nth = 1) {
      let arrive = (): void => {};
      const arrived = new Promise<void>((resolve) => {
        arrive = resolve;
      });
      let release = (): void => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      releases.push(release);
      waiting.push({ left: nth, arrive, released });
      return { arrived, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of releases) release();
        for (const upstream of upstreams) upstream.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

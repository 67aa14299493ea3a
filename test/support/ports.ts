import { createServer } from "node:net";

/** Host ports that the kernel hands out on its own (Linux's default ip_local_port_range) are left alone. */
const LOW = 20_000;
const HIGH = 32_000;

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A block of `count` consecutive host ports that nothing listens on right now, picked at random so that test
 * clusters running side by side (and a developer's own `titan local`, which uses 31000–32000) rarely meet.
 */
export async function freePortRange(count: number): Promise<{ begin: number; end: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const begin = LOW + Math.floor(Math.random() * (HIGH - LOW - count));
    // 31000–32000 is the default range of `titan local up`: never hand it to a test cluster.
    if (begin + count > 31_000 && begin < 32_000) continue;
    let free = true;
    for (let port = begin; port < begin + count && free; port++) free = await isFree(port);
    if (free) return { begin, end: begin + count - 1 };
  }
  throw new Error(`no block of ${count} free host ports found between ${LOW} and ${HIGH}`);
}

// hello: a tiny HTTP service for trying titan. It answers every request with a greeting, logs each request
// on stdout, serves /healthz for the health check, and shuts down cleanly on SIGTERM.
import { createServer } from "node:http";

const port = Number(process.env.PORT_HTTP ?? 8080);
const greeting = process.env.GREETING ?? "hello";
const instance = process.env.MESOS_TASK_ID ?? "local";
const healthy = process.env.HEALTHY !== "false";
let requests = 0;

const server = createServer((req, res) => {
  requests += 1;
  console.log(`${new Date().toISOString()} ${req.method} ${req.url} (request ${requests})`);
  if (req.url === "/healthz") {
    res.writeHead(healthy ? 200 : 503, { "Content-Type": "text/plain" });
    res.end(healthy ? "ok\n" : "unhealthy\n");
    return;
  }
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end(`${greeting} from ${instance}\n`);
});

server.listen(port, () => console.log(`listening on :${port} as ${instance}`));

process.on("SIGTERM", () => {
  console.log("SIGTERM: draining connections");
  server.close(() => process.exit(0));
});

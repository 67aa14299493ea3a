/** The commented titan.yaml that `titan init` writes. Strings are JSON-quoted, which is valid YAML 1.2. */
import { portVariable } from "../../manifest/index.js";
import type { InitAnswers } from "./answers.js";

const q = (s: string) => JSON.stringify(s);

/** Plain words become argv; anything a shell would interpret stays one `shell:` string. */
function commandLines(command: string): string[] {
  const words = command.trim().split(/\s+/);
  if (words.every((w) => /^(?:[\w@%+=:,./-]|\$\{PORT_[A-Z0-9_]+\})+$/.test(w))) {
    return ["# The command, as argv (no shell involved).", `command: [${words.map(q).join(", ")}]`];
  }
  return ["# The command, run with /bin/sh -c.", `shell: ${q(command)}`];
}

/**
 * A command that runs wherever titan runs (the local cluster's agents have node, as titan does): a tiny HTTP
 * server on the app's port that answers its health check, or a worker that logs.
 */
function starterLines(a: InitAnswers, reason: string): string[] {
  const script =
    a.port === undefined
      ? `setInterval(() => console.log(${JSON.stringify(`${a.name} is working`)}), 10000)`
      : `require("node:http").createServer((req, res) => res.end(${JSON.stringify(`hello from ${a.name}\n`)})).listen(Number(process.env.${portVariable(a.port)}))`;
  return [
    `# A starter command that deploys as it is: ${reason}.`,
    "# To run your own image instead, replace `command:` with",
    `#   image: "registry.example.com/team/${a.name}:1.0"`,
    "# where images can run (titan local as root with runc, or a Mesos cluster), or run your own program here.",
    `command: ${JSON.stringify(["node", "-e", script])}`,
  ];
}

export function renderManifest(a: InitAnswers): string {
  const lines: string[] = [
    "# titan.yaml: what to run and how. Check it with `titan validate`.",
    "# Editor completion: `titan schema > titan.schema.json`, then make this the first line:",
    "#   # yaml-language-server: $schema=./titan.schema.json",
    "",
    `name: ${q(a.name)}`,
  ];
  if (a.image !== undefined)
    lines.push("# Docker image; pin a version tag or a digest.", `image: ${q(a.image)}`);
  if (a.command !== undefined) lines.push(...commandLines(a.command));
  else if (a.starter !== undefined) lines.push(...starterLines(a, a.starter.reason));
  else {
    const example = a.port === undefined ? "" : `, "--port", "\${${portVariable(a.port)}}"`;
    lines.push(`# command: ["node", "server.js"${example}]`);
  }
  lines.push(
    "",
    "# Environment. Secrets are references, read only at deploy time and never printed:",
    "# env:",
    "#   LOG_LEVEL: info",
    '#   DB_PASSWORD: { secret: "file:/run/secrets/db-password" }',
    "",
    "# What each instance reserves: cpus (3 decimals), mem and disk in Mi/Gi (or plain MB).",
    "resources:",
    "  cpus: 0.5",
    "  mem: 512Mi",
    "  disk: 1Gi",
  );
  if (a.port !== undefined) {
    lines.push(
      "",
      `# Named ports; the host port is chosen at placement. \${${portVariable(a.port)}} in command and env stands for it.`,
      "ports:",
      `  - name: ${a.port}`,
    );
  }
  lines.push(
    "",
    `instances: ${a.instances}`,
    "# Or per region (the counts must add up to instances):",
    "# regions: { us-east: 2, eu-west: 1 }",
    "",
    "# Placement rules:",
    "# constraints:",
    "#   - unique: hostname",
    "#   - balance: zone",
  );
  if (a.port !== undefined && a.healthPath !== undefined) {
    lines.push(
      "",
      "health:",
      `  http: { port: ${a.port}, path: ${q(a.healthPath)} }`,
      "  interval: 10s",
      "  timeout: 5s",
      "  grace: 30s",
      "  failures: 3",
    );
  }
  lines.push(
    "",
    "# Rolling updates: start up to 25% extra instances, never drop below `instances`.",
    "update:",
    "  max_surge: 25%",
    "  max_unavailable: 0",
    "  auto_rollback: true",
    "",
    "# When and how fast running instances may be replaced (deploys, restarts, rollbacks, drains):",
    "# disruption:",
    "#   max_per_hour: 25%",
    "#   windows:",
    '#     - { days: [mon, tue, wed, thu, fri], hours: "09:00-17:00", time_zone: UTC }',
    "",
  );
  return lines.join("\n");
}

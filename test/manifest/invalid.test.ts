import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/cli/errors.js";
import { ValidationError } from "../../src/cli/errors.js";
import { type ManifestSource, parseManifests } from "../../src/manifest/index.js";

function diagnosticsOf(sources: readonly ManifestSource[]): readonly Diagnostic[] {
  try {
    parseManifests(sources);
  } catch (error) {
    if (error instanceof ValidationError) return error.diagnostics;
    throw error;
  }
  throw new Error("expected the manifest to be invalid, but it validated");
}

/** A valid app to break one line at a time. */
const APP = "name: api\nimage: registry.example.com/team/api:1.0\n";

interface Case {
  desc: string;
  yaml: string;
  /** `line:col` of the diagnostic. */
  at: string;
  path: string;
  message: string | RegExp;
  hint?: string | RegExp;
  /** How many diagnostics the file yields in total (default 1). */
  count?: number;
}

const cases: Case[] = [
  // unknown keys and did-you-mean
  {
    desc: "top-level typo",
    yaml: "name: api\nimgae: nginx:1.27\n",
    at: "2:1",
    path: "imgae",
    message: "unknown key `imgae`",
    hint: "did you mean `image`?",
  },
  {
    desc: "resources typo",
    yaml: `${APP}resources: { cpus: 1, mme: 512Mi }\n`,
    at: "3:23",
    path: "resources.mme",
    message: "unknown key `mme`",
    hint: "did you mean `mem`?",
  },
  {
    desc: "health typo",
    yaml: `${APP}ports: [http]\nhealth:\n  tcp: { port: http }\n  intervall: 5s\n`,
    at: "6:3",
    path: "health.intervall",
    message: "unknown key `intervall`",
    hint: "did you mean `interval`?",
  },
  {
    desc: "update typo",
    yaml: `${APP}update:\n  max_surg: 1\n`,
    at: "4:3",
    path: "update.max_surg",
    message: "unknown key `max_surg`",
    hint: "did you mean `max_surge`?",
  },
  {
    desc: "unknown key without a near match lists the keys",
    yaml: `${APP}colour: blue\n`,
    at: "3:1",
    path: "colour",
    message: "unknown key `colour`",
    hint: /expected one of: name, image, command/,
  },
  // constraints
  {
    desc: "constraint operator typo",
    yaml: `${APP}constraints:\n  - uniqe: hostname\n`,
    at: "4:5",
    path: "constraints[0].uniqe",
    message: "unknown constraint `uniqe`",
    hint: "did you mean `unique`?",
  },
  {
    desc: "unknown constraint operator",
    yaml: `${APP}constraints:\n  - near: zone\n`,
    at: "4:5",
    path: "constraints[0].near",
    message: "unknown constraint `near`",
    hint: "a constraint is one of: unique, balance, attribute, max_per",
  },
  {
    desc: "two operators in one constraint",
    yaml: `${APP}constraints:\n  - unique: hostname\n    balance: zone\n`,
    at: "5:5",
    path: "constraints[1 - 1].balance".replace("1 - 1", "0"),
    message: "a constraint has one kind; found `unique` and `balance`",
    hint: "write each constraint as its own list item",
  },
  {
    desc: "attribute without a test",
    yaml: `${APP}constraints:\n  - attribute: rack\n`,
    at: "4:5",
    path: "constraints[0]",
    message: "needs one of: equals, like, unlike",
  },
  {
    desc: "max_per without count",
    yaml: `${APP}constraints:\n  - max_per: rack\n`,
    at: "4:5",
    path: "constraints[0]",
    message: "missing required key `count`",
  },
  {
    desc: "max_per count zero",
    yaml: `${APP}constraints:\n  - max_per: rack\n    count: 0\n`,
    at: "5:12",
    path: "constraints[0].count",
    message: "must be at least 1, got 0",
  },
  {
    desc: "hard: yes is text in YAML 1.2",
    yaml: `${APP}constraints:\n  - balance: zone\n    hard: yes\n`,
    at: "5:11",
    path: "constraints[0].hard",
    message: 'expected true or false, got the string "yes"',
    hint: /write true or false/,
  },
  {
    desc: "modifier of another operator",
    yaml: `${APP}constraints:\n  - unique: rack\n    count: 2\n`,
    at: "5:5",
    path: "constraints[0].count",
    message: "unknown key `count`",
  },
  {
    desc: "invalid regex",
    yaml: `${APP}constraints:\n  - attribute: instance_type\n    like: "m5["\n`,
    at: "5:11",
    path: "constraints[0].like",
    message: /^not a valid regular expression/,
  },
  {
    desc: "catastrophic regex",
    yaml: `${APP}constraints:\n  - attribute: instance_type\n    unlike: "(a+)+b"\n`,
    at: "5:13",
    path: "constraints[0].unlike",
    message: /nested quantifiers/,
  },
  {
    desc: "regex with a backreference",
    yaml: `${APP}constraints:\n  - attribute: rack\n    like: "(a)\\\\1"\n`,
    at: "5:11",
    path: "constraints[0].like",
    message: "backreferences are not allowed in constraint patterns",
  },
  {
    desc: "overlong regex",
    yaml: `${APP}constraints:\n  - attribute: rack\n    like: "${"a".repeat(201)}"\n`,
    at: "5:11",
    path: "constraints[0].like",
    message: "the pattern is 201 characters long; at most 200 are allowed",
  },
  {
    desc: "constraint that is not a mapping",
    yaml: `${APP}constraints:\n  - hostname\n`,
    at: "4:5",
    path: "constraints[0]",
    message: /^expected a constraint/,
  },
  // names and images
  {
    desc: "uppercase app name",
    yaml: "name: API\nimage: nginx:1.27\n",
    at: "1:7",
    path: "name",
    message: '"API" is not a valid app name',
    hint: /lowercase letters/,
  },
  {
    desc: "missing name",
    yaml: "image: nginx:1.27\n",
    at: "1:1",
    path: "",
    message: "missing required key `name`",
  },
  {
    desc: "numeric name",
    yaml: "name: 42\nimage: nginx:1.27\n",
    at: "1:7",
    path: "name",
    message: "expected a string, got a number",
    hint: 'quote it: "42"',
  },
  {
    desc: "uppercase image repository",
    yaml: "name: api\nimage: registry.example.com/Payments/API:1\n",
    at: "2:8",
    path: "image",
    message: /repository names must be lowercase/,
  },
  {
    desc: "malformed image reference",
    yaml: "name: api\nimage: 'api:'\n",
    at: "2:8",
    path: "image",
    message: '"api:" is not a valid image reference',
  },
  {
    desc: "neither image nor command",
    yaml: "name: api\n",
    at: "1:1",
    path: "",
    message: "the app needs an `image`, or a `command` or `shell` to run",
  },
  {
    desc: "command and shell together",
    yaml: `${APP}command: [node]\nshell: node server.js\n`,
    at: "4:1",
    path: "shell",
    message: "`command` and `shell` cannot be used together",
  },
  {
    desc: "empty command",
    yaml: `${APP}command: []\n`,
    at: "3:10",
    path: "command",
    message: "needs at least 1 item",
  },
  {
    desc: "command item that is a mapping",
    yaml: `${APP}command: [node, { a: 1 }]\n`,
    at: "3:17",
    path: "command[1]",
    message: "expected text, got a mapping",
  },
  // resources and units
  {
    desc: "cpus as text",
    yaml: `${APP}resources: { cpus: half }\n`,
    at: "3:20",
    path: "resources.cpus",
    message: "expected a number, got a string",
  },
  {
    desc: "cpus zero",
    yaml: `${APP}resources: { cpus: 0 }\n`,
    at: "3:20",
    path: "resources.cpus",
    message: "must be at least 0.001, got 0",
    hint: "write a number from 0.001 to 1024",
  },
  {
    desc: "cpus beyond Mesos precision",
    yaml: `${APP}resources: { cpus: 0.1234 }\n`,
    at: "3:20",
    path: "resources.cpus",
    message: "0.1234 has more than 3 decimals",
    hint: "Mesos keeps 3 decimals; write 0.123",
  },
  {
    desc: "decimal memory unit",
    yaml: `${APP}resources: { mem: 512MB }\n`,
    at: "3:19",
    path: "resources.mem",
    message: '"512MB" uses a unit titan does not take',
    hint: /did you mean "512Mi"\?/,
  },
  {
    desc: "gigabytes spelled G",
    yaml: `${APP}resources: { disk: 10G }\n`,
    at: "3:20",
    path: "resources.disk",
    message: '"10G" uses a unit titan does not take',
    hint: /did you mean "10Gi"\?/,
  },
  {
    desc: "memory that is not whole MB",
    yaml: `${APP}resources: { mem: 1.3Gi }\n`,
    at: "3:19",
    path: "resources.mem",
    message: "1.3Gi is 1331.2 MB; sizes must be a whole number of MB",
    hint: "use 1332Mi",
  },
  {
    desc: "zero memory",
    yaml: `${APP}resources: { mem: 0 }\n`,
    at: "3:19",
    path: "resources.mem",
    message: "must be at least 1 MB, got 0",
  },
  {
    desc: "fractional gpus",
    yaml: `${APP}resources: { gpus: 1.5 }\n`,
    at: "3:20",
    path: "resources.gpus",
    message: "expected a whole number, got 1.5",
  },
  {
    desc: "resources not a mapping",
    yaml: `${APP}resources: big\n`,
    at: "3:12",
    path: "resources",
    message: "expected a mapping, got a string",
  },
  // durations and health
  {
    desc: "duration without unit",
    yaml: `${APP}kill_grace: 30\n`,
    at: "3:13",
    path: "kill_grace",
    message: 'expected a duration like "10s", got a number',
    hint: 'add a unit: "30s"',
  },
  {
    desc: "duration in words",
    yaml: `${APP}kill_grace: 10 minutes\n`,
    at: "3:13",
    path: "kill_grace",
    message: '"10 minutes" is not a duration',
  },
  {
    desc: "empty value",
    yaml: `${APP}kill_grace:\n`,
    at: "3:12",
    path: "kill_grace",
    message: 'expected a duration like "10s", got nothing',
    hint: "give it a value, or remove the key",
  },
  {
    desc: "timeout not shorter than interval",
    yaml: `${APP}ports: [http]\nhealth:\n  tcp: { port: http }\n  interval: 5s\n  timeout: 5s\n`,
    at: "7:12",
    path: "health.timeout",
    message: "timeout 5s must be shorter than interval 5s",
  },
  {
    desc: "two probes",
    yaml: `${APP}ports: [http]\nhealth:\n  http: { port: http }\n  tcp: { port: http }\n`,
    at: "6:3",
    path: "health.tcp",
    message: "`http` and `tcp` cannot be used together",
  },
  {
    desc: "no probe",
    yaml: `${APP}health:\n  interval: 5s\n`,
    at: "4:3",
    path: "health",
    message: "needs one of: http, tcp, command, shell",
  },
  {
    desc: "health port not declared",
    yaml: `${APP}ports: [http]\nhealth:\n  http: { port: htp, path: /healthz }\n`,
    at: "5:17",
    path: "health.http.port",
    message: "health check port `htp` is not declared under ports",
    hint: "did you mean `http`?",
  },
  {
    desc: "health port without any ports",
    yaml: `${APP}health:\n  tcp: { port: admin }\n`,
    at: "4:16",
    path: "health.tcp.port",
    message: "health check port `admin` is not declared under ports",
    hint: "declare it: ports: [{ name: admin }]",
  },
  {
    desc: "relative health path",
    yaml: `${APP}ports: [http]\nhealth:\n  http: { port: http, path: healthz }\n`,
    at: "5:29",
    path: "health.http.path",
    message: '"healthz" is not an absolute path',
  },
  {
    desc: "zero failures",
    yaml: `${APP}ports: [http]\nhealth:\n  tcp: { port: http }\n  failures: 0\n`,
    at: "6:13",
    path: "health.failures",
    message: "must be at least 1, got 0",
  },
  // ports and references
  {
    desc: "undeclared port variable in command",
    yaml: `${APP}ports: [http]\ncommand: [serve, "--port", "\${PORT_HTTPS}"]\n`,
    at: "4:28",
    path: "command[2]",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${PORT_...}` is manifest syntax, not a template
    message: "${PORT_HTTPS} names no declared port",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${PORT_...}` is manifest syntax, not a template
    hint: "did you mean ${PORT_HTTP}?",
  },
  {
    desc: "undeclared port variable in env",
    yaml: `${APP}env:\n  ADMIN_URL: "http://localhost:\${PORT_ADMIN}/"\n`,
    at: "4:14",
    path: "env.ADMIN_URL",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${PORT_...}` is manifest syntax, not a template
    message: "${PORT_ADMIN} names no declared port",
    hint: "declare it: ports: [{ name: admin }]",
  },
  {
    desc: "undeclared port variable in shell",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${PORT_...}` is manifest syntax, not a template
    yaml: "name: api\nports: [http]\nshell: serve --port ${PORT_WEB}\n",
    at: "3:8",
    path: "shell",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${PORT_...}` is manifest syntax, not a template
    message: "${PORT_WEB} names no declared port",
    hint: "declared ports: http",
  },
  {
    desc: "duplicate port names",
    yaml: `${APP}ports:\n  - http\n  - name: http\n    protocol: udp\n`,
    at: "5:5",
    path: "ports[1]",
    message: "port `http` is declared twice (ports[0] and ports[1])",
  },
  {
    desc: "invalid port name",
    yaml: `${APP}ports: [HTTP]\n`,
    at: "3:9",
    path: "ports[0]",
    message: '"HTTP" is not a valid port name',
  },
  {
    desc: "bad protocol",
    yaml: `${APP}ports:\n  - name: dns\n    protocol: tpc\n`,
    at: "5:15",
    path: "ports[0].protocol",
    message: 'expected one of `tcp`, `udp`, got "tpc"',
    hint: "did you mean `tcp`?",
  },
  // instances and regions
  {
    desc: "regions do not add up",
    yaml: `${APP}instances: 6\nregions: { us-east: 4, eu-west: 1 }\n`,
    at: "4:10",
    path: "regions",
    message: "regions add up to 5 instances (us-east 4 + eu-west 1) but instances is 6",
    hint: "set instances: 5, or change the region counts to add up to 6",
  },
  {
    desc: "empty regions",
    yaml: `${APP}regions: {}\n`,
    at: "3:10",
    path: "regions",
    message: "regions is empty",
  },
  {
    desc: "negative region count",
    yaml: `${APP}regions: { us-east: -1 }\n`,
    at: "3:21",
    path: "regions.us-east",
    message: "must be at least 0, got -1",
  },
  {
    desc: "bad region name",
    yaml: `${APP}regions: { US_East: 1 }\n`,
    at: "3:12",
    path: "regions.US_East",
    message: "`US_East` is not a valid region name",
  },
  {
    desc: "instances as words",
    yaml: `${APP}instances: three\n`,
    at: "3:12",
    path: "instances",
    message: "expected a whole number, got a string",
  },
  // update and restart
  {
    desc: "update that cannot progress",
    yaml: `${APP}update: { max_surge: 0, max_unavailable: 0 }\n`,
    at: "3:22",
    path: "update.max_surge",
    message: "max_surge 0 and max_unavailable 0 leave an update no room to replace any instance",
  },
  {
    desc: "percentages that round to zero",
    yaml: `${APP}instances: 3\nupdate: { max_surge: 0%, max_unavailable: 25% }\n`,
    at: "4:22",
    path: "update.max_surge",
    message:
      "max_surge 0% and max_unavailable 25% with 3 instances leave an update no room to replace any instance",
  },
  {
    desc: "more than 100%",
    yaml: `${APP}update: { max_unavailable: 150% }\n`,
    at: "3:28",
    path: "update.max_unavailable",
    message: "150% is more than 100%",
  },
  {
    desc: "amount as words",
    yaml: `${APP}update: { max_surge: some }\n`,
    at: "3:22",
    path: "update.max_surge",
    message: '"some" is neither a count nor a percentage',
  },
  {
    desc: "a disruption window's hours in 12-hour time",
    yaml: `${APP}disruption: { windows: [{ hours: "9:00-5:00" }] }\n`,
    at: "3:34",
    path: "disruption.windows[0].hours",
    message: '"9:00-5:00" is not a range of hours',
    hint: /HH:MM-HH:MM in 24-hour time/,
  },
  {
    desc: "an empty disruption window",
    yaml: `${APP}disruption: { windows: [{ hours: "10:00-10:00" }] }\n`,
    at: "3:34",
    path: "disruption.windows[0].hours",
    message: '"10:00-10:00" is empty: it starts where it ends',
  },
  {
    desc: "a disruption window in an unknown time zone",
    yaml: `${APP}disruption: { windows: [{ hours: "09:00-17:00", time_zone: CET+1 }] }\n`,
    at: "3:60",
    path: "disruption.windows[0].time_zone",
    message: '"CET+1" is not a time zone',
    hint: "name an IANA time zone, e.g. Europe/Berlin or UTC",
  },
  {
    desc: "a disruption window on a day that is no weekday",
    yaml: `${APP}disruption: { windows: [{ days: [monday], hours: "09:00-17:00" }] }\n`,
    at: "3:34",
    path: "disruption.windows[0].days[0]",
    message: /expected one of `sun`, `mon`/,
  },
  {
    desc: "disruption without windows",
    yaml: `${APP}disruption: { windows: [] }\n`,
    at: "3:24",
    path: "disruption.windows",
    message: /at least 1/,
  },
  {
    desc: "disruption with neither windows nor a rate",
    yaml: `${APP}disruption: {}\n`,
    at: "3:13",
    path: "disruption",
    message: "disruption needs `windows`, `max_per_hour` or both",
  },
  {
    desc: "a disruption rate of 0",
    yaml: `${APP}disruption: { max_per_hour: 0% }\n`,
    at: "3:29",
    path: "disruption.max_per_hour",
    message: "max_per_hour 0 would never let a running instance be replaced",
  },
  {
    desc: "healthy deadline too short",
    yaml: `${APP}update: { min_healthy_time: 1m, healthy_deadline: 30s }\n`,
    at: "3:51",
    path: "update.healthy_deadline",
    message: "healthy_deadline must be longer than min_healthy_time",
  },
  {
    desc: "progress deadline too short",
    yaml: `${APP}update: { progress_deadline: 1m }\n`,
    at: "3:30",
    path: "update.progress_deadline",
    message: "progress_deadline must not be shorter than healthy_deadline",
  },
  {
    desc: "auto_rollback: no",
    yaml: `${APP}update: { auto_rollback: no }\n`,
    at: "3:26",
    path: "update.auto_rollback",
    message: 'expected true or false, got the string "no"',
  },
  {
    desc: "restart delay below backoff",
    yaml: `${APP}restart: { backoff: 1m, max_delay: 10s }\n`,
    at: "3:36",
    path: "restart.max_delay",
    message: "max_delay must not be shorter than backoff",
  },
  {
    desc: "restart factor below 1",
    yaml: `${APP}restart: { factor: 0.5 }\n`,
    at: "3:20",
    path: "restart.factor",
    message: "must be at least 1, got 0.5",
  },
  {
    desc: "placement typo",
    yaml: `${APP}placement: sprad\n`,
    at: "3:12",
    path: "placement",
    message: 'expected one of `binpack`, `spread`, got "sprad"',
    hint: "did you mean `spread`?",
  },
  // env and labels
  {
    desc: "reserved label prefix",
    yaml: `${APP}labels: { titan.app: x }\n`,
    at: "3:11",
    path: 'labels["titan.app"]',
    message: "label `titan.app` uses the reserved `titan.` prefix",
  },
  {
    desc: "bad env name",
    yaml: `${APP}env: { 1BAD: x }\n`,
    at: "3:8",
    path: 'env["1BAD"]',
    message: "`1BAD` is not a valid environment variable name",
  },
  {
    desc: "env name __proto__ refused",
    yaml: `${APP}env: { __proto__: x }\n`,
    at: "3:8",
    path: "env.__proto__",
    message: "`__proto__` is not a valid environment variable name",
  },
  {
    desc: "env value that is a list",
    yaml: `${APP}env: { A: [1] }\n`,
    at: "3:11",
    path: "env.A",
    message: "expected text or { secret: ... }, got a list",
  },
  {
    desc: "unknown key in a secret",
    yaml: `${APP}env:\n  DB: { secrte: "file:/x" }\n`,
    at: "4:9",
    path: "env.DB.secrte",
    message: "unknown key `secrte`",
    hint: "did you mean `secret`?",
    count: 2,
  },
  // YAML hardening
  {
    desc: "duplicate key",
    yaml: `${APP}image: nginx:1.27\n`,
    at: "3:1",
    path: "",
    message: "duplicate key `image`",
  },
  {
    desc: "alias",
    yaml: `${APP}labels: &l { team: a }\nenv: *l\n`,
    at: "3:12",
    path: "",
    message: "anchors (&l) are not supported",
    count: 2,
  },
  {
    desc: "merge key",
    yaml: `${APP}resources:\n  <<: { cpus: 1 }\n`,
    at: "4:3",
    path: "",
    message: "merge keys (<<) are not supported",
  },
  {
    desc: "custom tag",
    yaml: `${APP}kill_grace: !duration 10s\n`,
    at: "3:13",
    path: "",
    message: "YAML tags are not supported",
  },
  {
    desc: "standard tag",
    yaml: `${APP}kill_grace: !!str 10s\n`,
    at: "3:19",
    path: "",
    message: "YAML tags are not supported",
  },
  {
    desc: "tab indentation",
    yaml: `${APP}resources:\n\tcpus: 1\n`,
    at: "4:1",
    path: "",
    message: "a tab is used for indentation",
    hint: /replace the tabs with spaces/,
  },
  {
    desc: "several documents",
    yaml: `${APP}---\nname: web\n`,
    at: "3:1",
    path: "",
    message: "the file holds several YAML documents (`---`)",
  },
  {
    desc: "YAML 1.1 directive",
    yaml: `%YAML 1.1\n---\n${APP}`,
    at: "1:1",
    path: "",
    message: "`%YAML 1.1` is not supported: titan reads YAML 1.2",
  },
  {
    desc: "block nesting beyond the depth limit",
    yaml: `${APP}labels:${Array.from({ length: 40 }, (_, i) => `\n${"  ".repeat(i + 1)}a:`).join("")} 1\n`,
    at: "36:67",
    path: "",
    message: "nesting deeper than 32 levels",
  },
  { desc: "empty file", yaml: "", at: "1:1", path: "", message: "the file is empty" },
  { desc: "comments only", yaml: "# nothing yet\n", at: "1:1", path: "", message: "the file is empty" },
  {
    desc: "list at the top",
    yaml: "- name: api\n",
    at: "1:1",
    path: "",
    message: "the top level must be a mapping (an app's fields, or `apps:`), got a list",
    hint: /write `apps:`/,
  },
  {
    desc: "scalar at the top",
    yaml: "hello\n",
    at: "1:1",
    path: "",
    message: /^the top level must be a mapping.*got a string$/,
  },
  {
    desc: "unclosed flow sequence",
    yaml: `${APP}command: [node,\n`,
    at: "4:1",
    path: "",
    message: "the [ opened at line 3, column 10 is never closed",
  },
  {
    desc: "deep flow nesting",
    yaml: `${APP}x: ${"[".repeat(5000)}${"]".repeat(5000)}\n`,
    at: "3:104",
    path: "",
    message: "nesting deeper than 100 levels",
  },
  {
    desc: "over the size limit",
    yaml: `${APP}# ${"x".repeat(1024 * 1024)}\n`,
    at: "1:1",
    path: "",
    message: /^the file is 1048\d{3} bytes; manifests are limited to 1 MiB \(1048576 bytes\)$/,
  },
  // apps files
  {
    desc: "apps not a list",
    yaml: "apps: { name: api }\n",
    at: "1:7",
    path: "apps",
    message: "expected a list of apps, got a mapping",
  },
  { desc: "empty apps", yaml: "apps: []\n", at: "1:7", path: "apps", message: "apps is empty" },
  {
    desc: "app that is not a mapping",
    yaml: "apps:\n  - api\n",
    at: "2:5",
    path: "apps[0]",
    message: "expected an app (a mapping), got a string",
  },
  {
    desc: "app field beside apps",
    yaml: "image: nginx:1.27\napps:\n  - name: api\n",
    at: "1:1",
    path: "image",
    message: "unknown key `image` beside `apps`",
    hint: /under `defaults:`/,
    count: 2,
  },
  {
    desc: "name in defaults",
    yaml: "defaults:\n  name: x\n  image: nginx:1.27\napps:\n  - name: api\n",
    at: "2:3",
    path: "defaults.name",
    message: "defaults cannot set `name`",
  },
  {
    desc: "second app in a list",
    yaml: "apps:\n  - name: web\n    image: nginx:1.27\n  - name: api\n    image: nginx:1.27\n    resources: { mem: 1x }\n",
    at: "6:23",
    path: "apps[1].resources.mem",
    message: '"1x" is not a size',
  },
  {
    desc: "duplicate names in one file",
    yaml: "apps:\n  - name: web\n    image: nginx:1.27\n  - name: web\n    image: nginx:1.27\n",
    at: "4:11",
    path: "apps[1].name",
    message: "app name `web` is already used at t.yaml:2:11 (apps[0].name)",
    hint: /unique across all loaded manifests/,
  },
  {
    desc: "an error in defaults is reported once",
    yaml: "defaults:\n  image: nginx:1.27\n  kill_grace: soon\napps:\n  - name: web\n  - name: api\n",
    at: "3:15",
    path: "defaults.kill_grace",
    message: '"soon" is not a duration',
  },
];

describe("invalid manifests", () => {
  it.each(cases)("$desc", (c) => {
    const diagnostics = diagnosticsOf([{ file: "t.yaml", text: c.yaml }]);
    const [line, col] = c.at.split(":").map(Number);
    const found = diagnostics.find((d) =>
      typeof c.message === "string" ? d.message === c.message : c.message.test(d.message),
    );
    expect(found, JSON.stringify(diagnostics, null, 1)).toBeDefined();
    expect(found).toMatchObject({ file: "t.yaml", line, col, path: c.path });
    if (c.hint !== undefined) {
      if (typeof c.hint === "string") expect(found?.hint).toBe(c.hint);
      else expect(found?.hint).toMatch(c.hint);
    }
    expect(diagnostics).toHaveLength(c.count ?? 1);
  });

  it("reports every problem of every file at once, in file then position order", () => {
    const diagnostics = diagnosticsOf([
      { file: "a.yaml", text: "name: api\nimage: nginx:1.27\nresources: { mem: 12x }\nkill_grace: 5\n" },
      { file: "b.yaml", text: "name: web\nimgae: nginx:1.27\n" },
    ]);
    expect(diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.path}`)).toEqual([
      "a.yaml:3:19 resources.mem",
      "a.yaml:4:13 kill_grace",
      "b.yaml:2:1 imgae",
    ]);
  });

  it("names both places when an app name is used in two files", () => {
    const diagnostics = diagnosticsOf([
      { file: "api.yaml", text: "name: api\nimage: nginx:1.27\n" },
      {
        file: "more.yaml",
        text: "apps:\n  - name: web\n    image: nginx:1.27\n  - name: api\n    image: nginx:1.27\n",
      },
    ]);
    expect(diagnostics).toEqual([
      {
        file: "more.yaml",
        line: 4,
        col: 11,
        path: "apps[1].name",
        message: "app name `api` is already used at api.yaml:1:7 (name)",
        hint: "app names must be unique across all loaded manifests; rename one of them",
      },
    ]);
  });

  it("refuses an alias bomb without expanding it", () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(",")}]`,
      );
    const diagnostics = diagnosticsOf([{ file: "bomb.yaml", text: `${lines.join("\n")}\n` }]);
    expect(diagnostics.some((d) => /aliases \(\*a\) are not supported/.test(d.message))).toBe(true);
    expect(diagnostics.every((d) => d.file === "bomb.yaml" && d.line >= 1)).toBe(true);
  });

  it("never echoes a secret reference in a diagnostic", () => {
    const text = `${APP}env:\n  DB_PASSWORD: { secret: "hunter2-not-a-ref" }\n  TOKEN: { secret: 12345678 }\n  KEY: { secret: "file:relative/s3cr3t" }\n`;
    const diagnostics = diagnosticsOf([{ file: "t.yaml", text }]);
    expect(diagnostics.map((d) => d.path)).toEqual([
      "env.DB_PASSWORD.secret",
      "env.TOKEN.secret",
      "env.KEY.secret",
    ]);
    const printed = JSON.stringify(diagnostics);
    for (const secret of ["hunter2", "12345678", "s3cr3t"]) expect(printed).not.toContain(secret);
  });
});

/**
 * The titan.yaml field table: every key, its type, default and one-line documentation. It drives validation
 * (kit.ts reads nodes with it) and the JSON Schema that `titan schema` prints.
 */
import {
  ENV_SECRET_REF_HINT,
  ENV_SECRET_REF_PATTERN,
  type EnvSecretRef,
  parseEnvSecretRef,
} from "../config/secret-ref.js";
import type { Constraint } from "../placement/types.js";
import { APP_NAME, APP_NAME_RULE } from "./app-name.js";
import { checkOutputName, defaultOutputName, fetchUriType, outputFileType } from "./fetch-uri.js";
import { parseImageReference } from "./image-ref.js";
import {
  type At,
  boolean,
  byKind,
  decimal,
  dict,
  fail,
  integer,
  type JsonSchema,
  list,
  type ObjectType,
  type Out,
  object,
  ok,
  oneOfValues,
  optional,
  required,
  scalarType,
  string,
  type Type,
  tagged,
  text,
  transform,
  withDefault,
} from "./kit.js";
import {
  MAX_CPUS,
  MAX_DISK_MB,
  MAX_DURATION_MS,
  MAX_GPUS,
  MAX_HEALTH_FAILURES,
  MAX_INSTANCES,
  MAX_MEM_MB,
  MAX_RESTART_FACTOR,
  MIN_CPUS,
  MIN_MEM_MB,
} from "./limits.js";
import { describeKind, entryOf } from "./node.js";
import { regexProblem } from "./regex.js";
import { ENV_NAME, regionsType, rolloutType } from "./region-fields.js";
import type { Amount, EnvValue, PortSpec } from "./types.js";
import { formatDuration, formatSize, parseAmount, parseDuration, parseSize } from "./units.js";
import { isTimeZone, parseHours, WEEKDAYS } from "./windows.js";

const anyOf = (...schemas: JsonSchema[]): JsonSchema => ({ anyOf: schemas });

// ---- value types ------------------------------------------------------------------------------------------

const DURATION_PATTERN = "^(\\d+(\\.\\d+)?(ms|s|m|h))+$";

export function duration(): Type<number> {
  return scalarType(
    'a duration like "10s"',
    () => ({ type: "string", pattern: DURATION_PATTERN }),
    (node) => {
      if (typeof node.value !== "string") {
        return fail(
          `expected a duration like "10s", got ${describeKind(node)}`,
          `add a unit: "${node.text}s"`,
        );
      }
      const parsed = parseDuration(node.value);
      if (!parsed.ok) return fail(parsed.message, parsed.hint);
      if (parsed.value > MAX_DURATION_MS) {
        return fail(
          `${JSON.stringify(node.value)} is longer than ${formatDuration(MAX_DURATION_MS)}, the longest duration a manifest takes`,
        );
      }
      return ok(parsed.value);
    },
  );
}

function size(options: { min: number; max: number }): Type<number> {
  return scalarType(
    'a size like "512Mi"',
    () =>
      anyOf(
        { type: "number", minimum: options.min, maximum: options.max },
        { type: "string", pattern: "^\\d+(\\.\\d+)?(Mi|Gi|Ti)?$" },
      ),
    (node) => {
      if (typeof node.value !== "string" && typeof node.value !== "number") {
        return fail(`expected a size like "512Mi", got ${describeKind(node)}`);
      }
      const parsed = parseSize(node.value);
      if (!parsed.ok) return fail(parsed.message, parsed.hint);
      if (parsed.value < options.min) return fail(`must be at least ${options.min} MB, got ${node.text}`);
      if (parsed.value > options.max)
        return fail(`must be at most ${formatSize(options.max)}, got ${node.text}`);
      return ok(parsed.value);
    },
  );
}

function amount(): Type<Amount> {
  return scalarType(
    'a count or a percentage like "25%"',
    () =>
      anyOf(
        { type: "integer", minimum: 0, maximum: MAX_INSTANCES },
        { type: "string", pattern: "^\\d+(\\.\\d+)?%$" },
      ),
    (node) => {
      if (typeof node.value !== "string" && typeof node.value !== "number") {
        return fail(`expected a count or a percentage like "25%", got ${describeKind(node)}`);
      }
      const parsed = parseAmount(node.value);
      if (!parsed.ok) return fail(parsed.message, parsed.hint);
      if (parsed.value.kind === "count" && parsed.value.value > MAX_INSTANCES)
        return fail(`must be at most ${MAX_INSTANCES} instances, got ${node.text}`);
      return ok(parsed.value);
    },
  );
}

/** IANA service-name style, as Kubernetes port names: at most 15 characters. */
export const PORT_NAME = /^[a-z]([a-z0-9-]{0,13}[a-z0-9])?$/;
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,251}[A-Za-z0-9])?$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;

const appName = () =>
  string({
    pattern: APP_NAME,
    describe: "a valid app name",
    hint: `use ${APP_NAME_RULE}`,
  });

const portName = () =>
  string({
    pattern: PORT_NAME,
    describe: "a valid port name",
    hint: "use lowercase letters, digits and '-', starting with a letter, at most 15 characters",
  });

const attributeName = () =>
  string({
    pattern: ATTRIBUTE_NAME,
    describe: "an agent attribute name",
    hint: "`hostname`, or an attribute the agents carry such as zone, rack or instance_type",
  });

const image = () =>
  string({
    check: (value) => {
      const parsed = parseImageReference(value);
      return parsed.ok ? ok(value) : fail(parsed.message, parsed.hint);
    },
  });

/** argv; a single string gets a hint towards `shell:`, which takes one. */
const argv = (): Type<string[]> => {
  const items = list(text({ lineBreaks: true }), { minItems: 1 });
  return {
    ...items,
    read(node, path, ctx) {
      if (node.kind === "scalar" && typeof node.value === "string") {
        ctx.report(
          node.pos,
          path,
          "expected a list of text (argv), got a string",
          `write it as a list, e.g. [${node.value
            .trim()
            .split(/\s+/)
            .slice(0, 3)
            .map((w) => JSON.stringify(w))
            .join(", ")}], or use \`shell:\` for one string run with /bin/sh -c`,
        );
        return undefined;
      }
      return items.read(node, path, ctx);
    },
  };
};

const pattern = () =>
  string({
    check: (value) => {
      const problem = regexProblem(value);
      return problem
        ? fail(problem, "like/unlike take a regular expression that must match the whole value")
        : ok(value);
    },
  });

/** Never echoes the value: a mistyped reference may be the secret itself. */
const secretRef = () =>
  scalarType<EnvSecretRef>(
    'a secret reference ("file:/path", "env:NAME" or "mesos:NAME[#KEY]")',
    () => ({ type: "string", pattern: ENV_SECRET_REF_PATTERN.source }),
    (node) => {
      const parsed =
        typeof node.value === "string"
          ? parseEnvSecretRef(node.value)
          : "is not a secret reference (`env:NAME`, `file:/path` or `mesos:NAME`), and its text is not shown";
      return typeof parsed === "string" ? fail(parsed, ENV_SECRET_REF_HINT) : ok(parsed);
    },
  );

const envValue = (): Type<EnvValue> =>
  byKind<EnvValue>("text or { secret: ... }", {
    scalar: transform(text({ lineBreaks: true }), (value): EnvValue => ({ kind: "plain", value })),
    map: transform(
      object({
        secret: required(
          secretRef(),
          'A reference: "file:/path" or "env:NAME", resolved at deploy time; or "mesos:NAME[#KEY]", resolved by the agents on a cluster with `secrets: mesos`.',
        ),
      }),
      (v): EnvValue => ({ kind: "secret", ...v.secret }),
    ),
  });

/** A fetch entry as written; relative paths are resolved against the manifest's directory in parse.ts. */
export interface FetchEntry {
  uri: string;
  executable: boolean;
  extract: boolean;
  output_file?: string;
}

const fetchEntry = (): Type<FetchEntry> =>
  byKind<FetchEntry>("a URL or path, or { uri, executable, extract, output_file }", {
    scalar: transform(fetchUriType(), (uri): FetchEntry => ({ uri, executable: false, extract: true })),
    map: object({
      uri: required(fetchUriType(), "A URL (http, https, file) or a path relative to the manifest."),
      executable: withDefault(boolean(), false, "Make the fetched file executable."),
      extract: withDefault(boolean(), true, "Unpack archives (.tar, .tar.gz, .tgz, .zip) into the sandbox."),
      output_file: optional(
        outputFileType(),
        "Name of the file in the sandbox (default: the URL's last segment); a plain name, no directories.",
      ),
    }),
  });

/**
 * A fetch entry saved under a usable name: its output_file, else the URI's last segment. Checked per entry, so
 * an entry without a name is reported along with every other entry's problem.
 */
const namedFetchEntry = (): Type<FetchEntry> => {
  const entry = fetchEntry();
  return {
    expected: entry.expected,
    schema: () => entry.schema(),
    read(node, path, ctx) {
      const value = entry.read(node, path, ctx);
      if (value === undefined || value.output_file !== undefined) return value;
      if (checkOutputName(defaultOutputName(value.uri)).ok) return value;
      ctx.report(
        node.pos,
        path,
        `"${value.uri}" ends without a file name to save it under`,
        "add output_file: NAME, e.g. { uri: ..., output_file: index.html }",
      );
      return undefined;
    },
  };
};

const port = (): Type<PortSpec> =>
  byKind<PortSpec>("a port name or { name, protocol }", {
    scalar: transform(portName(), (name): PortSpec => ({ name, protocol: "tcp" })),
    map: transform(
      object({
        name: required(
          portName(),
          // biome-ignore lint/suspicious/noTemplateCurlyInString: `${PORT_...}` is manifest syntax, not a template
          "The port's name; `${PORT_<NAME>}` in command and env expands to its host port.",
        ),
        protocol: withDefault(oneOfValues(["tcp", "udp"] as const), "tcp", "tcp or udp."),
        container_port: optional(
          integer({ min: 1, max: 65535 }),
          "The port the image listens on inside a bridge-networked container (the `docker` containerizer maps the host port to it).",
        ),
      }),
      (v): PortSpec => ({
        name: v.name,
        protocol: v.protocol,
        ...(v.container_port === undefined ? {} : { containerPort: v.container_port }),
      }),
    ),
  });

// ---- constraints ------------------------------------------------------------------------------------------

const constraint = (): Type<Constraint> =>
  tagged<Constraint>("constraint", {
    unique: transform(
      object({
        unique: required(
          attributeName(),
          "At most one instance per value of this attribute (or `hostname`).",
        ),
      }),
      (v): Constraint => ({ kind: "unique", attribute: v.unique }),
    ),
    balance: transform(
      object({
        balance: required(attributeName(), "Spread instances evenly across the values of this attribute."),
        hard: withDefault(
          boolean(),
          false,
          "Refuse placements that would unbalance, instead of preferring balance.",
        ),
      }),
      (v): Constraint => ({ kind: "balance", attribute: v.balance, hard: v.hard }),
    ),
    attribute: transform(
      object(
        {
          attribute: required(attributeName(), "The agent attribute to test."),
          equals: optional(text(), "The attribute must equal this value."),
          like: optional(pattern(), "The attribute must fully match this regular expression."),
          unlike: optional(
            pattern(),
            "The attribute must not fully match this regular expression (agents without it pass).",
          ),
        },
        { exactlyOne: ["equals", "like", "unlike"] },
      ),
      (v): Constraint => {
        const op = v.like !== undefined ? "like" : v.unlike !== undefined ? "unlike" : "equals";
        return { kind: "attribute", attribute: v.attribute, op, value: v.like ?? v.unlike ?? v.equals ?? "" };
      },
    ),
    max_per: transform(
      object({
        max_per: required(attributeName(), "Limit instances per value of this attribute."),
        count: required(integer({ min: 1, max: MAX_INSTANCES }), "The most instances per value."),
      }),
      (v): Constraint => ({ kind: "max_per", attribute: v.max_per, count: v.count }),
    ),
  });

// ---- the app ----------------------------------------------------------------------------------------------

export const resourcesType = object({
  cpus: withDefault(
    decimal({ min: MIN_CPUS, max: MAX_CPUS, decimals: 3 }),
    0.1,
    `CPU shares, ${MIN_CPUS} to ${MAX_CPUS} (Mesos keeps 3 decimals).`,
  ),
  mem: withDefault(
    size({ min: MIN_MEM_MB, max: MAX_MEM_MB }),
    "128Mi",
    'Memory: "512Mi", "1Gi", or a plain number of MB; at most 16Ti.',
  ),
  disk: withDefault(
    size({ min: 0, max: MAX_DISK_MB }),
    0,
    'Sandbox disk: "1Gi", or a plain number of MB; at most 64Ti.',
  ),
  gpus: withDefault(integer({ min: 0, max: MAX_GPUS }), 0, `Whole GPUs, at most ${MAX_GPUS}.`),
});

/** Names the value that is wrong: a default the user never wrote is the usual culprit. */
function checkHealthTimings(h: { timeout: number; interval: number }, at: At): void {
  if (h.timeout < h.interval) return;
  const timeout = formatDuration(h.timeout);
  const interval = formatDuration(h.interval);
  const setTimeout = entryOf(at.node, "timeout") !== undefined;
  const setInterval = entryOf(at.node, "interval") !== undefined;
  if (!setTimeout) {
    at.report(
      ["interval"],
      `interval ${interval} is not longer than the default timeout of ${timeout}`,
      `set a shorter timeout as well, e.g. \`timeout: ${formatDuration(Math.max(1, Math.floor(h.interval / 2)))}\`, or a longer interval`,
    );
  } else if (!setInterval) {
    at.report(
      ["timeout"],
      `timeout ${timeout} is not shorter than the default interval of ${interval}`,
      `set a longer interval as well, e.g. \`interval: ${formatDuration(h.timeout * 2)}\`, or a shorter timeout`,
    );
  } else {
    at.report(
      ["timeout"],
      `timeout ${timeout} must be shorter than interval ${interval}`,
      "a probe must end before the next one starts",
    );
  }
}

export const healthType = object(
  {
    http: optional(
      object({
        port: required(portName(), "A port declared under `ports`."),
        path: withDefault(
          string({
            pattern: /^\//,
            describe: "an absolute path",
            hint: "start the path with /, e.g. /healthz",
          }),
          "/",
          "Request path; any 2xx or 3xx answer is healthy.",
        ),
        scheme: withDefault(oneOfValues(["http", "https"] as const), "http", "http or https."),
      }),
      "HTTP GET probe.",
    ),
    tcp: optional(
      object({ port: required(portName(), "A port declared under `ports`.") }),
      "TCP connect probe.",
    ),
    command: optional(argv(), "Command probe as argv, run in the task's sandbox; exit 0 is healthy."),
    shell: optional(
      string({ lineBreaks: true }),
      "Command probe as one string run with /bin/sh -c; exit 0 is healthy.",
    ),
    interval: withDefault(duration(), "10s", "Time between probes."),
    timeout: withDefault(duration(), "5s", "A probe slower than this fails; must be shorter than interval."),
    grace: withDefault(duration(), "30s", "Failures during this time after start do not count."),
    delay: withDefault(duration(), "0s", "Wait before the first probe."),
    failures: withDefault(
      integer({ min: 1, max: MAX_HEALTH_FAILURES }),
      3,
      "Consecutive failures before the instance is killed and replaced.",
    ),
  },
  {
    exactlyOne: ["http", "tcp", "command", "shell"],
    check: checkHealthTimings,
  },
);

export const updateType = object(
  {
    max_surge: withDefault(
      amount(),
      "25%",
      "Extra instances started above `instances` during an update (rounds up).",
    ),
    max_unavailable: withDefault(amount(), 0, "Instances that may be down during an update (rounds down)."),
    min_healthy_time: withDefault(duration(), "10s", "How long a new instance must stay healthy to count."),
    healthy_deadline: withDefault(duration(), "5m", "A new instance not healthy by then fails the update."),
    progress_deadline: withDefault(
      duration(),
      "10m",
      "The update fails when no instance became healthy for this long.",
    ),
    auto_rollback: withDefault(boolean(), true, "Roll back to the previous release when the update fails."),
  },
  {
    check: (u, at) => {
      if (u.healthy_deadline <= u.min_healthy_time) {
        at.report(
          ["healthy_deadline"],
          "healthy_deadline must be longer than min_healthy_time",
          "otherwise no instance can ever count as healthy",
        );
      }
      if (u.progress_deadline < u.healthy_deadline) {
        at.report(["progress_deadline"], "progress_deadline must not be shorter than healthy_deadline");
      }
    },
  },
);

const windowType = object({
  days: withDefault(
    list(oneOfValues(WEEKDAYS), { minItems: 1 }),
    [...WEEKDAYS],
    "The days the window starts on (sun … sat); default every day.",
  ),
  hours: required(
    string({
      check: (value) =>
        parseHours(value) === undefined
          ? fail(
              `${JSON.stringify(value)} is not a range of hours`,
              'write it as HH:MM-HH:MM in 24-hour time, e.g. "09:00-17:00" or "22:00-02:00" (past midnight)',
            )
          : parseHours(value)?.startMinute === parseHours(value)?.endMinute
            ? fail(
                `${JSON.stringify(value)} is empty: it starts where it ends`,
                'a whole day is "00:00-24:00"',
              )
            : ok(value),
    }),
    "Local hours, HH:MM-HH:MM, start included, end excluded; an end before the start is the next day's.",
  ),
  time_zone: withDefault(
    string({
      check: (value) =>
        isTimeZone(value)
          ? ok(value)
          : fail(
              `${JSON.stringify(value)} is not a time zone`,
              "name an IANA time zone, e.g. Europe/Berlin or UTC",
            ),
    }),
    "UTC",
    "The IANA time zone the days and hours are in.",
  ),
});

export const disruptionType = object(
  {
    windows: optional(
      list(windowType, { minItems: 1 }),
      "When titan may take running instances down on purpose (replace, restart, drain, roll back): a deploy that would is refused outside them unless --override-disruption gives a reason.",
    ),
    max_per_hour: optional(
      amount(),
      "At most this many running instances replaced or moved in any hour, over every command (a percentage of the instances rounds down, to at least 1): a rollout waits for the budget.",
    ),
  },
  {
    check: (d, at) => {
      if (d.windows === undefined && d.max_per_hour === undefined)
        at.report([], "disruption needs `windows`, `max_per_hour` or both", "or remove `disruption`");
      if (d.max_per_hour !== undefined && d.max_per_hour.value === 0)
        at.report(
          ["max_per_hour"],
          "max_per_hour 0 would never let a running instance be replaced",
          "allow at least 1 (or a percentage above 0); use `windows` to say when replacing may happen",
        );
    },
  },
);

export const restartType = object(
  {
    backoff: withDefault(duration(), "1s", "Delay before restarting a failed instance the first time."),
    factor: withDefault(
      decimal({ min: 1, max: MAX_RESTART_FACTOR }),
      2,
      "The delay grows by this factor after each consecutive failure.",
    ),
    max_delay: withDefault(duration(), "5m", "The longest delay between restarts."),
  },
  {
    check: (r, at) => {
      if (r.max_delay < r.backoff) at.report(["max_delay"], "max_delay must not be shorter than backoff");
    },
  },
);

export const appShape = {
  name: required(appName(), "The app's name, unique across all loaded manifests (a lowercase DNS label)."),
  image: optional(
    image(),
    "Docker image reference; optional when `command` or `shell` runs a plain Mesos command task.",
  ),
  command: optional(
    argv(),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${PORT_...}` is manifest syntax, not a template
    "The command as argv; `${PORT_<NAME>}` expands to a host port. Exclusive with `shell`.",
  ),
  shell: optional(
    string({ lineBreaks: true }),
    "The command as one string run with /bin/sh -c. Exclusive with `command`.",
  ),
  env: withDefault(
    dict({ pattern: ENV_NAME, describe: "a valid environment variable name" }, envValue()),
    {},
    'Environment: plain values, or { secret: "file:/path" | "env:NAME" } resolved at deploy time, or { secret: "mesos:NAME[#KEY]" } resolved by the agents.',
  ),
  fetch: withDefault(
    list(namedFetchEntry()),
    [],
    "Files the agent fetches into the sandbox before the command starts (Mesos fetcher URIs).",
  ),
  resources: withDefault(resourcesType, {}, "What each instance reserves."),
  ports: withDefault(list(port()), [], "Named ports; host ports are allocated at placement time."),
  instances: optional(
    integer({ min: 0, max: MAX_INSTANCES }),
    "How many instances run; defaults to 1, or to the sum of `regions`.",
  ),
  regions: optional(
    regionsType({
      envValue: envValue(),
      constraint: constraint(),
      resources: resourcesType,
      duration: duration(),
    }),
    "Instances per region (`us-east: 4`), or a mapping with `instances` and overrides of env, resources and constraints for that region; the counts must add up to `instances` when both are given.",
  ),
  rollout: optional(
    rolloutType({ duration: duration() }),
    "How a deploy goes through the regions: waves, soak time between waves, what a failed region does.",
  ),
  constraints: withDefault(list(constraint()), [], "Placement rules: unique, max_per, attribute, balance."),
  placement: withDefault(
    oneOfValues(["binpack", "spread"] as const),
    "binpack",
    "Pack agents tightly, or spread over them.",
  ),
  health: optional(healthType, "Health check: exactly one of http, tcp, command or shell, plus timings."),
  update: withDefault(updateType, {}, "How a new release replaces the running one."),
  restart: withDefault(restartType, {}, "Backoff between restarts of a failing instance."),
  disruption: optional(
    disruptionType,
    "When running instances may be replaced on purpose: weekly windows in a time zone (Titus's disruption budget).",
  ),
  kill_grace: withDefault(duration(), "10s", "Time between SIGTERM and SIGKILL when an instance stops."),
  user: optional(
    string({
      pattern: /^[A-Za-z_][A-Za-z0-9._-]{0,31}$/,
      describe: "a Unix user name",
      hint: "name a user that exists on every agent, e.g. nobody",
    }),
    "Unix user the instances run as on the agents (FrameworkInfo.user); default: the cluster's `user`, else `nobody`.",
  ),
  labels: withDefault(
    dict(
      {
        pattern: LABEL_KEY,
        describe: "a valid label key",
        check: (key) =>
          key.startsWith("titan.")
            ? {
                message: `label \`${key}\` uses the reserved \`titan.\` prefix`,
                hint: "titan sets titan.* labels on its own tasks; choose another prefix",
              }
            : undefined,
      },
      text(),
    ),
    {},
    "Labels set on every task (the `titan.` prefix is reserved).",
  ),
  platform: optional(
    string({
      pattern: /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/,
      describe: "a platform os/architecture[/variant]",
      hint: "e.g. linux/amd64 or linux/arm64/v8",
    }),
    "Which platform's image to pin when `image` names a multi-platform index (default linux/amd64).",
  ),
} as const;

export type AppFields = Out<typeof appShape>;

/** The app as a plain mapping; cross-field rules live in checks.ts so they can see the whole app. */
export function appType(
  checkPartial: (app: Partial<AppFields>, at: At) => void,
): ObjectType<typeof appShape> {
  return object(appShape, { exclusive: [["command", "shell"]], checkPartial });
}

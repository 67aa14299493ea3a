/**
 * What each state record must look like when it is read back. A record that does not is reported with its
 * file and what is wrong, never passed on to crash a command later (a release file `{}` once did).
 */
import { APP_NAME } from "../manifest/app-name.js";
import { WEEKDAYS } from "../manifest/windows.js";
import { anyText, bool, type Check, either, int, list, num, obj, oneOf, opt, record, str } from "./shape.js";
import type { DeployProgress, LockRecord, Release, SupervisorReport } from "./types.js";

const OUTCOMES = ["pending", "deployed", "failed", "rolled_back", "superseded"] as const;
const PHASES = ["deploying", "rolling_back", "interrupted", "finished"] as const;

const text = str();
const multiline = str({ lineBreaks: true });
const amount = obj({ kind: oneOf(["count", "percent"]), value: num });

const envValue = either(
  obj({ kind: oneOf(["plain"]), value: multiline }),
  obj({ kind: oneOf(["secret"]), source: oneOf(["file", "env"]), ref: text, raw: text }),
  obj({ kind: oneOf(["secret"]), source: oneOf(["mesos"]), ref: text, key: opt(text), raw: text }),
);

const constraint = either(
  obj({ kind: oneOf(["unique"]), attribute: text }),
  obj({ kind: oneOf(["max_per"]), attribute: text, count: int(1) }),
  obj({ kind: oneOf(["attribute"]), attribute: text, op: oneOf(["equals", "like", "unlike"]), value: text }),
  obj({ kind: oneOf(["balance"]), attribute: text, hard: bool }),
);

const probe = either(
  obj({ kind: oneOf(["http"]), port: text, path: text, scheme: oneOf(["http", "https"]) }),
  obj({ kind: oneOf(["tcp"]), port: text }),
  obj({ kind: oneOf(["command"]), argv: opt(list(multiline)), shell: opt(multiline) }),
);

/** The app spec a release keeps (a rollback deploys it again). */
export const appSpecCheck: Check = obj({
  name: str({ pattern: APP_NAME }),
  image: opt(text),
  command: opt(list(multiline)),
  shell: opt(multiline),
  env: record(envValue),
  fetch: list(
    obj({ uri: text, executable: bool, extract: bool, outputFile: opt(str({ pattern: /^[^/\\]+$/ })) }),
  ),
  resources: obj({ cpus: num, mem: num, disk: num, gpus: num }),
  ports: list(obj({ name: text, protocol: oneOf(["tcp", "udp"]) })),
  instances: int(0),
  regions: opt(record(int(0))),
  constraints: list(constraint),
  placement: oneOf(["binpack", "spread"]),
  health: opt(
    obj({ probe, intervalMs: int(0), timeoutMs: int(0), graceMs: int(0), delayMs: int(0), failures: int(1) }),
  ),
  update: obj({
    maxSurge: amount,
    maxUnavailable: amount,
    minHealthyTimeMs: int(0),
    healthyDeadlineMs: int(0),
    progressDeadlineMs: int(0),
    autoRollback: bool,
  }),
  restart: obj({ backoffMs: int(0), factor: num, maxDelayMs: int(0) }),
  disruption: opt(
    obj({
      windows: opt(
        list(obj({ days: list(oneOf(WEEKDAYS)), startMinute: int(0), endMinute: int(0), timeZone: text })),
      ),
      maxPerHour: opt(amount),
    }),
  ),
  killGraceMs: int(0),
  labels: record(text),
  source: obj({ file: text, line: int(0), col: int(0), path: text }),
});

const releaseCheck: Check = obj({
  app: str({ pattern: APP_NAME }),
  number: int(1),
  image: opt(text),
  imageDigest: opt(text),
  manifestDigest: text,
  spec: appSpecCheck,
  createdAt: num,
  user: anyText,
  outcome: oneOf(OUTCOMES),
  // Often a task's message from an agent: kept as it came, shown escaped.
  detail: opt(anyText),
  finishedAt: opt(num),
  lagging: opt(list(str({ pattern: /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/ }))),
  disruptionOverride: opt(anyText),
  command: opt(anyText),
  rollout: opt(text),
});

const lockCheck: Check = obj({
  user: anyText,
  host: anyText,
  pid: int(0),
  purpose: anyText,
  token: str({ pattern: /^[0-9a-f]+$/ }),
  acquiredAt: num,
  expiresAt: num,
});

const progressCheck: Check = obj({
  release: int(1),
  phase: oneOf(PHASES),
  launched: list(anyText),
  agents: opt(record(anyText)),
  incarnations: opt(record(int(1))),
  updatedAt: num,
  waiting: opt(obj({ for: anyText, at: num })),
  disrupted: opt(list(num)),
  disruptedTasks: opt(record(num)),
  rollback: opt(obj({ from: int(1), to: int(1), finish: opt(anyText) })),
});

/** A supervisor report's id: safe as a file and a ZooKeeper node name. */
export const SUPERVISOR_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

const supervisorCheck: Check = obj({
  id: str({ pattern: SUPERVISOR_ID }),
  user: anyText,
  host: anyText,
  pid: int(0),
  startedAt: num,
  scope: either(oneOf(["all"]), list(str({ pattern: APP_NAME }))),
  apps: list(
    obj({
      app: str({ pattern: APP_NAME }),
      mode: text,
      leader: bool,
      lastReconciledAt: opt(num),
      brake: opt(anyText),
      backoff: opt(
        list(
          obj({
            instance: int(0),
            restarts: int(0),
            nextLaunchAt: num,
            lastState: opt(text),
            reason: opt(anyText),
          }),
        ),
      ),
    }),
  ),
  listen: opt(text),
  updatedAt: num,
  expiresAt: num,
});

const frameworkCheck: Check = obj({ framework_id: str({ pattern: /^\S+$/ }) });

export type Verdict<T> = { ok: true; value: T } | { ok: false; problem: string };

function verdict<T>(check: Check, value: unknown): Verdict<T> {
  const problem = check(value, "");
  return problem === undefined ? { ok: true, value: value as T } : { ok: false, problem };
}

/** A release file, which must also be the release its name says. */
export function readRelease(value: unknown, app: string, number: number): Verdict<Release> {
  const result = verdict<Release>(releaseCheck, value);
  if (!result.ok) return result;
  if (result.value.app !== app) return { ok: false, problem: `app: names ${result.value.app}, not ${app}` };
  if (result.value.number !== number)
    return { ok: false, problem: `number: is ${result.value.number}, but the file is release ${number}` };
  if (result.value.spec.name !== app) return { ok: false, problem: "spec.name: is not the release's app" };
  return result;
}

export const readLock = (value: unknown): Verdict<LockRecord> => verdict<LockRecord>(lockCheck, value);
export const readProgress = (value: unknown): Verdict<DeployProgress> =>
  verdict<DeployProgress>(progressCheck, value);
export const readFramework = (value: unknown): Verdict<{ framework_id: string }> =>
  verdict<{ framework_id: string }>(frameworkCheck, value);

export const readSupervisorReport = (value: unknown): Verdict<SupervisorReport> =>
  verdict<SupervisorReport>(supervisorCheck, value);

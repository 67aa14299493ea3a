import { TitanError } from "../cli/errors.js";
import { ExitCode } from "../cli/exit-codes.js";

/**
 * The typed failures of the Mesos client. Each is one line plus a hint; commands map them to exit codes only
 * through TitanError.exitCode. Messages never contain credentials: they are built from URLs without userinfo,
 * status lines and sanitised body excerpts.
 */

/** No master in the cluster list answered as leader (redirect hops exhausted, a redirect loop, or a 307 left over). */
export class NotLeaderError extends TitanError {
  constructor(message: string, hint = "check that the configured master URLs belong to one Mesos cluster") {
    super(message, { hint });
  }
}

/** 503 (no leader elected yet, master still recovering) or no master reachable at all. */
export class TemporarilyUnavailableError extends TitanError {
  constructor(message: string, hint = "the cluster may be electing a leader; retry in a few seconds") {
    super(message, { hint });
  }
}

/** 401 or 403. */
export class UnauthorizedError extends TitanError {
  readonly status: number;
  constructor(message: string, status: number, hint: string) {
    super(message, { hint });
    this.status = status;
  }
}

/** The master no longer knows the framework id (torn down, or its failover timeout expired). */
export class FrameworkRemovedError extends TitanError {
  constructor(message: string) {
    super(message, {
      hint: "the framework was torn down; its tasks are gone. Start fresh without the saved framework id",
    });
  }
}

/** The master answered SUBSCRIBE with an ERROR: it refuses titan's FrameworkInfo, and will again. */
export class SubscriptionRefusedError extends TitanError {
  constructor(message: string) {
    super(message, {
      hint: "re-running will not help: change what the master names (the role, --failover-timeout, the principal) or the master's configuration",
    });
  }
}

/** The scheduler subscription ended and could not be re-established (master ERROR event, give-up deadline). */
export class SubscriptionLostError extends TitanError {
  constructor(message: string, hint = "re-run the command; titan re-subscribes with the same framework id") {
    super(message, { hint });
  }
}

/** The master ended the subscription because another SUBSCRIBE with the same framework id took the framework over. */
export class FailedOverError extends SubscriptionLostError {}

/** A response that is not what the API promises: wrong status, not JSON, wrong shape, broken stream framing. */
export class BadResponseError extends TitanError {
  readonly status: number | undefined;
  constructor(message: string, options: { status?: number; hint?: string; cause?: unknown } = {}) {
    super(message, {
      hint: options.hint ?? "is the URL a Mesos master or agent? a proxy in between may have answered",
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.status = options.status;
  }
}

/** A per-request deadline or a stream's idle watchdog fired. */
export class MesosTimeoutError extends TitanError {
  constructor(
    message: string,
    hint = "the master or agent is slow or unreachable; check the network and retry",
  ) {
    super(message, { exitCode: ExitCode.Runtime, hint });
  }
}

/** A body or a RecordIO frame exceeded its size cap. */
export class ResponseTooLargeError extends TitanError {
  readonly limitBytes: number;
  constructor(message: string, limitBytes: number) {
    super(message, { hint: "the response exceeded titan's size cap; is this the right endpoint?" });
    this.limitBytes = limitBytes;
  }
}

/** Could not open a connection (refused, DNS, TLS verification). */
export class ConnectionError extends TitanError {
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, { hint, ...(cause === undefined ? {} : { cause }) });
  }
}

/**
 * The connection failed after the headers: the master or agent was reached and its answer cut short. A
 * ConnectionError still, so whatever retries a dropped connection retries this too.
 */
export class TruncatedResponseError extends ConnectionError {}

/** The agent answered 404 for a sandbox file: garbage-collected sandbox or a moved `latest` run. */
export class SandboxGoneError extends TitanError {
  constructor(path: string) {
    super(`sandbox file ${path} no longer exists on the agent`, {
      hint: "the sandbox was garbage-collected or the task's run ended; logs of old runs are gone",
    });
  }
}

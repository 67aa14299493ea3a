import { describe, expect, it } from "vitest";
import { rolledBackHint } from "../../src/commands/deploy/regions.js";
import { failedError, rolledBackError } from "../../src/release/failed-release.js";

const target = ["--context", "prod"];

describe("the last words of a failed release", () => {
  it("says a release whose tasks never started was not started, with a hint about the cluster, not the logs", () => {
    const error = rolledBackError(
      {
        app: "web",
        release: 6,
        reason: "instance 0 (web.6.0.1) never started: the master reported nothing of its launch",
        cause: "not_started",
        rolledBackTo: 5,
      },
      target,
    );
    expect(error.exitCode).toBe(5);
    expect(error.message).toBe(
      "release 6 of web was never started by the cluster (instance 0 (web.6.0.1) never started: the master reported nothing of its launch) and was rolled back to release 5",
    );
    expect(error.message).not.toContain("health gates");
    expect(error.hint).toContain(
      "check that the leading master answers and that its agents are up and registered",
    );
    expect(error.hint).toContain("`titan status web --context prod`");
    expect(error.hint).not.toContain("titan logs");
  });

  it("says the health gates and the logs only for a release whose tasks ran", () => {
    const error = rolledBackError(
      {
        app: "web",
        release: 6,
        reason: "instance 0 (web.6.0.1) was not healthy",
        cause: "unhealthy",
        rolledBackTo: 5,
      },
      target,
    );
    expect(error.message).toMatch(/^release 6 of web failed its health gates \(/);
    expect(error.hint).toBe(
      "see why in `titan logs web --release 6 --context prod`, fix it and deploy again",
    );
  });

  it("says launches refused or failed before they ran could not be launched", () => {
    const error = rolledBackError(
      {
        app: "web",
        release: 6,
        reason: "Mesos refused task web.6.0.3",
        cause: "launch_failed",
        rolledBackTo: 5,
      },
      target,
    );
    expect(error.message).toMatch(/^release 6 of web could not be launched \(Mesos refused/);
    expect(error.hint).not.toContain("titan logs");
  });

  it("gives a failed release that was not rolled back the same hint for what it failed of", () => {
    const notStarted = failedError(
      { app: "web", release: 6, reason: "instance 0 (web.6.0.1) never started", cause: "not_started" },
      "deploy",
      target,
    );
    expect(notStarted.exitCode).toBe(6);
    expect(notStarted.message).toBe("deploy of web failed: instance 0 (web.6.0.1) never started");
    expect(notStarted.hint).toContain("`titan status web --context prod`");
    const unhealthy = failedError(
      { app: "web", release: 6, reason: "not healthy", cause: "unhealthy" },
      "deploy",
    );
    expect(unhealthy.hint).toBe(
      "see `titan releases web`; fix the release and deploy again, or `titan rollback web`",
    );
  });

  it("points a multi-region rollback at the logs only when a region's tasks ran and failed their gates", () => {
    const rolledBack = (cause: "unhealthy" | "not_started" | "no_room") => ({
      region: "eu",
      outcome: "rolled_back" as const,
      cause,
    });
    expect(rolledBackHint([rolledBack("unhealthy")])).toContain("titan logs APP --region R");
    expect(rolledBackHint([rolledBack("not_started")])).not.toContain("titan logs");
    expect(rolledBackHint([rolledBack("not_started")])).toContain("`titan status APP --region R`");
    expect(rolledBackHint([rolledBack("no_room")])).toContain("`titan plan --region R`");
    expect(rolledBackHint([rolledBack("no_room"), { ...rolledBack("unhealthy"), region: "us" }])).toContain(
      "titan logs",
    );
  });
});

import { listFlag, negatedFlag, type OptionsOf, switchFlag, valueFlag } from "../cli/flags.js";
import { targetFlagTable } from "../cli/target-options.js";

/** `--app`: which apps of the manifests `titan plan` and `titan deploy` take (selectApps). */
export const appSelectionFlag = listFlag(
  "-a, --app <name>",
  "only this app of the manifests; repeatable (default: every app they name)",
);

/** The flags of every command that changes an app (deploy, scale, restart, rollback, stop). Cheap: no implementation. */
export const applyFlagTable = {
  ...targetFlagTable,
  yes: switchFlag("-y, --yes", "go ahead without asking (required without a terminal)"),
  json: switchFlag("--json", "print the plan and then one JSON event per line (NDJSON) on stdout"),
  timeout: valueFlag(
    "--timeout <duration>",
    "give up waiting after this long (exit 7); what runs keeps running",
  ),
  forceUnlock: switchFlag(
    "--force-unlock",
    "take the app's deploy lock even from a live holder (says whose it was)",
  ),
  autoRollback: negatedFlag(
    "--no-auto-rollback",
    "on failure stop where the rollout is (exit 6) instead of rolling back",
  ),
  dryRun: switchFlag(
    "--dry-run",
    "show the plan and run every check the change would, then stop: nothing changes (exit 0, or what the change would exit)",
  ),
  adopt: switchFlag(
    "--adopt",
    "take over an app another framework runs (another config or state store) instead of stopping",
  ),
  failoverTimeout: valueFlag(
    "--failover-timeout <duration>",
    "how long Mesos keeps the app's tasks while titan is away (env TITAN_FAILOVER_TIMEOUT; default 168h)",
  ),
} as const;

/** The flag of the commands that may replace running instances (deploy, scale, restart, rollback, drain). */
export const disruptionFlagTable = {
  overrideDisruption: valueFlag(
    "--override-disruption <reason>",
    "take running instances down even outside an app's disruption windows or beyond its max_per_hour; the release keeps the reason",
  ),
} as const;

/** applyFlagTable with --override-disruption: the flags of every command that changes an app but `stop`. */
export const replacingFlagTable = { ...applyFlagTable, ...disruptionFlagTable } as const;

/** What the commands that change an app are given; scale, restart, rollback and stop add their own flags. */
export type ApplyFlags = OptionsOf<typeof applyFlagTable> &
  Partial<OptionsOf<typeof disruptionFlagTable>> & {
    /** The apps the command changes: only their own frameworks' tasks are acted on. */
    apps?: readonly string[];
  };

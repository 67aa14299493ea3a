import { TitanError } from "../cli/errors.js";
import type { StateStore } from "../state/types.js";
import { applyOwnership, type ForeignFramework } from "./ownership.js";
import type { ClusterSnapshot, ClusterStateSource } from "./types.js";

export interface OwnedSourceOptions {
  /** The apps the command acts on; their tasks are narrowed to each app's own framework. */
  apps: readonly string[];
  /**
   * What to do when another framework runs one of them: `report` (a plan: warn and leave its tasks out),
   * `refuse` (a change: stop before anything is changed) or `adopt` (`--adopt`: record that framework as the app's
   * own, so the deploy subscribes as it and takes its tasks over).
   */
  onForeign: "report" | "refuse" | "adopt";
  /** `--dry-run`: an adoption is shown and planned with, and recordAdoptions() never runs. */
  preview?: boolean;
  note?: (line: string) => void;
}

/**
 * The cluster as one config's titan may act on it: each app's tasks are those of the framework its state store
 * records (named `titan:<app>`); another framework's tasks of the same app (another config dir or state store
 * deploying the same name) are never adopted silently, so two deployers cannot end up doubling an app.
 */
export class OwnedSource implements ClusterStateSource {
  /** Frameworks adopted by the last read, recorded only once the change is confirmed (recordAdoptions). */
  private readonly adoptions = new Map<string, string>();

  constructor(
    private readonly inner: ClusterStateSource,
    private readonly store: Pick<StateStore, "frameworkId" | "setFrameworkId" | "describe">,
    private readonly options: OwnedSourceOptions,
  ) {}

  describe(): string {
    return this.inner.describe();
  }

  async read(signal: AbortSignal): Promise<ClusterSnapshot> {
    const snapshot = await this.inner.read(signal);
    const recorded = await this.recorded();
    const owned = applyOwnership(snapshot, recorded);
    if (owned.foreign.length === 0 || this.options.onForeign === "report") return owned.snapshot;
    if (this.options.onForeign === "refuse") throw this.runElsewhere(owned.foreign, recorded);
    for (const app of new Set(owned.foreign.map((f) => f.app))) {
      const others = owned.foreign.filter((f) => f.app === app);
      const [other] = others;
      if (other === undefined) continue;
      if (others.length > 1 || owned.snapshot.titanTasks[app] !== undefined) {
        throw new TitanError(
          `cannot adopt ${app}: it runs under ${others.length + (others.length > 1 ? 0 : 1)} frameworks`,
          {
            hint: `stop it in all but one of them first (${describeAll(others)})`,
          },
        );
      }
      this.adoptions.set(app, other.frameworkId);
      recorded.set(app, other.frameworkId);
      const tasks = `${other.tasks} task${other.tasks === 1 ? "" : "s"}`;
      this.options.note?.(
        this.options.preview === true
          ? `Would adopt framework ${other.framework} (id ${other.frameworkId}) as ${app}'s own and take its ${tasks} over (dry run: not recorded).`
          : `Adopting framework ${other.framework} (id ${other.frameworkId}) as ${app}'s own: once the change goes ahead, titan subscribes as it and takes its ${tasks} over.`,
      );
    }
    return applyOwnership(snapshot, recorded).snapshot;
  }

  /**
   * Records the frameworks the last read adopted as their apps' own: called once the change goes ahead, so a
   * declined, refused or dry-run change leaves the store as it was.
   */
  async recordAdoptions(): Promise<void> {
    if (this.options.preview === true) return;
    for (const [app, frameworkId] of this.adoptions) await this.store.setFrameworkId(app, frameworkId);
    this.adoptions.clear();
  }

  private async recorded(): Promise<Map<string, string | undefined>> {
    const entries = await Promise.all(
      this.options.apps.map(
        async (app): Promise<[string, string | undefined]> => [app, await this.store.frameworkId(app)],
      ),
    );
    return new Map(entries);
  }

  private runElsewhere(
    foreign: readonly ForeignFramework[],
    recorded: ReadonlyMap<string, string | undefined>,
  ): TitanError {
    const [first] = foreign;
    const app = first?.app ?? "";
    const mine = recorded.get(app);
    return new TitanError(
      `${app} is run by another framework: ${describeAll(foreign.filter((f) => f.app === app))}, not the one titan records for it in ${this.store.describe()}${mine === undefined ? " (none yet)" : ` (${mine})`}`,
      {
        hint: `another config or state store deploys an app named ${app}: stop it there (titan stop ${app}), rename this app, or take it over with --adopt`,
      },
    );
  }
}

function describeAll(frameworks: readonly ForeignFramework[]): string {
  return frameworks
    .map((f) => `${f.framework} (id ${f.frameworkId}, ${f.tasks} task${f.tasks === 1 ? "" : "s"})`)
    .join(", ");
}

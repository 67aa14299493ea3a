import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import type { ClusterTarget } from "../../config/target.js";
import type { LogStream } from "../../observe/log-format.js";
import type { LogTarget } from "../../observe/log-selection.js";
import { inRegion } from "../../release/region-errors.js";
import { type Discovery, SourceFinder } from "./sources.js";

/**
 * Finds the app's task runs in every region at once: each region's master is asked in parallel and every line
 * names its region. A region whose master cannot be read is noted (once per failure streak) and the others go on;
 * only when no region answers does discovery fail.
 */
export class RegionsFinder {
  private readonly failing = new Set<string>();
  /** Each region's finder, made when its client first is: a region without credentials fails alone. */
  private readonly finders = new Map<string, SourceFinder>();

  private constructor(
    private readonly regions: ReadonlyArray<{ region: string; make: () => Promise<SourceFinder> }>,
    private readonly note: (line: string) => void,
    /** Whether a region that fails is asked again (`logs -f`); a one-off read only says it failed. */
    private readonly following: boolean,
  ) {}

  static open(
    env: Env,
    targets: readonly ClusterTarget[],
    logTarget: LogTarget,
    options: {
      streams: readonly LogStream[];
      sinceMs?: number | undefined;
      note: (line: string) => void;
      following: boolean;
    },
  ): RegionsFinder {
    const regions = targets.map((target) => ({
      region: target.region ?? target.cluster.name,
      make: async () =>
        new SourceFinder(env, await target.client(), target, logTarget, {
          streams: options.streams,
          ...(options.sinceMs === undefined ? {} : { sinceMs: options.sinceMs }),
          note: options.note,
          showRegion: true,
        }),
    }));
    return new RegionsFinder(regions, options.note, options.following);
  }

  async discover(signal?: AbortSignal): Promise<Discovery> {
    const found = await Promise.all(
      this.regions.map(async ({ region, make }) => {
        try {
          let finder = this.finders.get(region);
          if (finder === undefined) {
            finder = await make();
            this.finders.set(region, finder);
          }
          const discovery = await finder.discover(signal);
          if (this.failing.delete(region)) this.note(`region ${region}: reading again`);
          return discovery;
        } catch (error) {
          if (!(error instanceof TitanError) || signal?.aborted === true) throw error;
          if (!this.failing.has(region))
            this.note(`region ${region}: ${error.message}${this.following ? "; retrying" : ""}`);
          this.failing.add(region);
          return error;
        }
      }),
    );
    const answers = found.filter((d): d is Discovery => !(d instanceof Error));
    const failed = found.findIndex((d) => d instanceof Error);
    // No region answered: the first one's failure, naming it as its notes did.
    if (answers.length === 0 && failed >= 0) throw inRegion(this.regions[failed]?.region, found[failed]);
    return {
      added: answers.flatMap((d) => d.added),
      current: new Set(answers.flatMap((d) => [...d.current])),
      recovering: new Set(answers.flatMap((d) => [...d.recovering])),
      agents: new Set(answers.flatMap((d) => [...d.agents])),
      unanswered: new Set(this.regions.filter((_, i) => found[i] instanceof Error).map((r) => r.region)),
      selected: answers.reduce((n, d) => n + d.selected, 0),
      appKnown: answers.some((d) => d.appKnown),
      unreadable: answers.reduce((n, d) => n + d.unreadable, found.length - answers.length),
    };
  }
}

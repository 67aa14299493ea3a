import {
  type BoundCheck,
  CHECKERS,
  type CheckContext,
  type Checker,
  type CheckName,
  type FastForm,
  type Rejection,
  type Stage,
} from "./checks.js";
import type { LiveCap } from "./rules.js";

/** The declared checks bound to one group: fast predicates for placement, first rejections for explanations. */
export interface GroupChecks {
  /** Agent i may take the next instance as far as the agent and placement checks go (balance decides among these). */
  passes(i: number): boolean;
  /** The placement-stage checks alone: an agent that passed once may since have filled up or reached a limit. */
  stillPasses(i: number): boolean;
  /** The choice-stage checks (hard balance): whether agent i may be taken right now. */
  choosable(i: number): boolean;
  /** Why agent i is rejected: the first check in declared order that rejects it, skipping `skip`. */
  rejection(i: number, skip?: CheckName): Rejection | undefined;
  /** `passes` itself, for hot loops. */
  passesFn(): (i: number) => boolean;
}

/** Binds every declared check to the group and compiles them into the typed-array predicates of the hot path. */
export function compileChecks(ctx: CheckContext, checkers: readonly Checker[] = CHECKERS): GroupChecks {
  return new CompiledChecks(ctx, checkers);
}

/** Predicates are built on first use: first fit needs only `passes`, best fit rarely `choosable`. */
class CompiledChecks implements GroupChecks {
  private readonly bound: BoundCheck[] = [];
  private readonly names: CheckName[] = [];
  private readonly stages: Stage[] = [];
  private all: ((i: number) => boolean) | undefined;
  private placement: ((i: number) => boolean) | undefined;
  private choice: ((i: number) => boolean) | undefined;

  constructor(
    private readonly ctx: CheckContext,
    checkers: readonly Checker[],
  ) {
    for (const checker of checkers) {
      const check = checker.bind(ctx);
      if (!check) continue;
      this.bound.push(check);
      this.names.push(checker.name);
      this.stages.push(checker.stage);
    }
  }

  private of(stage: Stage, also?: Stage): BoundCheck[] {
    const out: BoundCheck[] = [];
    for (let k = 0; k < this.bound.length; k++)
      if (this.stages[k] === stage || this.stages[k] === also) out.push(this.bound[k] as BoundCheck);
    return out;
  }

  passes(i: number): boolean {
    this.all ??= predicate(this.ctx, this.of("agent", "placement"));
    return this.all(i);
  }

  stillPasses(i: number): boolean {
    this.placement ??= predicate(this.ctx, this.of("placement"));
    return this.placement(i);
  }

  choosable(i: number): boolean {
    this.choice ??= predicate(this.ctx, this.of("choice"));
    return this.choice(i);
  }

  rejection(i: number, skip?: CheckName): Rejection | undefined {
    for (let k = 0; k < this.bound.length; k++) {
      if (this.names[k] === skip) continue;
      const rejected = (this.bound[k] as BoundCheck).reject(i);
      if (rejected) return rejected;
    }
    return undefined;
  }

  /** The compiled predicate itself, for hot loops that call it directly. */
  passesFn(): (i: number) => boolean {
    this.all ??= predicate(this.ctx, this.of("agent", "placement"));
    return this.all;
  }
}

type Flag = Extract<FastForm, { kind: "flag" }>;

/**
 * One predicate for all the checks: those with a fast form read the typed arrays directly, in one closure with no call
 * per check; any other check is asked through `reject`.
 */
function predicate(ctx: CheckContext, checks: readonly BoundCheck[]): (i: number) => boolean {
  const flags: Flag[] = [];
  const present: Int32Array[] = [];
  const caps: LiveCap[] = [];
  const slow: BoundCheck[] = [];
  let fit: Extract<FastForm, { kind: "fits" }> | undefined;
  for (const check of checks) {
    const f = check.fast;
    if (!f) slow.push(check);
    else if (f.kind === "flag") flags.push(f);
    else if (f.kind === "has") present.push(...f.valueIds);
    else if (f.kind === "below") caps.push(...f.caps);
    else fit = f;
  }
  const { cpus, mem, disk, gpus, ports } = ctx.state;
  const want = fit?.units ?? { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  const wantPorts = fit?.ports ?? 0;
  const checkFit = fit !== undefined;
  const flag0 = flags[0];
  const flag1 = flags[1];
  const flag2 = flags[2];
  const moreFlags = flags.slice(3);
  const hasRest = present.length > 0 || caps.length > 0 || slow.length > 0 || moreFlags.length > 0;
  const rest = (i: number): boolean => {
    for (const valueIds of present) if ((valueIds[i] as number) < 0) return false;
    for (const c of caps) {
      const v = c.valueIds[i] as number;
      if (v < 0 || (c.counts[v] as number) >= c.cap.max) return false;
    }
    for (const f of moreFlags) if (f.flags[i] !== f.pass) return false;
    for (const c of slow) if (c.reject(i) !== undefined) return false;
    return true;
  };
  // The hot path of the engine: up to three flags and the resource fit inline, the rest only for groups that have it.
  return (i) =>
    (flag0 === undefined || flag0.flags[i] === flag0.pass) &&
    (flag1 === undefined || flag1.flags[i] === flag1.pass) &&
    (flag2 === undefined || flag2.flags[i] === flag2.pass) &&
    (!checkFit ||
      ((cpus[i] as number) >= want.cpus &&
        (mem[i] as number) >= want.mem &&
        (disk[i] as number) >= want.disk &&
        (gpus[i] as number) >= want.gpus &&
        (ports[i] as number) >= wantPorts)) &&
    (!hasRest || rest(i));
}

import { describe, expect, it } from "vitest";
import { ClusterState } from "../../src/placement/cluster.js";
import { RegexCache } from "../../src/placement/constraints.js";
import { EligibilityCache } from "../../src/placement/eligibility.js";
import { groupRequests } from "../../src/placement/groups.js";
import { bindRules } from "../../src/placement/rules.js";
import { agent, requests } from "./builders.js";

describe("a hard balance's domain", () => {
  it("is shared by groups with the same filters, and follows agents being disabled and enabled", () => {
    const agents = ["a", "b", "c"].map((zone, i) => agent(`agent-${i}`, {}, { zone }));
    const state = new ClusterState(agents, [], 1);
    const balance = [{ kind: "balance" as const, attribute: "zone", hard: true }];
    const groups = groupRequests(
      [
        ...requests("web", 2, {}, { constraints: balance }),
        ...requests("api", 2, {}, { constraints: balance }),
      ],
      new RegexCache(),
    );
    const eligibility = new EligibilityCache(state);
    const domainOf = (k: number): string[] => {
      const group = groups[k];
      if (!group) throw new Error("no group");
      const rules = bindRules(
        state,
        group,
        eligibility.get(group.compiled.filters, group.compiled.filterKey),
      );
      const b = rules.balances[0];
      return b ? b.domain.map((v) => b.values[v] as string) : [];
    };
    expect(domainOf(0)).toEqual(["a", "b", "c"]);
    expect(domainOf(1)).toEqual(["a", "b", "c"]);
    state.begin();
    state.disable(1);
    expect(domainOf(0)).toEqual(["a", "c"]);
    expect(domainOf(1)).toEqual(["a", "c"]);
    state.enable(1);
    expect(domainOf(1)).toEqual(["a", "b", "c"]);
    const mark = state.mark();
    state.disable(2);
    expect(domainOf(0)).toEqual(["a", "b"]);
    state.rollbackTo(mark);
    expect(domainOf(0)).toEqual(["a", "b", "c"]);
  });
});

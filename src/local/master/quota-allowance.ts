import { type Quantities, SCALAR_NAMES } from "../resources.js";
import type { ScalarMap } from "./quota.js";

export interface RoleQuotaState {
  limits: ScalarMap;
  guarantees: ScalarMap;
  /** What the role consumes (as the allocator counts it: outstanding offers too). */
  consumed: Quantities;
}

/**
 * What quota lets each role be offered of the unreserved scalars in one allocation round (hierarchical.cpp
 * `__allocate`): a role with a limit no more than the limit less what it consumes; and every role only so much that
 * the unallocated unreserved resources (the available headroom) still cover what the roles with guarantees lack of
 * them (the required headroom: the sum of each role's guarantee less what it consumes). A role's own unmet
 * guarantee is not held back from it: the allocator's first stage gives it that part. Counts what the round offers.
 */
export class QuotaAllowance {
  private readonly roles: Map<string, RoleQuotaState>;
  private readonly available: Quantities;

  constructor(roles: ReadonlyMap<string, RoleQuotaState>, available: Quantities) {
    this.roles = new Map([...roles].map(([role, q]) => [role, { ...q, consumed: { ...q.consumed } }]));
    this.available = { ...available };
  }

  /** Per scalar name, how much more unreserved `role` may be offered; a name left out is not bounded. */
  allowance(role: string): Partial<Record<string, number>> {
    const own = this.roles.get(role);
    const out: Partial<Record<string, number>> = {};
    for (const name of SCALAR_NAMES) {
      const bounds: number[] = [];
      const limit = own?.limits[name];
      if (own !== undefined && limit !== undefined) bounds.push(limit - own.consumed[name]);
      const required = this.requiredHeadroom(name);
      if (required > 0) {
        const ownUnmet = own === undefined ? 0 : unmet(own, name);
        bounds.push(ownUnmet + Math.max(0, this.available[name] - required));
      }
      if (bounds.length > 0) out[name] = Math.max(0, Math.min(...bounds));
    }
    return out;
  }

  offered(role: string, unreserved: Quantities): void {
    const own = this.roles.get(role);
    for (const name of SCALAR_NAMES) {
      if (own !== undefined) own.consumed[name] += unreserved[name];
      this.available[name] -= unreserved[name];
    }
  }

  private requiredHeadroom(name: (typeof SCALAR_NAMES)[number]): number {
    let required = 0;
    for (const q of this.roles.values()) required += unmet(q, name);
    return required;
  }
}

function unmet(q: RoleQuotaState, name: (typeof SCALAR_NAMES)[number]): number {
  return Math.max(0, (q.guarantees[name] ?? 0) - q.consumed[name]);
}

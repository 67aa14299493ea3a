import type { Constraint } from "./types.js";

/** A static per-agent test: the agent's attribute equals / fully matches / does not fully match a value. */
export interface AttributeFilter {
  attribute: string;
  label: string;
  /** `undefined` when the agent lacks the attribute: equals and like fail, unlike passes. */
  accepts(value: string | undefined): boolean;
}

/** At most `max` instances of the app per value of the attribute (unique is max 1). */
export interface CountCap {
  attribute: string;
  max: number;
  label: string;
}

export interface BalanceRule {
  attribute: string;
  hard: boolean;
  label: string;
}

export interface CompiledConstraints {
  filters: readonly AttributeFilter[];
  caps: readonly CountCap[];
  balance: readonly BalanceRule[];
  /** Identifies the filter set, so that agent eligibility is computed once per distinct set. */
  filterKey: string;
}

/** Regular expressions compiled once per placement run, whatever the number of apps sharing them. */
export class RegexCache {
  private readonly compiled = new Map<string, RegExp>();

  fullMatch(pattern: string): RegExp {
    let re = this.compiled.get(pattern);
    if (!re) {
      try {
        re = new RegExp(`^(?:${pattern})$`);
      } catch (error) {
        throw new Error(
          `invalid regular expression "${pattern}" in a like/unlike constraint: ${String(error)}`,
        );
      }
      this.compiled.set(pattern, re);
    }
    return re;
  }
}

export function compileConstraints(
  constraints: readonly Constraint[],
  regexes: RegexCache,
): CompiledConstraints {
  const filters: AttributeFilter[] = [];
  const caps: CountCap[] = [];
  const balance: BalanceRule[] = [];
  const filterKeys: string[] = [];
  for (const c of constraints) {
    switch (c.kind) {
      case "attribute": {
        filters.push(attributeFilter(c.attribute, c.op, c.value, regexes));
        filterKeys.push(`${c.attribute}\u0000${c.op}\u0000${c.value}`);
        break;
      }
      case "unique":
        caps.push({ attribute: c.attribute, max: 1, label: `unique ${c.attribute}` });
        break;
      case "max_per":
        caps.push({ attribute: c.attribute, max: c.count, label: `max_per ${c.attribute} ${c.count}` });
        break;
      case "balance":
        balance.push({
          attribute: c.attribute,
          hard: c.hard,
          label: `balance ${c.attribute}${c.hard ? " (hard)" : ""}`,
        });
        break;
    }
  }
  return { filters, caps, balance, filterKey: filterKeys.sort().join("\u0001") };
}

function attributeFilter(
  attribute: string,
  op: "equals" | "like" | "unlike",
  value: string,
  regexes: RegexCache,
): AttributeFilter {
  const label = `attribute ${attribute} ${op} ${value}`;
  if (op === "equals") return { attribute, label, accepts: (v) => v === value };
  const re = regexes.fullMatch(value);
  if (op === "like") return { attribute, label, accepts: (v) => v !== undefined && re.test(v) };
  return { attribute, label, accepts: (v) => v === undefined || !re.test(v) };
}

/** A stable text key for a constraint list, for grouping identical requests. */
export function constraintsKey(constraints: readonly Constraint[]): string {
  return constraints
    .map((c) => {
      switch (c.kind) {
        case "unique":
          return `u:${c.attribute}`;
        case "max_per":
          return `m:${c.attribute}:${c.count}`;
        case "attribute":
          return `a:${c.attribute}:${c.op}:${c.value}`;
        case "balance":
          return `b:${c.attribute}:${c.hard ? 1 : 0}`;
      }
      return "";
    })
    .join("|");
}

/**
 * Guards user-written regular expressions (constraint like/unlike) before they are compiled and matched
 * against every agent: a length cap, no backreferences, and no quantified group that itself contains a
 * quantifier (`(a+)+`, `(.*)*`), the shape behind catastrophic backtracking.
 */

export const MAX_PATTERN_LENGTH = 200;

export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `the pattern is ${pattern.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed`;
  }
  try {
    new RegExp(`^(?:${pattern})$`);
  } catch (error) {
    const reason =
      error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, "") : "";
    return `not a valid regular expression${reason ? ` (${reason.toLowerCase()})` : ""}`;
  }
  return nestedQuantifier(pattern);
}

function nestedQuantifier(pattern: string): string | undefined {
  // One frame per open group: whether something inside it repeats.
  const groups: boolean[] = [];
  let i = 0;
  const quantifierAt = (at: number): boolean => {
    const ch = pattern[at];
    return ch === "*" || ch === "+" || (ch === "{" && /^\{\d+(,\d*)?\}/.test(pattern.slice(at)));
  };
  const markRepeating = () => {
    if (groups.length > 0) groups[groups.length - 1] = true;
  };
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === "\\") {
      if (/[1-9k]/.test(pattern[i + 1] ?? "")) return "backreferences are not allowed in constraint patterns";
      i += 2;
      if (quantifierAt(i)) markRepeating();
      continue;
    }
    if (ch === "[") {
      i++;
      if (pattern[i] === "^") i++;
      if (pattern[i] === "]") i++;
      while (i < pattern.length && pattern[i] !== "]") i += pattern[i] === "\\" ? 2 : 1;
      i++;
      if (quantifierAt(i)) markRepeating();
      continue;
    }
    if (ch === "(") {
      groups.push(false);
      i++;
      continue;
    }
    if (ch === ")") {
      const inner = groups.pop() ?? false;
      i++;
      if (quantifierAt(i)) {
        if (inner) return "nested quantifiers such as (a+)+ can take exponential time; simplify the pattern";
        markRepeating();
      } else if (inner) {
        markRepeating();
      }
      continue;
    }
    i++;
    if (quantifierAt(i)) markRepeating();
  }
  return undefined;
}

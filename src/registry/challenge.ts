/** One `WWW-Authenticate` challenge: its scheme and parameters (RFC 7235), as registries send them. */
export interface Challenge {
  scheme: string;
  params: Readonly<Record<string, string>>;
}

const PARAM = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;

/**
 * Parses `Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a/b:pull"`, and
 * `Basic realm="..."`. Several challenges in one header are split at a scheme that follows a comma.
 */
export function parseChallenges(header: string | undefined): Challenge[] {
  if (header === undefined) return [];
  const challenges: Challenge[] = [];
  let rest = header.trim();
  while (rest.length > 0) {
    const scheme = /^([A-Za-z][A-Za-z0-9_-]*)\s*/.exec(rest);
    if (scheme === null) break;
    rest = rest.slice(scheme[0].length);
    const params: Record<string, string> = {};
    PARAM.lastIndex = 0;
    let consumed = 0;
    for (;;) {
      PARAM.lastIndex = consumed;
      const match = PARAM.exec(rest);
      if (match === null) break;
      const key = (match[1] ?? "").toLowerCase();
      params[key] = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : (match[3] ?? "");
      consumed = PARAM.lastIndex;
    }
    challenges.push({ scheme: (scheme[1] ?? "").toLowerCase(), params });
    rest = rest.slice(consumed).replace(/^[\s,]+/, "");
  }
  return challenges;
}

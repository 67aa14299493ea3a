/**
 * libprocess' route lookup (3rdparty/libprocess/src/process.cpp `ProcessBase::consume`): trailing slashes are
 * dropped, then the longest route the path's `/`-separated components begin with serves it, so `/master/state/x`
 * and `/api/v1/` are the state and the operator API. `exact` routes belong to a process whose only route is its root
 * (`/version`): nothing below them matches. Undefined when no route does: libprocess' 404.
 */
export function matchRoute(
  path: string,
  routes: ReadonlySet<string>,
  exact: ReadonlySet<string> = new Set(),
): string | undefined {
  let name = path.replace(/\/+$/, "");
  if (exact.has(name)) return name;
  while (name !== "") {
    if (routes.has(name)) return name;
    const cut = name.lastIndexOf("/");
    if (cut <= 0) return undefined;
    name = name.slice(0, cut);
  }
  return undefined;
}

/**
 * Whether a request target's query holds a `%` not followed by two hex digits. libprocess cannot decode such a query
 * (http.cpp `query::decode`): its request decoder fails and the connection is closed with no answer at all
 * (decoder.hpp, process.cpp "Decoder error").
 */
export function hasMalformedQueryEscape(target: string): boolean {
  const start = target.indexOf("?");
  if (start < 0) return false;
  const end = target.indexOf("#", start);
  const query = target.slice(start + 1, end < 0 ? undefined : end);
  return /%(?![0-9a-fA-F]{2})/.test(query);
}

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

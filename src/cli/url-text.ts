/**
 * A URL as an error message may show it: never its userinfo, query or fragment, where a token or password sits
 * (`http://u:secret@host/?token=…`). What was left out is named, not shown: `http://host:5050/ (query not shown)`.
 * Works on text that does not parse as a URL too, since that is when a message most wants to quote it.
 */
export function urlForMessage(text: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(text)?.[0] ?? "";
  let rest = text.slice(scheme.length);
  const left: string[] = [];
  const end = rest.search(/[?#]/);
  if (end >= 0) {
    left.push(rest[end] === "?" ? "query" : "fragment");
    if (rest[end] === "?" && rest.indexOf("#", end) >= 0) left.push("fragment");
    rest = rest.slice(0, end);
  }
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    left.unshift("credentials");
    rest = rest.slice(at + 1);
  }
  const shown = `${scheme}${rest}`;
  return left.length === 0 ? shown : `${shown} (${left.join(", ")} not shown)`;
}

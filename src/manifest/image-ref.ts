/**
 * Docker image references, by the grammar of distribution/reference:
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 */
const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|-+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const NAME_MAX = 255;

export interface ImageReference {
  name: string;
  tag?: string;
  digest?: string;
}

export function parseImageReference(
  value: string,
): { ok: true; ref: ImageReference } | { ok: false; message: string; hint: string } {
  const example = "like registry.example.com/team/app:1.4.2 or app@sha256:<64 hex digits>";
  const match = value.length <= 512 ? REFERENCE.exec(value) : null;
  if (!match) {
    const lastSlash = value.lastIndexOf("/");
    const repo = value.slice(lastSlash + 1).split(/[:@]/)[0] ?? "";
    if (/[A-Z]/.test(repo)) {
      return {
        ok: false,
        message: `image ${JSON.stringify(value)} is not valid: repository names must be lowercase`,
        hint: example,
      };
    }
    return { ok: false, message: `${JSON.stringify(value)} is not a valid image reference`, hint: example };
  }
  const name = match[1] ?? "";
  if (name.length > NAME_MAX) {
    return {
      ok: false,
      message: `the image name is ${name.length} characters long; at most ${NAME_MAX} are allowed`,
      hint: example,
    };
  }
  return {
    ok: true,
    ref: { name, ...(match[2] ? { tag: match[2] } : {}), ...(match[3] ? { digest: match[3] } : {}) },
  };
}

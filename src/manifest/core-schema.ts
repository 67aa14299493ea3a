/**
 * A plain scalar's value under the YAML 1.2 core schema, exactly as the YAML library resolves it (its core tags in
 * their order: null, bool, octal, decimal and hex int, .inf/.nan, float with exponent, float), so that the fast
 * reader needs no part of the library. Integers become numbers, as the library gives them without `intAsBigInt`.
 */
export function resolveCorePlain(text: string): string | number | boolean | null {
  if (text.length === 0) return null;
  const first = text.charCodeAt(0);
  // Every non-string form starts with one of `~ n N t T f F 0-9 + - .`: most names and words need no test.
  if (!MAY_RESOLVE[first]) return text;
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return first === 0x74 || first === 0x54;
  if (INT_OCT.test(text)) return Number.parseInt(text.slice(2), 8);
  if (INT.test(text)) return Number.parseInt(text, 10);
  if (INT_HEX.test(text)) return Number.parseInt(text.slice(2), 16);
  if (FLOAT_NAN.test(text)) {
    if (text.slice(-3).toLowerCase() === "nan") return Number.NaN;
    return first === 0x2d ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (FLOAT_EXP.test(text) || FLOAT.test(text)) return Number.parseFloat(text);
  return text;
}

const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

const MAY_RESOLVE = new Uint8Array(128);
for (const c of "~nNtTfF0123456789+-.") MAY_RESOLVE[c.charCodeAt(0)] = 1;

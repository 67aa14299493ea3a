/** The longest excerpt of a foreign body that an error message shows. */
export const EXCERPT_MAX_CHARS = 120;

/**
 * A short, safe one-line excerpt of a response body for an error message: tags, scripts and styles removed,
 * entities for the common characters decoded, control characters dropped, whitespace collapsed, cut to
 * EXCERPT_MAX_CHARS with an ellipsis.
 */
export function sanitizeExcerpt(body: string, maxChars = EXCERPT_MAX_CHARS): string {
  const text = body
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/gi, " ")
    .replace(/&lt;/gi, "<")
    .replace(/&gt;/gi, ">")
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/gi, "'")
    .replace(/&amp;/gi, "&")
    .replace(/\p{Cc}/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars - 1).trimEnd()}…`;
}

// Module resolution hooks that record every resolved module URL into the file named by TITAN_TRACE_IMPORTS.
import { appendFileSync } from "node:fs";

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (process.env.TITAN_TRACE_IMPORTS) appendFileSync(process.env.TITAN_TRACE_IMPORTS, `${result.url}\n`);
  return result;
}

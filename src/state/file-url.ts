import { fileURLToPath } from "node:url";
import { urlForMessage } from "../cli/url-text.js";

/**
 * Why a `file://` state store URL names no absolute directory on this machine, or undefined when it does:
 * `file://relative/x` makes `relative` a host name, which a file URL cannot have here.
 */
export function fileStoreUrlProblem(url: string): string | undefined {
  try {
    fileURLToPath(url);
    return undefined;
  } catch {
    return `"${urlForMessage(url)}" does not name a directory on this machine (a file URL is file:// and an absolute path)`;
  }
}

export const FILE_STORE_HINT = "write file:///absolute/path, with three slashes";

import { TitanError } from "../cli/errors.js";
import { ExitCode } from "../cli/exit-codes.js";

/**
 * An image could not be pinned to a digest: missing, unauthorised, no image for the platform, an integrity
 * failure, or a registry that did not answer. Exit 8, before anything changed on the cluster.
 */
export class ImageResolveError extends TitanError {
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.ImageUnresolved, hint, ...(cause === undefined ? {} : { cause }) });
  }
}

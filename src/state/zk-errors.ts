import { TitanError } from "../cli/errors.js";
import { StateStoreError } from "./errors.js";
import { ZkAuthError, ZkUnreachableError } from "./zk-client.js";
import { Code, ZkError } from "./zk-protocol.js";
import type { ZkUrl } from "./zk-url.js";

/** The ZooKeeper session ended (and every lock it held with it): whoever used it must stop acting. */
export class ZkSessionExpiredError extends StateStoreError {
  constructor(store: string, app?: string) {
    super(
      `the ZooKeeper session with ${store} expired${app ? `, and the deploy lock of ${app} with it` : ""}; titan stopped acting`,
      "every record written so far is complete; re-run the command to resume once ZooKeeper is reachable",
    );
  }
}

/** Turns a ZooKeeper failure into titan's error for it; titan's own errors pass through. */
export function zkFailure(error: unknown, url: Pick<ZkUrl, "display" | "auth">): Error {
  const store = url.display;
  if (error instanceof TitanError) return error;
  if (error instanceof ZkAuthError)
    return new StateStoreError(`${store}: ${error.message}`, "check the digest user and its secret");
  if (error instanceof ZkUnreachableError)
    return new StateStoreError(
      `lost ZooKeeper ${store}: ${error.message}`,
      "check that the ensemble runs; re-run the command to resume",
    );
  if (!(error instanceof ZkError)) return error instanceof Error ? error : new Error(String(error));
  switch (error.code) {
    case Code.sessionExpired:
      return new ZkSessionExpiredError(store);
    case Code.noAuth:
      return new StateStoreError(`${store}: not authorised to use ${error.path}`, noAuthHint(url.auth));
    case Code.connectionLoss:
      return new StateStoreError(
        `lost the connection to ZooKeeper ${store} during a write`,
        "the write may or may not have happened; re-run the command, it resumes from what was recorded",
      );
    default:
      return new StateStoreError(`${store}: ${error.message}`, "check the ensemble's health");
  }
}

/**
 * Without credentials the fix is to name the nodes' digest user; with them, ZooKeeper refused that user's
 * password (or the nodes belong to another user): point at the secret reference, never at the secret.
 */
function noAuthHint(auth: ZkUrl["auth"]): string {
  if (auth === undefined)
    return "name the digest user of the nodes' ACL in the URL: zk://USER:env:VAR@host:2181/path";
  return `ZooKeeper refused the credentials of digest user ${auth.user}: check the secret ${auth.secretRef} holds, and that the nodes' ACL is for ${auth.user}`;
}

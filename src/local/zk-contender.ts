import { ZkClient } from "../state/zk-client.js";
import { CreateMode, OPEN_ACL } from "../state/zk-protocol.js";
import { parseZkUrl } from "../state/zk-url.js";
import type { JsonObject } from "./json.js";

/** The label Mesos masters join their ZooKeeper group with (src/master/constants.hpp MASTER_INFO_JSON_LABEL). */
const LABEL = "json.info";

export interface ZkContender {
  /** The znode now holding this master's MasterInfo, e.g. /mesos/json.info_0000000002. */
  readonly node: string;
  /** Leaves the group and joins again with the current MasterInfo: a new node, as after a real failover. */
  rejoin(): Promise<void>;
  /** Leaves the group (the node goes with the session). */
  close(): Promise<void>;
}

/**
 * Publishes the local master in ZooKeeper as a real master does: ZooKeeperMasterContender::contend
 * (src/master/contender/zookeeper.cpp) joins the group at the --zk path through Group::join
 * (src/zookeeper/group.cpp), which creates an EPHEMERAL_SEQUENTIAL child named `<label>_` holding MasterInfo
 * serialised as JSON (the legacy binary `info_` node is no longer written). Digest credentials in the URL are
 * not supported here: the local cluster publishes to an open path.
 */
export async function startZkContender(url: string, masterInfo: () => JsonObject): Promise<ZkContender> {
  const zk = parseZkUrl(url, "--zk");
  if (zk.auth)
    throw new Error("--zk: the local cluster publishes to an open path; give the URL without credentials");
  const client = await ZkClient.connect({ hosts: zk.hosts, sessionTimeoutMs: 10_000 });
  await client.ensurePath(zk.path, OPEN_ACL);
  const join = (): Promise<string> =>
    client.create(
      `${zk.path}/${LABEL}_`,
      Buffer.from(JSON.stringify(masterInfo())),
      OPEN_ACL,
      CreateMode.ephemeralSequential,
    );
  let node = await join();
  return {
    get node() {
      return node;
    },
    async rejoin() {
      await client.delete(node).catch(() => undefined);
      node = await join();
    },
    async close() {
      await client.close();
    },
  };
}

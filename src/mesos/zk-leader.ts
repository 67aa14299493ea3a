import { ZkClient, type ZkClientOptions } from "../state/zk-client.js";
import { Code, ZkError } from "../state/zk-protocol.js";
import { parseZkUrl, type ZkUrl } from "../state/zk-url.js";
import { TemporarilyUnavailableError } from "./errors.js";

/** The prefix of the nodes Mesos masters create in their ZooKeeper group (MasterInfo as JSON, since 0.23). */
export const MASTER_INFO_PREFIX = "json.info_";

export interface DetectedMaster {
  /** The leader's origin, e.g. http://10.0.0.5:5050. */
  url: URL;
  /** MasterInfo.id. */
  id: string;
  /** The znode it was read from, e.g. json.info_0000000003. */
  node: string;
}

export interface ZkDetectorOptions {
  /** The digest password of the URL's user, already resolved from its secret reference. */
  password?: string;
  /** https when the masters serve TLS (MasterInfo does not say). */
  scheme?: "http" | "https";
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Told about every leader found and every change. */
  announce?: (line: string) => void;
}

/** The master a MasterInfo JSON names: address.hostname, then hostname, then address.ip, then the packed ip. */
export function masterOrigin(info: unknown, scheme: "http" | "https"): { url: URL; id: string } | undefined {
  if (typeof info !== "object" || info === null) return undefined;
  const record = info as Record<string, unknown>;
  const address = (
    typeof record.address === "object" && record.address !== null ? record.address : {}
  ) as Record<string, unknown>;
  const text = (value: unknown): string | undefined =>
    typeof value === "string" && value !== "" ? value : undefined;
  const packed = typeof record.ip === "number" ? unpackIp(record.ip) : undefined;
  const host = text(address.hostname) ?? text(record.hostname) ?? text(address.ip) ?? packed;
  const port = typeof address.port === "number" ? address.port : record.port;
  if (host === undefined || typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)
    return undefined;
  try {
    const url = new URL(`${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`);
    return { url, id: text(record.id) ?? "?" };
  } catch {
    return undefined;
  }
}

/** MasterInfo.ip: the IPv4 address in network byte order, read as a little-endian uint32. */
function unpackIp(ip: number): string {
  return [ip & 0xff, (ip >>> 8) & 0xff, (ip >>> 16) & 0xff, (ip >>> 24) & 0xff].join(".");
}

/** The sequence number ZooKeeper appended to a sequential node's name. */
function sequenceOf(name: string): number {
  return Number(name.slice(MASTER_INFO_PREFIX.length));
}

/**
 * Finds the leading Mesos master in ZooKeeper as Mesos's own detector does (src/master/detector/zookeeper.cpp):
 * among the `json.info_<seq>` children of the group path the lowest sequence leads. It watches the group and
 * keeps `current` up to date while it runs, so a failover is followed without asking again; a session that
 * expires is replaced by a new one (the detector holds no ephemeral nodes).
 */
export class ZkMasterDetector {
  private client: Promise<ZkClient> | undefined;
  private leader: DetectedMaster | undefined;
  /** The last leader reported through `announce` (a moment without any leader is not reported). */
  private announced: DetectedMaster | undefined;
  private refreshing: Promise<DetectedMaster | undefined> | undefined;
  private closed = false;
  private stale = false;

  constructor(
    readonly zk: ZkUrl,
    private readonly options: ZkDetectorOptions = {},
  ) {}

  static fromUrl(text: string, options: ZkDetectorOptions = {}): ZkMasterDetector {
    return new ZkMasterDetector(parseZkUrl(text, "master"), options);
  }

  describe(): string {
    return this.zk.display;
  }

  /** The leader as last seen in ZooKeeper. */
  get current(): URL | undefined {
    return this.leader?.url;
  }

  /** Reads the group now and returns the leader; throws TemporarilyUnavailableError when none is registered. */
  async detect(): Promise<URL> {
    const found = await this.refresh();
    if (found === undefined)
      throw new TemporarilyUnavailableError(
        `no Mesos master is registered in ZooKeeper ${this.zk.display}`,
        "the masters may be electing a leader, or the path is not the masters' --zk path; retry in a few seconds",
      );
    return found.url;
  }

  private session(): Promise<ZkClient> {
    this.client ??= this.open().catch((error: unknown) => {
      this.client = undefined;
      throw new TemporarilyUnavailableError(
        `cannot read the Mesos masters from ZooKeeper ${this.zk.display}: ${(error as Error).message}`,
        "check that the ensemble runs and that this machine can reach it",
      );
    });
    return this.client;
  }

  private async open(): Promise<ZkClient> {
    const { auth } = this.zk;
    const options: ZkClientOptions = {
      hosts: this.zk.hosts,
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
      ...(auth && this.options.password !== undefined
        ? { auth: { user: auth.user, password: this.options.password } }
        : {}),
    };
    const client = await ZkClient.connect(options);
    client.onWatch((event) => {
      if (event.path === this.zk.path) void this.refresh().catch(() => undefined);
    });
    client.onState((state) => {
      // Watches do not outlive a connection in this client: read (and watch) again on the new one.
      if (state === "connected") void this.refresh().catch(() => undefined);
      if (state === "expired") this.client = undefined;
    });
    return client;
  }

  /** Reads the group; a change noticed while a read is under way makes it read again before answering. */
  private refresh(): Promise<DetectedMaster | undefined> {
    if (this.refreshing) {
      this.stale = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      let found: DetectedMaster | undefined;
      do {
        this.stale = false;
        found = await this.read();
      } while (this.stale);
      return found;
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async read(): Promise<DetectedMaster | undefined> {
    if (this.closed) return this.leader;
    const client = await this.session();
    let found: DetectedMaster | undefined;
    try {
      const names = (await client.children(this.zk.path, true))
        .filter((name) => name.startsWith(MASTER_INFO_PREFIX))
        .sort((a, b) => sequenceOf(a) - sequenceOf(b));
      for (const node of names) {
        const data = await client.get(`${this.zk.path}/${node}`);
        if (data === undefined) continue;
        let info: unknown;
        try {
          info = JSON.parse(data.data.toString("utf8"));
        } catch {
          continue;
        }
        const master = masterOrigin(info, this.options.scheme ?? "http");
        if (master) {
          found = { ...master, node };
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof ZkError && error.code === Code.noNode)) throw error;
    }
    const before = this.announced;
    this.leader = found;
    if (found && (before?.url.origin !== found.url.origin || before.id !== found.id)) {
      this.announced = found;
      this.options.announce?.(
        `${before ? "Leading master changed to" : "Found leading master"} ${found.url.host} (id ${found.id}, ${found.node}) in ${this.zk.display}`,
      );
    }
    return found;
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) await (await client.catch(() => undefined))?.close();
  }
}

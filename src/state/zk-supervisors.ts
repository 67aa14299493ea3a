import { StateStoreError } from "./errors.js";
import { readSupervisorReport, SUPERVISOR_ID } from "./records.js";
import type { SupervisorReport } from "./types.js";
import type { ZkClient } from "./zk-client.js";
import { json, readJson } from "./zk-nodes.js";
import { type Acl, Code, CreateMode, ZkError } from "./zk-protocol.js";

/**
 * Supervisor reports in a zk:// store: one ephemeral node per supervisor under `<base>/supervisors`, so the
 * report of a supervisor whose session ended goes with it.
 */
export class ZkSupervisorReports {
  constructor(
    private readonly base: string,
    private readonly display: string,
    private readonly acl: readonly Acl[],
  ) {}

  private path(id: string): string {
    if (!SUPERVISOR_ID.test(id))
      throw new StateStoreError(`"${id}" is not a supervisor id`, "this is a bug in titan; please report it");
    return `${this.base}/supervisors/${id}`;
  }

  async list(zk: ZkClient): Promise<SupervisorReport[]> {
    const dir = `${this.base}/supervisors`;
    const names = await zk.children(dir).catch((error: unknown) => {
      if (error instanceof ZkError && error.code === Code.noNode) return [];
      throw error;
    });
    const reports: SupervisorReport[] = [];
    for (const name of names.sort()) {
      const node = await readJson<unknown>(zk, this.display, `${dir}/${name}`);
      if (node === undefined) continue;
      const verdict = readSupervisorReport(node.value);
      if (!verdict.ok)
        throw new StateStoreError(
          `${this.display}: ${dir}/${name} is damaged: ${verdict.problem}`,
          "remove the node; a running supervisor writes it again",
        );
      reports.push(verdict.value);
    }
    return reports;
  }

  async save(zk: ZkClient, report: SupervisorReport): Promise<void> {
    const path = this.path(report.id);
    const data = json(report);
    for (let attempt = 0; ; attempt++) {
      try {
        if ((await zk.exists(path)) !== undefined) await zk.set(path, data);
        else {
          await zk.ensurePath(`${this.base}/supervisors`, this.acl);
          await zk.create(path, data, this.acl, CreateMode.ephemeral);
        }
        return;
      } catch (error) {
        const raced =
          error instanceof ZkError && (error.code === Code.noNode || error.code === Code.nodeExists);
        if (!raced || attempt >= 3) throw error;
      }
    }
  }

  async remove(zk: ZkClient, id: string): Promise<void> {
    await zk.delete(this.path(id)).catch((error: unknown) => {
      if (!(error instanceof ZkError && error.code === Code.noNode)) throw error;
    });
  }
}

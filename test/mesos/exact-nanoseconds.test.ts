import { afterEach, describe, expect, it } from "vitest";
import { nanosecondsAsStrings } from "../../src/mesos/json.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { MasterOperator } from "../../src/mesos/operator.js";
import { scriptedServer } from "../support/scripted-server.js";

const closers: Array<{ close(): void | Promise<void> }> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c.close();
});

// Past 2^53: a double would read it as 1893456000000000000.
const START = "1893456000000000001";
const DURATION = "3600000000001";

describe("the maintenance schedule titan reads and sends back", () => {
  it("keeps another operator's window times to the nanosecond", async () => {
    // A master's JSON: int64 written as exact numbers (3rdparty/stout/include/stout/jsonify.hpp).
    const window = `{"machine_ids":[{"hostname":"other.example","ip":"10.0.0.9"}],"unavailability":{"start":{"nanoseconds":${START}},"duration":{"nanoseconds":${DURATION}}}}`;
    const master = await scriptedServer((request, response) => {
      const type = (JSON.parse(request.body) as { type?: string }).type;
      if (type === "GET_MAINTENANCE_SCHEDULE") {
        response.writeHead(200, { "Content-Type": "application/json" });
        response.end(
          `{"type":"GET_MAINTENANCE_SCHEDULE","get_maintenance_schedule":{"schedule":{"windows":[${window}]}}}`,
        );
      } else {
        response.writeHead(200);
        response.end();
      }
    });
    const cluster = MasterCluster.fromConfig({ masters: [master.url] });
    closers.push(cluster);
    const operator = new MasterOperator(cluster);

    const { schedule } = await operator.getMaintenanceSchedule();
    expect(schedule.windows?.[0]?.unavailability).toEqual({
      start: { nanoseconds: START },
      duration: { nanoseconds: DURATION },
    });
    // What `titan drain` does with the windows it keeps: sends them back as read. Mesos reads an int64 from a
    // string as from a number.
    await operator.updateMaintenanceSchedule(schedule);
    const sent = master.requests.at(-1)?.body ?? "";
    expect(sent).toContain(`"start":{"nanoseconds":"${START}"}`);
    expect(sent).toContain(`"duration":{"nanoseconds":"${DURATION}"}`);
  });

  it("turns only nanoseconds values into strings, not text that looks like one inside a string", () => {
    const text = `{"a":{"nanoseconds":-12},"b":"x\\"nanoseconds\\":5","c":{"nanoseconds" : 7}}`;
    expect(JSON.parse(nanosecondsAsStrings(text))).toEqual({
      a: { nanoseconds: "-12" },
      b: 'x"nanoseconds":5',
      c: { nanoseconds: "7" },
    });
  });
});

import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

describe("titan scale takes the range of `instances:`", () => {
  it.each(["100000000000", "10001", "-1", "1e3", "3.5", "", "abc"])(
    "refuses %j with exit 2 before touching anything",
    async (count) => {
      const home = tempDir();
      const result = await runCli(["scale", "api", count, "--yes"], {
        env: { HOME: home, XDG_DATA_HOME: `${home}/data`, XDG_CONFIG_HOME: `${home}/config` },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`is not a number of instances from 0 to 10000`);
      expect(result.stderr).not.toContain("internal error");
    },
  );
});

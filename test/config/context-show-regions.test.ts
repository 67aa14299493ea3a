import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

const CONFIG = `clusters:
  east: { masters: [http://10.0.0.1:5050] }
  west: { masters: [http://10.0.1.1:5050, http://10.0.1.2:5050], role: web }
regions:
  us-east: east
  eu-west: west
contexts:
  multi: { regions: [us-east, eu-west] }
`;

function setup(): Record<string, string> {
  const dir = tempDir();
  const file = join(dir, "config.yaml");
  writeFileSync(file, CONFIG, { mode: 0o600 });
  return { TITAN_CONFIG: file, XDG_DATA_HOME: join(dir, "data"), TITAN_STATE_DIR: join(dir, "state") };
}

interface RegionShown {
  region: string;
  masters: string[];
  cluster: { name: string; role: string };
}

describe("context show of a context that spans regions", () => {
  it("shows each region's resolved target as JSON", async () => {
    const env = setup();
    const r = await runCli(["context", "show", "multi", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout) as { context: string; regions: RegionShown[] };
    expect(shown.context).toBe("multi");
    expect(shown.regions).toEqual([
      expect.objectContaining({
        region: "us-east",
        masters: ["http://10.0.0.1:5050"],
        cluster: expect.objectContaining({ name: "east", role: "*" }),
      }),
      expect.objectContaining({
        region: "eu-west",
        masters: ["http://10.0.1.1:5050", "http://10.0.1.2:5050"],
        cluster: expect.objectContaining({ name: "west", role: "web" }),
      }),
    ]);
  });

  it("shows each region as text, and one region with --region", async () => {
    const env = setup();
    const r = await runCli(["context", "show", "multi"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^regions +us-east, eu-west$/m);
    expect(r.stdout).toMatch(
      /^us-east\n {2}cluster +east\n {2}masters +http:\/\/10\.0\.0\.1:5050 \(from config\)$/m,
    );
    expect(r.stdout).toMatch(/^eu-west\n {2}cluster +west\n/m);

    const one = await runCli(["context", "show", "multi", "--region", "eu-west", "--json"], { env });
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ region: "eu-west", cluster: { name: "west" } });
  });
});

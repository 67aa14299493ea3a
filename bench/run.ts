import { readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

interface Section {
  title: string;
  markdown: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

/** Runs every bench/*.ts module (or those named on the command line) and writes docs/benchmarks.md. */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const names = readdirSync(here)
    .filter((f) => f.endsWith(".js") && f !== "run.js" && !f.includes("-"))
    .map((f) => f.slice(0, -3))
    .filter((name) => only.length === 0 || only.includes(name))
    .sort((a, b) => (a === "startup" ? -1 : b === "startup" ? 1 : a.localeCompare(b)));
  const sections: Section[] = [];
  for (const name of names) {
    const module = (await import(pathToFileURL(join(here, `${name}.js`)).href)) as {
      run?: () => Promise<Section>;
    };
    if (typeof module.run !== "function") continue;
    process.stderr.write(`bench: ${name}…\n`);
    const section = await module.run();
    process.stdout.write(`\n## ${section.title}\n\n${section.markdown}\n`);
    sections.push(section);
  }
  if (only.length > 0) return;
  const date = new Date().toISOString().slice(0, 10);
  const doc = [
    "# Benchmarks",
    "",
    `Measured with \`npm run bench\` on ${date}. Figures are from one machine and one run; ratios compare against`,
    "baselines measured in the same run. Benchmarks never run in the test suite.",
    ...sections.flatMap((s) => ["", `## ${s.title}`, "", s.markdown]),
    "",
  ].join("\n");
  writeFileSync(join(root, "docs", "benchmarks.md"), doc);
  process.stderr.write("bench: wrote docs/benchmarks.md\n");
}

await main();

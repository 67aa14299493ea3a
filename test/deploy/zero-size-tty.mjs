// Drives the live progress view on a terminal that reports rows 0 and columns 0, from the built files, and prints
// how many bytes it wrote. Run in a child so a renderer that loops for ever cannot hang the test runner.
import { Writable } from "node:stream";
import { Chalk } from "chalk";
import { ttyView } from "../../dist/deploy/progress.js";

let written = 0;
const err = new Writable({
  write(chunk, _encoding, done) {
    written += chunk.length;
    done();
  },
});
Object.assign(err, {
  isTTY: true,
  columns: 0,
  rows: 0,
  cursorTo: (_x, cb) => err.write("\x1b[G", cb),
  moveCursor: (_dx, _dy, cb) => err.write("\x1b[1A", cb),
  clearLine: (_dir, cb) => err.write("\x1b[K", cb),
});
const view = await ttyView(err, new Chalk({ level: 0 }));
for (let i = 0; i < 20; i++) {
  view.event({
    type: "launch",
    app: "web",
    task: `web.1.${i}.1`,
    instance: i,
    release: 1,
    host: "a",
    ports: {},
  });
  view.event({ type: "healthy", app: "web", task: `web.1.${i}.1`, instance: i });
}
view.stop();
process.stdout.write(`${written}\n`);

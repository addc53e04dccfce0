// Copies the bpmn-js viewer bundle and its CSS from node_modules into app/static/vendor (git-ignored).
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "node_modules", "bpmn-js", "dist");
const vendor = join(root, "app", "static", "vendor");

const files = [
  ["bpmn-viewer.production.min.js", "bpmn-viewer.production.min.js"],
  ["assets/bpmn-js.css", "bpmn-js.css"],
  ["assets/diagram-js.css", "diagram-js.css"],
  ["assets/bpmn-font/css/bpmn-embedded.css", "bpmn-embedded.css"],
];

if (!existsSync(dist)) {
  console.error(`bpmn-js is not installed (${dist} missing): run npm install first`);
  process.exit(1);
}
mkdirSync(vendor, { recursive: true });
for (const [from, to] of files) {
  const source = join(dist, from);
  if (!existsSync(source)) {
    console.error(`missing ${source}`);
    process.exit(1);
  }
  copyFileSync(source, join(vendor, to));
  console.log(`copied ${from} -> app/static/vendor/${to}`);
}

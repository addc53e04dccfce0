// Copies the bpmn-js viewer and modeler bundles with their CSS, the dmn-js modeler (decision tables of
// the designer) with its CSS and font, and the Ace editor (form JSON editor of the designer), from
// node_modules into app/static/vendor (git-ignored).
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "app", "static", "vendor");

const files = [
  ["bpmn-js/dist/bpmn-viewer.production.min.js", "bpmn-viewer.production.min.js"],
  ["bpmn-js/dist/bpmn-modeler.production.min.js", "bpmn-modeler.production.min.js"],
  ["bpmn-js/dist/assets/bpmn-js.css", "bpmn-js.css"],
  ["bpmn-js/dist/assets/diagram-js.css", "diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css", "bpmn-embedded.css"],
  ["dmn-js/dist/dmn-modeler.production.min.js", "dmn/dmn-modeler.production.min.js"],
  ["dmn-js/dist/assets/diagram-js.css", "dmn/diagram-js.css"],
  ["dmn-js/dist/assets/dmn-js-shared.css", "dmn/dmn-js-shared.css"],
  ["dmn-js/dist/assets/dmn-js-drd.css", "dmn/dmn-js-drd.css"],
  ["dmn-js/dist/assets/dmn-js-decision-table.css", "dmn/dmn-js-decision-table.css"],
  ["dmn-js/dist/assets/dmn-js-decision-table-controls.css", "dmn/dmn-js-decision-table-controls.css"],
  ["dmn-js/dist/assets/dmn-js-literal-expression.css", "dmn/dmn-js-literal-expression.css"],
  ["dmn-js/dist/assets/dmn-js-boxed-expression.css", "dmn/dmn-js-boxed-expression.css"],
  ["dmn-js/dist/assets/dmn-js-boxed-expression-controls.css", "dmn/dmn-js-boxed-expression-controls.css"],
  ["dmn-js/dist/assets/dmn-font/css/dmn-embedded.css", "dmn/dmn-embedded.css"],
  ["ace-builds/src-min-noconflict/ace.js", "ace/ace.js"],
  ["ace-builds/src-min-noconflict/mode-json.js", "ace/mode-json.js"],
  ["ace-builds/css/ace.css", "ace/ace.css"],
];

for (const [from] of files) {
  if (!existsSync(join(modules, from))) {
    console.error(`missing node_modules/${from}: run npm install first`);
    process.exit(1);
  }
}
mkdirSync(join(vendor, "ace"), { recursive: true });
mkdirSync(join(vendor, "dmn"), { recursive: true });
for (const [from, to] of files) {
  copyFileSync(join(modules, from), join(vendor, to));
  console.log(`copied ${from} -> app/static/vendor/${to}`);
}
// ace.css refers to its sprites next to it (useStrictCSP: the page loads the CSS, Ace injects none).
const aceCss = join(modules, "ace-builds", "css");
for (const name of readdirSync(aceCss)) {
  if (/\.(png|svg)$/.test(name)) copyFileSync(join(aceCss, name), join(vendor, "ace", name));
}

// Copies the ECharts bundle (npm package "echarts") into app/static/vendor for the supervision cockpit.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules", "echarts", "dist", "echarts.min.js");
const vendor = join(root, "app", "static", "vendor");
if (!existsSync(source)) {
  console.error(`echarts is not installed (${source} missing): run npm install first`);
  process.exit(1);
}
mkdirSync(vendor, { recursive: true });
copyFileSync(source, join(vendor, "echarts.min.js"));
console.log("copied echarts/dist/echarts.min.js -> app/static/vendor/echarts.min.js");

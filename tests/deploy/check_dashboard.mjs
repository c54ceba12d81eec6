// Checks deploy/grafana/databricks-gateway.json offline, without a Grafana server:
//   1. it type-checks as @grafana/schema's Dashboard (TypeScript, strict, excess properties
//      refused), so Grafana can import it;
//   2. what the issue asks of it: uid, schemaVersion, a Prometheus datasource variable that
//      every panel and query uses, instance and tenant variables, the seed's seven panels
//      with their queries' metrics, unique ids and panels that do not overlap.
// Usage: node check_dashboard.mjs DASHBOARD.json NODE_MODULES_DIR WORK_DIR
// Prints one line per failed check; exits 1 if any failed.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const [dashboardPath, nodeModules, workDir] = process.argv.slice(2);
const text = fs.readFileSync(dashboardPath, "utf8");
const dashboard = JSON.parse(text);
const failures = [];
const check = (ok, message) => { if (!ok) failures.push(message); };

// 1. The schema, through TypeScript.
fs.mkdirSync(workDir, { recursive: true });
fs.symlinkSync(nodeModules, path.join(workDir, "node_modules"));
fs.writeFileSync(path.join(workDir, "dashboard.ts"),
  'import type { Dashboard } from "@grafana/schema";\n' +
  `export const dashboard = (${text}) satisfies Dashboard;\n`);
fs.writeFileSync(path.join(workDir, "tsconfig.json"), JSON.stringify({
  compilerOptions: { strict: true, noEmit: true, skipLibCheck: true,
                     module: "nodenext", moduleResolution: "nodenext", target: "es2022" },
  files: ["dashboard.ts"],
}));
try {
  execFileSync(process.execPath,
    [path.join(nodeModules, "typescript", "bin", "tsc"), "-p", workDir], { encoding: "utf8" });
} catch (e) {
  // tsc reports positions in dashboard.ts; its line 2 is the JSON's line 1.
  failures.push("not a @grafana/schema Dashboard (dashboard.ts line = JSON line + 1):\n" +
                (e.stdout || e.message));
}

// 2. What the issue asks of it.
check(typeof dashboard.uid === "string" && dashboard.uid.length > 0, "no uid");
check(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36,
      `schemaVersion ${dashboard.schemaVersion} is older than Grafana 9`);
const variables = Object.fromEntries((dashboard.templating?.list ?? []).map(v => [v.name, v]));
check(variables.datasource?.type === "datasource" && variables.datasource?.query === "prometheus",
      "no Prometheus datasource variable named datasource");
for (const name of ["instance", "tenant"]) {
  check(variables[name]?.type === "query" && variables[name]?.includeAll === true,
        `no query variable ${name} with an All option`);
}
const seedPanels = {  // seed 004 section 8.1: title and the metric its query reads
  "API Request Rate": "databricks_api_requests_total",
  "Error Rate": "databricks_errors_total",
  "Rate Limits Hit": "databricks_rate_limits_total",
  "Job Duration (p99)": "databricks_job_duration_seconds_bucket",
  "SQL Query Duration (p99)": "databricks_sql_query_duration_seconds_bucket",
  "Delta Operations": "databricks_delta_operations_total",
  "Circuit Breaker State": "databricks_circuit_breaker_state",
};
const panels = dashboard.panels.filter(p => p.type !== "row");
for (const [title, metric] of Object.entries(seedPanels)) {
  const panel = panels.find(p => p.title === title);
  check(panel !== undefined, `the seed's panel "${title}" is missing`);
  check(panel?.targets?.some(t => t.expr.includes(metric)),
        `panel "${title}" does not query ${metric}`);
}
const ids = new Set();
for (const panel of dashboard.panels) {
  check(!ids.has(panel.id), `panel id ${panel.id} is used twice`);
  ids.add(panel.id);
  if (panel.type === "row") continue;
  check(panel.datasource?.uid === "${datasource}", `panel "${panel.title}" does not use $datasource`);
  check(panel.targets?.length > 0, `panel "${panel.title}" has no query`);
  for (const target of panel.targets ?? []) {
    check(target.datasource?.uid === "${datasource}",
          `a query of "${panel.title}" does not use $datasource`);
    check(/instance=~"\$instance"/.test(target.expr),
          `a query of "${panel.title}" is not filtered by $instance: ${target.expr}`);
  }
}
const cells = new Map();
for (const panel of dashboard.panels) {
  const { x, y, w, h } = panel.gridPos;
  check(x >= 0 && w > 0 && x + w <= 24, `panel "${panel.title}" is outside the 24-column grid`);
  for (let row = y; row < y + h; row++) {
    for (let col = x; col < x + w; col++) {
      const key = `${row},${col}`;
      check(!cells.has(key), `panels "${cells.get(key)}" and "${panel.title}" overlap`);
      cells.set(key, panel.title);
    }
  }
}

for (const failure of new Set(failures)) console.log(failure);
console.log(`${panels.length} panels, ${failures.length === 0 ? "dashboard OK" : "dashboard has problems"}`);
process.exit(failures.length === 0 ? 0 : 1);

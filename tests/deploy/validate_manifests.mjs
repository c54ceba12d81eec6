// Validates one rendered overlay (`kubectl kustomize k8s/overlays/NAME`) offline:
//   1. every object against its Kubernetes or Prometheus Operator schema (kubernetes-models);
//   2. that the objects fit together and do what docs/deploy.md says: references resolve,
//      selectors select, the drain fits in the grace period, the pod is locked down, and the
//      PrometheusRule carries exactly deploy/prometheus/alerts.yaml.
// Usage: node validate_manifests.mjs RENDERED.yaml ALERTS.yaml CONFIG_OUT.yaml
// Writes the gateway config from the ConfigMap to CONFIG_OUT.yaml (for `gateway --check`).
// Prints one line per problem; exits 1 if there is any.
import fs from "node:fs";
import { isDeepStrictEqual } from "node:util";
import YAML from "yaml";

const [renderedPath, alertsPath, configOut] = process.argv.slice(2);
const objects = YAML.parseAllDocuments(fs.readFileSync(renderedPath, "utf8"))
  .map(doc => doc.toJS()).filter(Boolean);
const problems = [];
const check = (ok, message) => { if (!ok) problems.push(message); };
const name = o => `${o.kind}/${o.metadata?.name}`;

// 1. Schemas.
function modelPath(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}
for (const object of objects) {
  let Model;
  try {
    Model = (await import(modelPath(object.apiVersion, object.kind)))[object.kind];
  } catch (e) {
    problems.push(`${name(object)}: no schema for ${object.apiVersion} ${object.kind}`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (e) {
    problems.push(`${name(object)}: ${e.message}`);
  }
}

// 2. How they fit together.
const find = (kind, objectName) =>
  objects.find(o => o.kind === kind && (objectName === undefined || o.metadata.name === objectName));
const all = kind => objects.filter(o => o.kind === kind);
const selects = (selector, labels) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) &&
  Object.keys(selector?.matchLabels ?? {}).length > 0;

const namespace = find("Namespace");
check(namespace !== undefined, "no Namespace");
for (const object of objects) {
  if (object.kind !== "Namespace") {
    check(object.metadata.namespace === namespace?.metadata.name,
          `${name(object)} is not in namespace ${namespace?.metadata.name}`);
  }
}

const gateway = find("Deployment", "databricks-gateway");
check(gateway !== undefined, "no Deployment databricks-gateway");
const pod = gateway?.spec.template;
const container = pod?.spec.containers.find(c => c.name === "gateway");
check(container !== undefined, "the Deployment has no container named gateway");
check(selects(gateway?.spec.selector, pod?.metadata.labels), "the Deployment's selector misses its pods");

// The configuration in the ConfigMap, through the mounted volume.
const configVolume = pod?.spec.volumes?.find(v => v.configMap);
const configMap = find("ConfigMap", configVolume?.configMap.name);
check(configMap !== undefined, `the config volume names ConfigMap ${configVolume?.configMap.name}, which is not rendered`);
const configText = configMap?.data?.["gateway.yaml"];
check(typeof configText === "string", "the ConfigMap has no gateway.yaml");
const config = YAML.parse(configText ?? "{}");
fs.writeFileSync(configOut, configText ?? "");
const mount = container?.volumeMounts?.find(m => m.name === configVolume?.name);
check(container?.args?.includes(`--config=${mount?.mountPath}/gateway.yaml`),
      `the gateway is not started with the mounted config (${container?.args})`);

// Secrets and config keys referred to by the environment.
for (const variable of container?.env ?? []) {
  const secret = variable.valueFrom?.secretKeyRef;
  if (secret) check(secret.name === "databricks-credentials",
                    `${variable.name} reads Secret ${secret.name}, not databricks-credentials`);
  const key = variable.valueFrom?.configMapKeyRef;
  if (key) check(find("ConfigMap", key.name)?.data?.[key.key] !== undefined,
                 `${variable.name} reads ${key.name}/${key.key}, which is not rendered`);
}
const envNames = new Set((container?.env ?? []).map(v => v.name));
for (const required of ["DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_WAREHOUSE_ID"]) {
  check(envNames.has(required), `the gateway does not get ${required} (seed 004 section 6.2)`);
}
check(envNames.has(config.security?.handle_signing_key?.env ?? "GATEWAY_HANDLE_SIGNING_KEY"),
      "the handle signing key's variable is not set from the Secret");

// Ports: the listeners in the config are the container's ports, and probes use them.
const portOf = address => Number(String(address).split(":").pop());
const containerPort = portName => container?.ports?.find(p => p.name === portName)?.containerPort;
check(containerPort("grpc") === portOf(config.server?.grpc_address ?? ":50051"),
      "container port grpc is not server.grpc_address's port");
check(containerPort("metrics") === portOf(config.server?.admin_address ?? ":9090"),
      "container port metrics is not server.admin_address's port");
const probePort = probe => probe?.httpGet?.port ?? probe?.grpc?.port;
for (const probe of ["readinessProbe", "livenessProbe"]) {
  const port = probePort(container?.[probe]);
  check(port === "metrics" || port === "grpc" || port === containerPort("metrics") ||
        port === containerPort("grpc"), `${probe} does not check the gateway's own ports`);
}
check(container?.readinessProbe?.httpGet?.path === "/readyz" || container?.readinessProbe?.grpc,
      "the readiness probe is not /readyz or gRPC health");

// Resources and lock-down.
check(container?.resources?.requests?.cpu && container?.resources?.requests?.memory,
      "the gateway has no CPU and memory requests");
check(container?.resources?.limits?.memory, "the gateway has no memory limit");
const podSecurity = pod?.spec.securityContext ?? {};
const containerSecurity = container?.securityContext ?? {};
check(podSecurity.runAsNonRoot === true && podSecurity.runAsUser > 0, "the pod may run as root");
check(containerSecurity.readOnlyRootFilesystem === true, "the root filesystem is writable");
check(containerSecurity.allowPrivilegeEscalation === false, "privilege escalation is allowed");
check(containerSecurity.capabilities?.drop?.includes("ALL"), "capabilities are not dropped");

// Drain: preStop, then SIGTERM and at most drain_seconds, within the grace period.
const preStop = container?.lifecycle?.preStop?.sleep?.seconds ?? 0;
check(container?.lifecycle?.preStop !== undefined, "no preStop hook");
const drain = config.server?.drain_seconds ?? 20;
const grace = pod?.spec.terminationGracePeriodSeconds ?? 30;
check(grace > preStop + drain,
      `terminationGracePeriodSeconds ${grace} does not cover preStop ${preStop} s + drain_seconds ${drain} s`);

// Service, HPA, PDB, ServiceMonitor, NetworkPolicy.
const service = find("Service", "databricks-gateway");
check(selects({ matchLabels: service?.spec.selector }, pod?.metadata.labels),
      "the Service does not select the gateway's pods");
for (const portName of ["grpc", "metrics"]) {
  const port = service?.spec.ports.find(p => p.name === portName);
  check(port !== undefined && containerPort(port.targetPort) !== undefined,
        `the Service has no ${portName} port reaching the container`);
}
const hpa = find("HorizontalPodAutoscaler", "databricks-gateway");
check(hpa?.spec.scaleTargetRef.kind === "Deployment" && hpa?.spec.scaleTargetRef.name === gateway?.metadata.name,
      "the HPA does not scale the gateway");
check(hpa?.spec.minReplicas <= gateway?.spec.replicas && gateway?.spec.replicas <= hpa?.spec.maxReplicas,
      "the Deployment's replicas are outside the HPA's range");
check(selects(find("PodDisruptionBudget")?.spec.selector, pod?.metadata.labels),
      "the PodDisruptionBudget does not select the gateway's pods");
const monitor = find("ServiceMonitor");
const monitored = all("Service").filter(s => selects(monitor?.spec.selector, s.metadata.labels));
check(monitored.length === 1 && monitored[0] === service,
      `the ServiceMonitor selects ${monitored.map(name).join(", ") || "nothing"}, not just Service/databricks-gateway`);
check(monitor?.spec.endpoints?.every(e => service?.spec.ports.some(p => p.name === e.port)),
      "a ServiceMonitor endpoint names a port the Service lacks");
check(all("NetworkPolicy").some(p => selects(p.spec.podSelector, pod?.metadata.labels)),
      "no NetworkPolicy covers the gateway");

// Redis: the address in the config is the rendered Redis Service, which selects Redis pods.
if (config.redis?.enabled) {
  const [host, port] = String(config.redis.address).split(":");
  const redisService = find("Service", host);
  check(redisService !== undefined, `redis.address ${config.redis.address} is not a rendered Service`);
  check(redisService?.spec.ports.some(p => p.port === Number(port)), `Service ${host} has no port ${port}`);
  const redis = all("Deployment").find(d => selects({ matchLabels: redisService?.spec.selector }, d.spec.template.metadata.labels));
  check(redis !== undefined, `Service ${host} selects no Deployment`);
  check(config.redis.replica_count === gateway?.spec.replicas,
        `redis.replica_count ${config.redis.replica_count} is not the Deployment's ${gateway?.spec.replicas} replicas`);
}

// The PrometheusRule is alerts.yaml.
const rule = find("PrometheusRule");
const alerts = YAML.parse(fs.readFileSync(alertsPath, "utf8"));
check(rule !== undefined && isDeepStrictEqual(rule.spec, alerts),
      "the PrometheusRule's spec is not deploy/prometheus/alerts.yaml (run `make k8s-rules`)");

for (const problem of problems) console.log(problem);
console.log(`${objects.length} objects, ${problems.length === 0 ? "valid" : `${problems.length} problems`}`);
process.exit(problems.length === 0 ? 0 : 1);

/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
// Parse speed of our HCL parser against hcl2-parser (HashiCorp's Go parser compiled to JS)
// on a generated bake file with 1,000 targets (~50k lines).
// Usage: npm run build && node bench/hcl-parse.mjs [dist-dir] [--mbake-only]
// (--mbake-only skips hcl2-parser, which takes minutes on a busy machine; dist-dir
// lets two builds be compared, e.g. a copy of dist from before a change.)
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const mbakeOnly = args.includes("--mbake-only");
const dist = resolve(args.find((a) => !a.startsWith("--")) ?? "dist");
const importStart = performance.now();
const { parseHcl } = await import(pathToFileURL(resolve(dist, "hcl/parse.js")).href);
const importMs = performance.now() - importStart;

function bakeFile(targets) {
  const out = [
    'variable "TAG" {\n  default = "latest"\n}\n',
    'variable "REGISTRY" {\n  default = "registry.example.com"\n}\n',
    'function "image" {\n  params = [name]\n  result = "${REGISTRY}/${name}:${TAG}"\n}\n',
    `group "default" {\n  targets = [${Array.from({ length: targets }, (_, i) => `"svc-${i}"`).join(", ")}]\n}\n`,
  ];
  for (let i = 0; i < targets; i++) {
    out.push(`# service ${i}
target "svc-${i}" {
  inherits   = ["base"]
  context    = "./services/svc-${i}"
  dockerfile = "Dockerfile"
  platforms  = ["linux/amd64", "linux/arm64"]
  tags = [
    image("svc-${i}"),
    "\${REGISTRY}/svc-${i}:\${TAG}",
  ]
  args = {
    VERSION    = TAG
    BUILD_NR   = ${i} * 2 + 1
    DEBUG      = TAG == "dev" ? "1" : "0"
    NAME       = "svc-${i}"
  }
  labels = {
    "org.opencontainers.image.title" = "svc-${i}"
    "org.opencontainers.image.source" = "https://example.com/svc-${i}"
  }
  contexts = {
    shared = "target:base"
  }
  cache-from = [for p in ["a", "b"] : "type=registry,ref=\${REGISTRY}/cache:\${p}"]
  cache-to   = ["type=inline"]
  secret     = ["id=token,env=TOKEN"]
  ssh        = ["default"]
  output     = ["type=image"]
  attest     = [{ type = "sbom" }, { type = "provenance", mode = "max" }]
  annotations = [for k, v in { a = 1, b = 2 } : "\${k}=\${v}" if v > 0]
  pull       = true
  no-cache   = false
  network    = "default"
  shm-size   = "128m"
  ulimits    = ["nofile=1024:1024"]
  description = <<-EOT
    Service ${i}
      built by mbake
    EOT
  entitlements = []
  call       = "build"
  target     = "release"
  matrix_note = [1, 2, 3][*]
  platforms_count = length(["linux/amd64", "linux/arm64"])
  extra = {
    a = [1, 2, 3]
    b = { c = "d" }
  }
}
`);
  }
  return out.join("\n");
}

const text = bakeFile(1000);
const lines = text.split("\n").length;
const time = (fn) => {
  const t0 = performance.now();
  const r = fn();
  return [performance.now() - t0, r];
};

const runs = [];
for (let i = 0; i < 10; i++) {
  const [ms, r] = time(() => parseHcl({ name: "bench.hcl", text }));
  if (r.diagnostics.length > 0) throw new Error(JSON.stringify(r.diagnostics[0].summary));
  runs.push(ms);
}
const median = [...runs].sort((a, b) => a - b)[5];
console.log(`file: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB, 1000 targets`);
console.log(
  `mbake parseHcl: load ${importMs.toFixed(0)} ms, first ${runs[0].toFixed(1)} ms, median of 10 ${median.toFixed(1)} ms, best ${Math.min(...runs).toFixed(1)} ms`,
);
if (mbakeOnly) process.exit(0);
const require = createRequire(import.meta.url);
const [loadMs, hcl2] = time(() => require("hcl2-parser"));
const [refMs, ref] = time(() => hcl2.parseToObject(text));
if (!ref[0]) throw new Error("hcl2-parser rejected the file");
const [ref2Ms] = time(() => hcl2.parseToObject(text));
console.log(
  `hcl2-parser: load ${loadMs.toFixed(0)} ms, parse ${refMs.toFixed(0)} ms, second parse ${ref2Ms.toFixed(0)} ms`,
);

// Placement bench: the real planner and scheduler (from dist/) on simulated endpoints
// with a virtual clock. Each endpoint runs up to max-parallel builds at once, sharing
// its CPUs among them (a build alone on a CPU takes its given duration); a build is
// shorter where the target built before (warm). Prints each shape's makespan against
// the lower bound max(critical path, total work / CPUs) as a ratio (goal <= 1.15x), and
// against the best schedule a search over assignments finds (an upper bound of the
// optimum: where it is over the lower bound, no schedule reaches that bound).
// BENCH_TRACE=1 prints each run's decisions (start time, job -> endpoint).
// `node bench/placement.mjs` (after `npm run build`); also part of `npm run bench`.
// BENCH_DIST=/path/to/dist compares another build (for before/after figures).
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;

/** Lets every promise callback and setImmediate that is due run. */
async function settle() {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/**
 * A shape: targets with their dependencies and cold duration (s); `warmOn` is where
 * they built before, where they take `warmShare` of the time.
 */
function shapes() {
  const independent6 = Object.fromEntries(
    ["t1", "t2", "t3", "t4", "t5", "t6"].map((n) => [n, { after: [], s: 10 }]),
  );
  const varied = [12, 3, 7, 20, 5, 9, 14, 4, 8, 16, 6, 11];
  const independent12 = Object.fromEntries(varied.map((s, i) => [`v${i}`, { after: [], s }]));
  const diamond = {
    base: { after: [], s: 10 },
    m1: { after: ["base"], s: 10 },
    m2: { after: ["base"], s: 20 },
    m3: { after: ["base"], s: 15 },
    m4: { after: ["base"], s: 5 },
    top: { after: ["m1", "m2", "m3", "m4"], s: 10 },
  };
  const chainFan = { root: { after: [], s: 5 } };
  for (let i = 1; i <= 4; i++)
    chainFan[`c${i}`] = { after: [i === 1 ? "root" : `c${i - 1}`], s: 10 };
  for (let i = 1; i <= 8; i++) chainFan[`f${i}`] = { after: ["root"], s: 6 };
  return [
    ["independent, 6 x 10 s", independent6],
    ["independent, 12 varied", independent12],
    ["diamond, 1-4-1", diamond],
    ["chain of 4 + fan-out of 8", chainFan],
  ];
}

const warmShare = 0.8;

/** One endpoint of the simulation: builds share its CPUs; each finishes when its work is done. */
class SimEndpoint {
  running = new Map();
  constructor(name, maxParallel, cpus, duration, reportCpus) {
    this.name = name;
    this.maxParallel = maxParallel;
    this.cpusTotal = cpus;
    if (reportCpus) this.cpus = cpus;
    this.duration = duration;
  }
  build(job) {
    this.trace?.push(`${(this.clock() / 1000).toFixed(1)} ${job.job.id}->${this.name}`);
    return new Promise((resolve) => {
      this.running.set(job.job.id, { left: this.duration(job.job.target, this.name), resolve });
    });
  }
  /** The speed of each running build (1 = alone on a CPU). */
  rate() {
    return Math.min(1, this.cpusTotal / Math.max(1, this.running.size));
  }
}

/**
 * The makespan of one schedule in the simulation's model: each job on its endpoint
 * (`on`), started in `rank` order (highest first) once its dependencies are done, at
 * most `limit[e]` at once on endpoint e, sharing its CPUs.
 */
function scheduleMakespan(shape, names, on, rank, limit, cpus, duration) {
  const left = new Map(names.map((n) => [n, duration(n, on.get(n))]));
  const done = new Set();
  const running = new Map([...limit.keys()].map((e) => [e, new Set()]));
  let now = 0;
  for (;;) {
    for (const [e, set] of running) {
      const ready = names
        .filter((n) => on.get(n) === e && !done.has(n) && !set.has(n) && left.get(n) > 0)
        .filter((n) => shape[n].after.every((d) => done.has(d)))
        .sort((x, y) => rank.get(y) - rank.get(x));
      for (const n of ready) if (set.size < limit.get(e)) set.add(n);
    }
    let step = Number.POSITIVE_INFINITY;
    for (const set of running.values()) {
      const rate = Math.min(1, cpus / Math.max(1, set.size));
      for (const n of set) step = Math.min(step, left.get(n) / rate);
    }
    if (!Number.isFinite(step)) return now;
    now += step;
    for (const set of running.values()) {
      const rate = Math.min(1, cpus / Math.max(1, set.size));
      for (const n of [...set]) {
        left.set(n, left.get(n) - step * rate);
        if (left.get(n) <= 1e-6) {
          left.set(n, 0);
          set.delete(n);
          done.add(n);
        }
      }
    }
  }
}

/**
 * The best schedule found by trying every assignment of jobs to the 2 endpoints, each
 * with jobs in longest-way-to-the-end order and a few limits of builds at once (the
 * CPUs, one more, or max-parallel): an upper bound of the true optimum, to tell how
 * much of the gap to the lower bound no schedule can close.
 */
function bestFound(shape, names, endpointNames, config, duration) {
  const perEndpoint = Math.min(config.cpus, config.maxParallel);
  const limits = [
    ...new Set([perEndpoint, Math.min(perEndpoint + 1, config.maxParallel), config.maxParallel]),
  ];
  let best = Number.POSITIVE_INFINITY;
  for (let mask = 0; mask < 2 ** names.length; mask++) {
    const on = new Map(names.map((n, i) => [n, endpointNames[(mask >> i) & 1]]));
    const rank = new Map();
    for (const n of [...names].reverse()) {
      const next = names.filter((m) => shape[m].after.includes(n)).map((m) => rank.get(m));
      rank.set(n, duration(n, on.get(n)) + Math.max(0, ...next));
    }
    for (const la of limits)
      for (const lb of limits) {
        const limit = new Map([
          [endpointNames[0], la],
          [endpointNames[1], lb],
        ]);
        best = Math.min(
          best,
          scheduleMakespan(shape, names, on, rank, limit, config.cpus, duration),
        );
      }
  }
  return best;
}

async function simulate(api, shape, config) {
  const { buildGraph, planJobs, runPlan } = api;
  const names = Object.keys(shape);
  const graph = buildGraph(
    Object.fromEntries(
      names.map((n) => [
        n,
        {
          name: n,
          contexts: Object.fromEntries(shape[n].after.map((d) => [d, `target:${d}`])),
        },
      ]),
    ),
  );
  const targets = Object.fromEntries(
    names.map((n) => [n, { name: n, platforms: [], exportsImage: false, pushes: false }]),
  );
  const endpointNames = ["a", "b"];
  const warmOn = config.warm ? "a" : undefined;
  const duration = (target, endpoint) =>
    shape[target].s * 1000 * (endpoint === warmOn ? warmShare : 1);
  const infos = endpointNames.map((name) => ({
    name,
    nativePlatforms: ["linux/amd64"],
    platforms: ["linux/amd64"],
    maxParallel: config.maxParallel,
    multiPlatformImages: false,
  }));
  const history = config.history
    ? Object.fromEntries(
        names.map((n) => [
          n,
          [
            { ms: shape[n].s * 1000, warm: false },
            { ms: shape[n].s * 1000 * warmShare, warm: true },
          ],
        ]),
      )
    : undefined;
  const plan = planJobs(graph, targets, infos, {
    ...(warmOn ? { warmth: Object.fromEntries(names.map((n) => [n, warmOn])) } : {}),
    ...(history ? { durations: history } : {}),
  });
  const endpoints = endpointNames.map(
    (n) => new SimEndpoint(n, config.maxParallel, config.cpus, duration, config.reportCpus),
  );
  let now = 0;
  let over = false;
  const trace = [];
  for (const e of endpoints) {
    e.clock = () => now;
    e.trace = trace;
  }
  const run = runPlan(plan, endpoints, {
    signal: new AbortController().signal,
    emit: () => {},
    now: () => now,
  }).then((r) => {
    over = true;
    return r;
  });
  for (;;) {
    await settle();
    if (over) break;
    let step = Number.POSITIVE_INFINITY;
    for (const e of endpoints)
      for (const b of e.running.values()) step = Math.min(step, b.left / e.rate());
    if (!Number.isFinite(step)) throw new Error("simulation stalled: nothing runs, run not over");
    now += step;
    for (const e of endpoints) {
      const rate = e.rate();
      for (const [id, b] of e.running) {
        b.left -= step * rate;
        if (b.left <= 1e-6) {
          e.running.delete(id);
          b.resolve({ exporterResponse: {} });
        }
      }
    }
  }
  const result = await run;
  if (result.outcome !== "success") throw new Error(`simulated run ended ${result.outcome}`);
  // The bound: the critical path at each job's shortest (warm) duration, and all the
  // work spread evenly over the CPUs, a warm endpoint counting for 1/warmShare.
  const best = (n) => shape[n].s * 1000 * (warmOn ? warmShare : 1);
  const path = new Map();
  for (const n of graph.order)
    path.set(n, best(n) + Math.max(0, ...shape[n].after.map((d) => path.get(d))));
  const criticalPath = Math.max(...path.values());
  const coldWork = names.reduce((a, n) => a + shape[n].s * 1000, 0);
  const perEndpoint = Math.min(config.cpus, config.maxParallel);
  const capacity = endpointNames.reduce(
    (a, e) => a + perEndpoint / (e === warmOn ? warmShare : 1),
    0,
  );
  const bound = Math.max(criticalPath, coldWork / capacity);
  // Jobs in dependency order, for the search (dependants after their dependencies).
  const found = bestFound(shape, graph.order, endpointNames, config, duration);
  return { makespan: now, bound, found, trace };
}

export async function placementBench(dist = process.env.BENCH_DIST ?? join(root, "dist")) {
  if (!existsSync(join(dist, "scheduler", "scheduler.js"))) {
    console.log(`placement: skipped (${dist} is missing; run \`npm run build\` first)`);
    return [];
  }
  const api = {
    ...(await import(join(dist, "graph", "graph.js"))),
    ...(await import(join(dist, "plan", "plan.js"))),
    ...(await import(join(dist, "scheduler", "scheduler.js"))),
  };
  const configs = [
    { label: "1 CPU, max-parallel 4, no history", cpus: 1, maxParallel: 4 },
    {
      label: "1 CPU, max-parallel 4, history, warm on a",
      cpus: 1,
      maxParallel: 4,
      history: true,
      warm: true,
    },
    {
      // The same endpoints telling their CPUs: what placement does knowing the capacity.
      label: "1 CPU (reported, or set with cpus=), max-parallel 4, history, warm on a",
      cpus: 1,
      maxParallel: 4,
      history: true,
      warm: true,
      reportCpus: true,
    },
    {
      label: "2 CPUs, max-parallel 4, history, warm on a",
      cpus: 2,
      maxParallel: 4,
      history: true,
      warm: true,
    },
    {
      label: "2 CPUs (reported, or set with cpus=), max-parallel 8, history, warm on a",
      cpus: 2,
      maxParallel: 8,
      history: true,
      warm: true,
      reportCpus: true,
    },
    {
      // Standalone buildkitds elsewhere: no CPU count, the default of 32 builds (the case).
      label: "2 CPUs (unknown), max-parallel 32 (default), history, warm on a",
      cpus: 2,
      maxParallel: 32,
      history: true,
      warm: true,
    },
    {
      // What a run gets now on Docker Engines: NCPU reported, the default of 32 builds.
      label: "2 CPUs (reported), max-parallel 32 (default), history, warm on a",
      cpus: 2,
      maxParallel: 32,
      history: true,
      warm: true,
      reportCpus: true,
    },
    {
      label: "2 CPUs (reported), max-parallel 32 (default), no history",
      cpus: 2,
      maxParallel: 32,
      reportCpus: true,
    },
  ];
  const rows = [];
  console.log(
    "placement (simulated, 2 endpoints): makespan / max(critical path, work / CPUs) (a warm CPU counts 1/0.8),",
  );
  console.log(
    "  and makespan / the best schedule found knowing every duration and CPU (an upper bound of the optimum)",
  );
  for (const config of configs) {
    console.log(`  ${config.label}`);
    for (const [name, shape] of shapes()) {
      const { makespan, bound, found, trace } = await simulate(api, shape, config);
      const ratio = makespan / bound;
      rows.push({
        config: config.label,
        known: Boolean(config.reportCpus),
        shape: name,
        makespan,
        bound,
        found,
        ratio,
      });
      const s = (ms) => (ms / 1000).toFixed(1).padStart(6);
      console.log(
        `    ${name.padEnd(28)} ${s(makespan)} s  bound ${s(bound)} s  ${ratio.toFixed(2)}x  best found ${s(found)} s  ${(makespan / found).toFixed(2)}x${ratio > 1.15 ? "  (over 1.15x)" : ""}`,
      );
      if (process.env.BENCH_TRACE) console.log(`      ${trace.join(", ")}`);
    }
  }
  for (const known of [true, false]) {
    const some = rows.filter((r) => r.known === known);
    const worst = Math.max(...some.map((r) => r.ratio));
    const worstFound = Math.max(...some.map((r) => r.makespan / r.found));
    const over = some.filter((r) => r.ratio > 1.15);
    const unreachable = over.filter((r) => r.found / r.bound > 1.15).length;
    console.log(
      `  CPUs ${known ? "known (reported or set)" : "unknown (assumed: 1 here)"}: worst ${worst.toFixed(2)}x the bound (goal <= 1.15x), ${worstFound.toFixed(2)}x the best found; ${over.length} of ${some.length} rows over 1.15x, ${unreachable} of them where no schedule found reaches 1.15x`,
    );
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await placementBench();

/**
 * Placement: which endpoint each job prefers. A job is one target, or one platform
 * of a multi-platform image target split across endpoints. Pure: the scheduler
 * re-checks at run time (endpoints go down; dependencies pin dependents).
 */
import type { TargetGraph } from "../graph/graph.js";
import {
  type DurationHistory,
  durationKey,
  expectedDurations,
  type JobExpectation,
} from "./history.js";

export interface EndpointInfo {
  readonly name: string;
  /** Platforms the endpoint runs natively (declared, or the daemon's first worker platform). */
  readonly nativePlatforms: readonly string[];
  /** Every platform the endpoint can build (native or emulated). */
  readonly platforms: readonly string[];
  readonly maxParallel: number;
  /** CPUs the daemon's worker reports, when it does. */
  readonly cpus?: number;
  readonly multiPlatformImages: boolean;
  /** The Dockerfile frontend answers subrequests (--call). */
  readonly subrequests?: boolean;
}

export interface PlanTarget {
  readonly name: string;
  readonly platforms: readonly string[];
  /** The output is an image (store or registry). */
  readonly exportsImage: boolean;
  /** The image is pushed to a registry. */
  readonly pushes: boolean;
  /** A subrequest (--call outline/targets/check), not a build. */
  readonly call?: boolean;
}

export interface Job {
  readonly id: string;
  readonly target: string;
  readonly platforms: readonly string[];
  /** Endpoints in order of preference; empty when none can build it. */
  readonly preferred: readonly string[];
  /** Those of `preferred` that run every platform of the job natively (no emulation). */
  readonly native?: readonly string[];
  /** Jobs that must finish first (all jobs of the dependency targets). */
  readonly after: readonly string[];
  /** Set when this job is one platform of a split multi-platform target. */
  readonly part?: { readonly of: string; readonly index: number; readonly count: number };
  /** How long it is expected to take, cold and warm (from earlier runs); unknown when absent. */
  readonly expected?: JobExpectation;
}

/**
 * How a dependency's output reaches a dependent: on the same daemon (its image store
 * or cache), or through a registry every endpoint can pull from.
 */
export type HandoverStrategy = "same-endpoint" | "registry";

export interface Handover {
  /** The dependency target. */
  readonly from: string;
  /** The dependent target. */
  readonly to: string;
  readonly strategy: HandoverStrategy;
}

export interface Plan {
  readonly jobs: readonly Job[];
  /** One entry per `target:` edge, in plan order. */
  readonly handovers: readonly Handover[];
  /** Split targets whose per-platform images must be joined into one index. */
  readonly joins: readonly { readonly target: string; readonly jobs: readonly string[] }[];
  readonly problems: readonly string[];
}

export interface PlanOptions {
  /** Where each target built last time (cache warmth). */
  readonly warmth?: Readonly<Record<string, string>>;
  /** How long jobs took in earlier runs, for placement by expected finish time. */
  readonly durations?: DurationHistory;
  /** Split multi-platform image targets per platform when endpoints cannot build them whole. */
  readonly split?: boolean;
  /**
   * A registry every endpoint can reach, for handing dependencies over between
   * endpoints. Without it a dependent runs where its dependencies ran (unless they
   * push their image anyway).
   */
  readonly registry?: string;
}

/** linux/arm64/v8 and linux/arm64 name the same platform. */
function normalizePlatform(p: string): string {
  return p.replace(/^([^/]+\/arm64)\/v8$/, "$1");
}

function hasPlatform(list: readonly string[], p: string): boolean {
  const want = normalizePlatform(p);
  return list.some((q) => normalizePlatform(q) === want);
}

function isNative(e: EndpointInfo, platforms: readonly string[]): boolean {
  return platforms.length === 0
    ? e.nativePlatforms.length > 0
    : platforms.every((p) => hasPlatform(e.nativePlatforms, p));
}

/** The endpoints of `preferred` that run these platforms natively. */
function nativeAmong(
  endpoints: readonly EndpointInfo[],
  preferred: readonly string[],
  platforms: readonly string[],
): string[] {
  return preferred.filter((n) => {
    const e = endpoints.find((x) => x.name === n);
    return e !== undefined && isNative(e, platforms);
  });
}

function canBuild(e: EndpointInfo, platforms: readonly string[]): boolean {
  return platforms.every((p) => hasPlatform(e.platforms, p));
}

function rank(
  endpoints: readonly EndpointInfo[],
  platforms: readonly string[],
  load: Map<string, number>,
  warmEndpoint: string | undefined,
): string[] {
  const scored = endpoints
    .filter((e) => canBuild(e, platforms))
    .map((e, index) => {
      const native = isNative(e, platforms);
      const warm = warmEndpoint === e.name;
      const score = (native ? 100 : 0) + (warm ? 10 : 0) - (load.get(e.name) ?? 0) / e.maxParallel;
      return { name: e.name, score, index };
    })
    .sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.map((s) => s.name);
}

export function planJobs(
  graph: TargetGraph,
  targets: Readonly<Record<string, PlanTarget>>,
  endpoints: readonly EndpointInfo[],
  options: PlanOptions = {},
): Plan {
  const warmth = options.warmth ?? {};
  /** What placement expects of a job, when earlier runs tell. */
  const expectation = (
    name: string,
    platforms: readonly string[],
    warmKeys: readonly string[],
  ): { expected?: JobExpectation } => {
    const key = durationKey(name, platforms);
    const known = options.durations && Object.hasOwn(options.durations, key);
    const d = known ? expectedDurations(options.durations![key]) : undefined;
    if (!d) return {};
    const warmKey = warmKeys.find((k) => Object.hasOwn(warmth, k));
    const warmOn = warmKey !== undefined ? [warmth[warmKey]!] : [];
    return { expected: { ...d, warmOn } };
  };
  const load = new Map<string, number>();
  const jobs: Job[] = [];
  const joins: { target: string; jobs: string[] }[] = [];
  const problems: string[] = [];
  const handovers: Handover[] = [];
  const jobsOf = new Map<string, string[]>();
  /** Where each whole (unsplit) target is planned to run first. */
  const placedOn = new Map<string, string>();
  for (const name of graph.order) {
    const t = targets[name];
    if (!t) continue;
    const deps = (graph.dependencies.get(name) ?? []).filter((d) => jobsOf.has(d));
    const after = deps.flatMap((d) => jobsOf.get(d) ?? []);
    /** Dependencies that can only be used on the endpoint that built them. */
    const pinnedBy = deps.filter(
      (d) => options.registry === undefined && !targets[d]?.pushes && placedOn.has(d),
    );
    for (const d of deps)
      handovers.push({
        from: d,
        to: name,
        strategy: pinnedBy.includes(d) ? "same-endpoint" : "registry",
      });
    const pins = [...new Set(pinnedBy.map((d) => placedOn.get(d)!))];
    /** Puts first the endpoint the pinning dependencies are planned on. */
    let pinProblem = false;
    const pinned = (preferred: string[], what: string): string[] => {
      if (pins.length === 0 || preferred.length === 0) return preferred;
      pinProblem = true;
      if (pins.length > 1) {
        problems.push(
          `${what} uses ${pinnedBy.map((d) => `${d} (on ${placedOn.get(d)})`).join(" and ")}, which can only be handed over on their own endpoint; give a registry for hand-over so they can meet`,
        );
        return [];
      }
      if (!preferred.includes(pins[0]!)) {
        problems.push(
          `${what} must run on ${pins[0]} where ${pinnedBy.join(", ")} ran, but ${pins[0]} cannot build it; give a registry for hand-over`,
        );
        return [];
      }
      pinProblem = false;
      // The others stay as fallbacks: if the dependency ends up elsewhere at run time
      // (its endpoint was busy or died), the scheduler follows it there.
      return [pins[0]!, ...preferred.filter((e) => e !== pins[0])];
    };
    const wholeOk = endpoints.some(
      (e) =>
        canBuild(e, t.platforms) &&
        (e.multiPlatformImages || !t.exportsImage || t.platforms.length <= 1),
    );
    const mustSplit =
      t.exportsImage && t.platforms.length > 1 && (!wholeOk || options.split === true);
    if (mustSplit && t.pushes) {
      const ids: string[] = [];
      t.platforms.forEach((p, index) => {
        const preferred = pinned(
          rank(endpoints, [p], load, warmth[`${name}@${p}`] ?? warmth[name]),
          `${name} for ${p}`,
        );
        if (preferred[0]) load.set(preferred[0], (load.get(preferred[0]) ?? 0) + 1);
        if (preferred.length === 0 && !pinProblem)
          problems.push(`no endpoint can build ${name} for ${p}`);
        const id = `${name}@${p}`;
        ids.push(id);
        jobs.push({
          id,
          target: name,
          platforms: [p],
          preferred,
          native: nativeAmong(endpoints, preferred, [p]),
          after,
          part: { of: name, index, count: t.platforms.length },
          ...expectation(name, [p], [id, name]),
        });
      });
      jobsOf.set(name, ids);
      joins.push({ target: name, jobs: ids });
      continue;
    }
    if (mustSplit) {
      problems.push(
        `${name}: no endpoint can export a ${t.platforms.length}-platform image without pushing it (the Docker Engine's image store holds one platform); push it (--push / type=registry), use a buildkitd endpoint, or build one platform`,
      );
    }
    // A multi-platform image built whole goes only where the image store holds one.
    // A subrequest goes where the frontend answers them; where none does, the endpoint
    // says so when asked (naming itself).
    const answering = endpoints.filter((e) => e.subrequests);
    const able =
      t.exportsImage && t.platforms.length > 1 && !mustSplit
        ? endpoints.filter((e) => e.multiPlatformImages)
        : t.call && answering.length > 0
          ? answering
          : endpoints;
    const preferred = pinned(rank(able, t.platforms, load, warmth[name]), name);
    if (preferred[0]) placedOn.set(name, preferred[0]);
    if (preferred[0]) load.set(preferred[0], (load.get(preferred[0]) ?? 0) + 1);
    if (preferred.length === 0 && !pinProblem)
      problems.push(
        `no endpoint can build ${name} for ${t.platforms.join(", ") || "its default platform"}`,
      );
    jobs.push({
      id: name,
      target: name,
      platforms: t.platforms,
      preferred,
      native: nativeAmong(endpoints, preferred, t.platforms),
      after,
      ...expectation(name, t.platforms, [name]),
    });
    jobsOf.set(name, [name]);
  }
  return { jobs, handovers, joins, problems };
}

/** The longest chain of jobs that must run one after another (the first one on ties). */
export function longestChain(plan: Plan): string[] {
  const best = new Map<string, { length: number; via?: string }>();
  for (const j of plan.jobs) {
    let via: string | undefined;
    for (const a of j.after)
      if (via === undefined || best.get(a)!.length > best.get(via)!.length) via = a;
    best.set(j.id, {
      length: (via === undefined ? 0 : best.get(via)!.length) + 1,
      ...(via !== undefined ? { via } : {}),
    });
  }
  let end: string | undefined;
  for (const j of plan.jobs)
    if (end === undefined || best.get(j.id)!.length > best.get(end)!.length) end = j.id;
  const chain: string[] = [];
  for (let id = end; id !== undefined; id = best.get(id)!.via) chain.unshift(id);
  return chain;
}

/** The plan as --dry-run shows it: waves of jobs that can run together, each with its endpoint. */
export function describePlan(plan: Plan): string {
  const wave = new Map<string, number>();
  for (const j of plan.jobs)
    wave.set(j.id, Math.max(0, ...j.after.map((a) => (wave.get(a) ?? 0) + 1)));
  const waves = Math.max(0, ...wave.values()) + 1;
  const lines: string[] = [];
  for (let w = 0; w < waves; w++) {
    const inWave = plan.jobs.filter((j) => wave.get(j.id) === w);
    if (inWave.length === 0) continue;
    lines.push(`step ${w + 1}:`);
    for (const j of inWave) {
      const where = j.preferred[0] ?? "(no endpoint can build this)";
      const platforms = j.platforms.length > 0 ? ` [${j.platforms.join(", ")}]` : "";
      const after = j.after.length > 0 ? ` after ${j.after.join(", ")}` : "";
      const fallback = j.preferred.length > 1 ? ` (then ${j.preferred.slice(1).join(", ")})` : "";
      lines.push(`  ${j.id}${platforms} -> ${where}${fallback}${after}`);
    }
  }
  const handovers = plan.handovers.map(
    (h) =>
      `  ${h.from} -> ${h.to}: ${h.strategy === "registry" ? "through the registry" : "on the same endpoint"}`,
  );
  if (handovers.length > 0) lines.push("hand-over:", ...handovers);
  for (const join of plan.joins)
    lines.push(
      `join: ${join.target} <- ${join.jobs.join(", ")} (one multi-platform index in the registry)`,
    );
  const chain = longestChain(plan);
  if (chain.length > 1) lines.push(`critical path: ${chain.join(" -> ")}`);
  for (const p of plan.problems) lines.push(`problem: ${p}`);
  return `${lines.join("\n")}\n`;
}

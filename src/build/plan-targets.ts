/** What the planner needs to know of each resolved target. */
import type { Target } from "../bake/model.js";
import type { PlanTarget } from "../plan/plan.js";
import { callName } from "./call-output.js";

function exportsImage(t: Target): boolean {
  if (callName(t.call) !== "build") return false;
  const o = t.output?.[0];
  return !!o && ["image", "registry", "docker"].includes(o.type ?? "");
}

function pushes(t: Target): boolean {
  const o = t.output?.[0];
  return !!o && (o.type === "registry" || o.push === "true");
}

export function planTargets(targets: Readonly<Record<string, Target>>): Record<string, PlanTarget> {
  const out: Record<string, PlanTarget> = {};
  for (const [name, t] of Object.entries(targets))
    out[name] = {
      name,
      platforms: t.platforms ?? [],
      exportsImage: exportsImage(t),
      pushes: pushes(t),
      ...(callName(t.call) !== "build" ? { call: true } : {}),
    };
  return out;
}

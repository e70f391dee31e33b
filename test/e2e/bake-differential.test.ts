/**
 * mbake against the reference buildx on every case in test/fixtures/bake-cases, every
 * invocation of the public file sets in test/fixtures/bake-public, and on generated files: same success or failure, byte-identical --print / --list output, and
 * on failure the position buildx names. MBAKE_DIFF_FILTER=text limits the run to cases
 * whose id contains text; MBAKE_DIFF_SEED picks the generated files, MBAKE_DIFF_GENERATED and
 * MBAKE_DIFF_GENERATED_LIST how many (general ones, and --list=targets ones).
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/run.js";
import {
  type BakeCase,
  caseEnv,
  cleanHome,
  compare,
  loadCases,
  loadPublicSets,
  mapLimit,
  type Outcome,
  referenceBuildx,
  runBuildx,
  runMbakeInProcess,
} from "./support/bake-diff.js";
import { generateCases } from "./support/bake-generate.js";
import { generateListCases } from "./support/bake-generate-list.js";

const filter = process.env.MBAKE_DIFF_FILTER ?? "";
const seed = Number(process.env.MBAKE_DIFF_SEED ?? 1);
const generatedCount = Number(process.env.MBAKE_DIFF_GENERATED ?? 400);
const generated = generateCases(seed, generatedCount);
// --list=targets on files with many same-named targets and groups (buildx's unstable sort).
const listCount = Number(process.env.MBAKE_DIFF_GENERATED_LIST ?? 40);
const generatedLists = generateListCases(seed, listCount, generated.dir);
const cases: BakeCase[] = [
  ...loadCases(),
  ...loadPublicSets(),
  ...generated.cases,
  ...generatedLists,
].filter((c) => c.id.includes(filter));
const home = cleanHome();
const reference = new Map<string, Outcome>();
const tally = new Map<string, { same: number; differ: number; allowed: number }>();
/** MBAKE_DIFF_REPORT=FILE writes every difference there (JSON), to study classes. */
const report: { id: string; dir: string; args: readonly string[]; why: string }[] = [];

beforeAll(async () => {
  const buildx = referenceBuildx();
  const outcomes = await mapLimit(cases, 4, (c) => runBuildx(buildx, c, caseEnv(c, home)));
  for (const [i, c] of cases.entries()) reference.set(c.id, outcomes[i]!);
}, 1_200_000);

afterAll(() => {
  rmSync(generated.dir, { recursive: true, force: true });
  const lines = [...tally].map(
    ([source, t]) => `${source}: ${t.same} identical, ${t.differ} different (${t.allowed} allowed)`,
  );
  if (process.env.MBAKE_DIFF_REPORT) {
    writeFileSync(process.env.MBAKE_DIFF_REPORT, `${JSON.stringify(report, null, 1)}\n`);
  }
  console.log(`bake differential (seed ${seed}):\n${lines.join("\n")}`);
});

function count(c: BakeCase, same: boolean): void {
  const source = c.id.split("/")[0]!;
  const t = tally.get(source) ?? { same: 0, differ: 0, allowed: 0 };
  if (same) t.same++;
  else t.differ++;
  if (c.spec.differs) t.allowed++;
  tally.set(source, t);
}

describe("mbake prints what buildx prints", () => {
  it("has cases", () => {
    expect(cases.length).toBeGreaterThan(0);
  });
  it("every public case names the repository, commit and files it comes from", () => {
    for (const c of cases.filter((x) => x.id.startsWith("public/"))) {
      const o = c.spec.origin ?? {};
      expect(o.repo, c.id).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(o.commit, c.id).toMatch(/^[0-9a-f]{40}$/);
      for (const path of (o.path ?? "").split(" ")) {
        const kept = [join(c.dir, path), join(c.dir, basename(path))].some((f) => existsSync(f));
        expect(kept, `${c.id}: ${path} is not in ${c.dir}`).toBe(true);
      }
    }
  });
  for (const c of cases) {
    it(c.id, async () => {
      const buildx = reference.get(c.id)!;
      const mbake = await runMbakeInProcess(run, c, caseEnv(c, home));
      const verdict = compare(buildx, mbake, c.spec.unstable !== undefined);
      count(c, verdict.same);
      if (!verdict.same) report.push({ id: c.id, dir: c.dir, args: c.spec.args, why: verdict.why });
      if (c.spec.differs) {
        expect(
          verdict.same,
          `${c.id} is marked as differing (${c.spec.differs}) but now matches buildx: remove "differs"`,
        ).toBe(false);
      } else {
        expect(verdict.same, `${c.id} (${c.dir}): ${verdict.why}`).toBe(true);
      }
    });
  }
});

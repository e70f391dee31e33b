import { describe, expect, it } from "vitest";
import { goSort } from "../../src/support/go-sort.js";
import { random } from "../e2e/support/bake-generate.js";

interface Item {
  readonly key: number;
  readonly id: number;
}

const byKey = (a: Item, b: Item) => a.key < b.key;

/** Inputs of every shape pdqsort treats apart: random, sorted, reversed, few keys, one key. */
function shapes(seed: number, n: number): Item[][] {
  const rnd = random(seed);
  const make = (key: (i: number) => number) =>
    Array.from({ length: n }, (_, i) => ({ key: key(i), id: i }));
  const nearly = make((i) => i);
  for (let k = 0; k < 3 && n > 1; k++) {
    const i = Math.floor(rnd() * n);
    const j = Math.floor(rnd() * n);
    [nearly[i], nearly[j]] = [nearly[j]!, nearly[i]!];
  }
  return [
    make(() => Math.floor(rnd() * n)),
    make(() => Math.floor(rnd() * 3)),
    make(() => 7),
    make((i) => i),
    make((i) => n - i),
    make((i) => Math.min(i, n - i)), // organ pipe
    make((i) => (i % 2 === 0 ? i : n - i)), // zigzag
    nearly,
  ];
}

describe("goSort (Go's pdqsort)", () => {
  it("sorts: every element kept once, keys in order, the input left as it was", () => {
    for (const n of [0, 1, 2, 12, 13, 49, 50, 51, 100, 257, 1000]) {
      for (const [s, input] of shapes(n, n).entries()) {
        const before = [...input];
        const out = goSort(input, byKey);
        expect(input).toEqual(before);
        const ids = (xs: readonly Item[]) => xs.map((x) => x.id).sort((a, b) => a - b);
        expect(ids(out)).toEqual(ids(input));
        for (let i = 1; i < out.length; i++) {
          expect(out[i]!.key, `n=${n} shape ${s} at ${i}`).toBeGreaterThanOrEqual(out[i - 1]!.key);
        }
      }
    }
  });

  it("sorts even a comparison that never says less", () => {
    const input = Array.from({ length: 40 }, (_, i) => ({ key: 0, id: i }));
    expect(goSort(input, () => false).map((x) => x.id)).toHaveLength(40);
  });

  it("keeps the input order of equal elements up to 12 of them (insertion sort)", () => {
    const input = Array.from({ length: 12 }, (_, i) => ({ key: i % 3, id: i }));
    expect(goSort(input, byKey).map((x) => x.id)).toEqual([0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]);
  });

  // Orders buildx 0.29.1 printed (`--list=type=targets,format=json`) for bake files made of
  // these blocks: buildx lists the targets, then the groups ("t:" and "g:" here), and sorts
  // them by name with slices.SortFunc. Each goes through other parts of the algorithm.
  const fromBuildx: { name: string; input: string; printed: string }[] = [
    {
      name: "24 items: an unbalanced partition, so breakPatterns' xorshift",
      input:
        "t:n12 t:n07 t:n05 t:n03 t:n15 t:n10 t:n00 t:n13 t:n04 t:n14 t:n08 t:n02 t:n01 t:n06 t:n11 t:n09 g:n01 g:n02 g:n13 g:n07 g:n09 g:n10 g:n08 g:n05",
      printed:
        "t:n00 t:n01 g:n01 t:n02 g:n02 t:n03 t:n04 g:n05 t:n05 t:n06 g:n07 t:n07 t:n08 g:n08 t:n09 g:n09 g:n10 t:n10 t:n11 t:n12 t:n13 g:n13 t:n14 t:n15",
    },
    {
      name: "50 items: Tukey's ninther for the pivot",
      input:
        "t:n00 t:n01 t:n02 t:n03 t:n21 t:n04 t:n05 t:n06 t:n07 t:n08 t:n09 t:n11 t:n12 t:n13 t:n14 t:n15 t:n16 t:n17 t:n19 t:n22 t:n23 t:n26 t:n28 t:n29 t:n30 t:n20 t:n31 t:n32 t:n33 t:n34 t:n35 t:n37 g:n04 g:n07 g:n10 g:n11 g:n15 g:n18 g:n30 g:n20 g:n03 g:n21 g:n22 g:n23 g:n24 g:n25 g:n26 g:n27 g:n34 g:n36",
      printed:
        "t:n00 t:n01 t:n02 t:n03 g:n03 t:n04 g:n04 t:n05 t:n06 t:n07 g:n07 t:n08 t:n09 g:n10 t:n11 g:n11 t:n12 t:n13 t:n14 g:n15 t:n15 t:n16 t:n17 g:n18 t:n19 g:n20 t:n20 g:n21 t:n21 t:n22 g:n22 g:n23 t:n23 g:n24 g:n25 g:n26 t:n26 g:n27 t:n28 t:n29 g:n30 t:n30 t:n31 t:n32 t:n33 t:n34 g:n34 t:n35 g:n36 t:n37",
    },
    {
      name: "50 items mostly decreasing: reversed, then partial insertion sort",
      input: `${Array.from({ length: 45 }, (_, i) => `t:n${String(44 - i).padStart(2, "0")}`).join(" ")} g:n37 g:n26 g:n25 g:n03 g:n02`,
      printed: `t:n00 t:n01 g:n02 t:n02 g:n03 t:n03 ${Array.from({ length: 21 }, (_, i) => `t:n${String(i + 4).padStart(2, "0")}`).join(" ")} g:n25 t:n25 g:n26 t:n26 ${Array.from({ length: 10 }, (_, i) => `t:n${i + 27}`).join(" ")} g:n37 t:n37 t:n38 t:n39 t:n40 t:n41 t:n42 t:n43 t:n44`,
    },
  ];
  for (const c of fromBuildx) {
    it(`leaves equal names where Go does: ${c.name}`, () => {
      const input = c.input.split(" ");
      const name = (s: string) => s.slice(2);
      const sorted = goSort(input, (a, b) => name(a) < name(b));
      expect(sorted.join(" ")).toBe(c.printed);
      // A stable sort would not: these cases are the ones where the algorithm shows.
      const stable = [...input].sort((a, b) =>
        name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0,
      );
      expect(stable.join(" ")).not.toBe(c.printed);
    });
  }
});

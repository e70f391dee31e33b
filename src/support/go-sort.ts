/**
 * Go's unstable sort (slices.SortFunc, sort.Slice): pattern-defeating quicksort as the Go
 * standard library has done it since Go 1.19. Equal elements end up in an order that depends
 * on the algorithm's every step, so where mbake must print what a Go program prints after
 * such a sort, only the same steps give the same order. Written from the description of the
 * algorithm in Go's sources (slices/zsortanyfunc.go, slices/sort.go), step for step, and
 * checked against buildx's `--list` output.
 */

/** `less(a, b)`: a sorts strictly before b (Go's `cmp(a, b) < 0`). */
export type Less<T> = (a: T, b: T) => boolean;

/** A sorted copy of `items`, in the order Go's slices.SortFunc / sort.Slice leaves them. */
export function goSort<T>(items: readonly T[], less: Less<T>): T[] {
  const data = [...items];
  new GoSorter(data, less).pdqsort(0, data.length, bitLength(data.length));
  return data;
}

/** Go's bits.Len for a non-negative integer below 2^32: the bits needed to write it. */
function bitLength(n: number): number {
  return 32 - Math.clz32(n);
}

type Hint = "unknown" | "increasing" | "decreasing";

const maxInsertion = 12;
const shortestNinther = 50;
const maxSwaps = 4 * 3;
/** partialInsertionSort: how many out-of-order pairs it fixes, and below what length none. */
const maxSteps = 5;
const shortestShifting = 50;
const mask64 = (1n << 64n) - 1n;

class GoSorter<T> {
  constructor(
    private readonly data: T[],
    private readonly lessFn: Less<T>,
  ) {}

  private less(i: number, j: number): boolean {
    return this.lessFn(this.data[i]!, this.data[j]!);
  }

  private swap(i: number, j: number): void {
    const d = this.data;
    const t = d[i]!;
    d[i] = d[j]!;
    d[j] = t;
  }

  /** Sorts data[a:b]; `limit` bad pivots are allowed before falling back to heapsort. */
  pdqsort(a: number, b: number, limit: number): void {
    let wasBalanced = true;
    let wasPartitioned = true;
    for (;;) {
      const length = b - a;
      if (length <= maxInsertion) {
        this.insertionSort(a, b);
        return;
      }
      if (limit === 0) {
        this.heapSort(a, b);
        return;
      }
      if (!wasBalanced) {
        this.breakPatterns(a, b);
        limit--;
      }
      let [pivot, hint] = this.choosePivot(a, b);
      if (hint === "decreasing") {
        this.reverseRange(a, b);
        pivot = b - 1 - (pivot - a);
        hint = "increasing";
      }
      if (wasBalanced && wasPartitioned && hint === "increasing") {
        if (this.partialInsertionSort(a, b)) return;
      }
      // Many elements equal to the pivot: put them first and go on with the greater ones.
      if (a > 0 && !this.less(a - 1, pivot)) {
        a = this.partitionEqual(a, b, pivot);
        continue;
      }
      const [mid, alreadyPartitioned] = this.partition(a, b, pivot);
      wasPartitioned = alreadyPartitioned;
      const leftLen = mid - a;
      const rightLen = b - mid;
      const balanceThreshold = Math.trunc(length / 8);
      if (leftLen < rightLen) {
        wasBalanced = leftLen >= balanceThreshold;
        this.pdqsort(a, mid, limit);
        a = mid + 1;
      } else {
        wasBalanced = rightLen >= balanceThreshold;
        this.pdqsort(mid + 1, b, limit);
        b = mid;
      }
    }
  }

  private insertionSort(a: number, b: number): void {
    for (let i = a + 1; i < b; i++) {
      for (let j = i; j > a && this.less(j, j - 1); j--) this.swap(j, j - 1);
    }
  }

  /** Restores the max-heap property of data[first+lo : first+hi] from `lo` down. */
  private siftDown(lo: number, hi: number, first: number): void {
    let root = lo;
    for (;;) {
      let child = 2 * root + 1;
      if (child >= hi) return;
      if (child + 1 < hi && this.less(first + child, first + child + 1)) child++;
      if (!this.less(first + root, first + child)) return;
      this.swap(first + root, first + child);
      root = child;
    }
  }

  private heapSort(a: number, b: number): void {
    const first = a;
    const hi = b - a;
    for (let i = Math.trunc((hi - 1) / 2); i >= 0; i--) this.siftDown(i, hi, first);
    for (let i = hi - 1; i >= 0; i--) {
      this.swap(first, first + i);
      this.siftDown(0, i, first);
    }
  }

  /**
   * One quicksort partition around data[pivot]: smaller elements before it, the others
   * after. Returns the pivot's new index and whether nothing had to move.
   */
  private partition(a: number, b: number, pivot: number): [number, boolean] {
    this.swap(a, pivot);
    let i = a + 1;
    let j = b - 1;
    while (i <= j && this.less(i, a)) i++;
    while (i <= j && !this.less(j, a)) j--;
    if (i > j) {
      this.swap(j, a);
      return [j, true];
    }
    this.swap(i, j);
    i++;
    j--;
    for (;;) {
      while (i <= j && this.less(i, a)) i++;
      while (i <= j && !this.less(j, a)) j--;
      if (i > j) break;
      this.swap(i, j);
      i++;
      j--;
    }
    this.swap(j, a);
    return [j, false];
  }

  /** Puts the elements equal to data[pivot] (none is smaller) first; returns where they end. */
  private partitionEqual(a: number, b: number, pivot: number): number {
    this.swap(a, pivot);
    let i = a + 1;
    let j = b - 1;
    for (;;) {
      while (i <= j && !this.less(a, i)) i++;
      while (i <= j && this.less(a, j)) j--;
      if (i > j) return i;
      this.swap(i, j);
      i++;
      j--;
    }
  }

  /** Fixes a few out-of-order neighbours; true when data[a:b] ends up sorted. */
  private partialInsertionSort(a: number, b: number): boolean {
    let i = a + 1;
    for (let step = 0; step < maxSteps; step++) {
      while (i < b && !this.less(i, i - 1)) i++;
      if (i === b) return true;
      if (b - a < shortestShifting) return false;
      this.swap(i, i - 1);
      // The smaller one moves left. (Go's loop runs down to index 1, not to `a`.)
      if (i - a >= 2) {
        for (let j = i - 1; j >= 1 && this.less(j, j - 1); j--) this.swap(j, j - 1);
      }
      // The greater one moves right.
      if (b - i >= 2) {
        for (let j = i + 1; j < b && this.less(j, j - 1); j++) this.swap(j, j - 1);
      }
    }
    return false;
  }

  /**
   * Swaps three elements near the middle with pseudo-random ones: a 64-bit xorshift seeded
   * with the length, shifts 13, 7, 17 (Go's since golang/go#70144; before, 13, 17, 5).
   */
  private breakPatterns(a: number, b: number): void {
    const length = b - a;
    if (length < 8) return;
    let random = BigInt(length);
    const modulus = BigInt(2 ** bitLength(length));
    const middle = a + Math.trunc(length / 4) * 2;
    for (let idx = middle - 1; idx <= middle + 1; idx++) {
      random ^= (random << 13n) & mask64;
      random ^= random >> 7n;
      random ^= (random << 17n) & mask64;
      let other = Number(random & (modulus - 1n));
      if (other >= length) other -= length;
      this.swap(idx, a + other);
    }
  }

  /**
   * The pivot: a fixed element below 8, the median of three below 50, else Tukey's ninther;
   * the hint says whether the samples looked increasing or decreasing.
   */
  private choosePivot(a: number, b: number): [number, Hint] {
    const l = b - a;
    const quarter = Math.trunc(l / 4);
    const swaps = { n: 0 };
    let i = a + quarter;
    let j = a + quarter * 2;
    let k = a + quarter * 3;
    if (l >= 8) {
      if (l >= shortestNinther) {
        i = this.median(i - 1, i, i + 1, swaps);
        j = this.median(j - 1, j, j + 1, swaps);
        k = this.median(k - 1, k, k + 1, swaps);
      }
      j = this.median(i, j, k, swaps);
    }
    if (swaps.n === 0) return [j, "increasing"];
    if (swaps.n === maxSwaps) return [j, "decreasing"];
    return [j, "unknown"];
  }

  /** The index of the median of data[a], data[b], data[c], counting the swaps it took. */
  private median(a: number, b: number, c: number, swaps: { n: number }): number {
    const order = (x: number, y: number): [number, number] => {
      if (this.less(y, x)) {
        swaps.n++;
        return [y, x];
      }
      return [x, y];
    };
    [a, b] = order(a, b);
    [b, c] = order(b, c);
    [a, b] = order(a, b);
    return b;
  }

  private reverseRange(a: number, b: number): void {
    for (let i = a, j = b - 1; i < j; i++, j--) this.swap(i, j);
  }
}

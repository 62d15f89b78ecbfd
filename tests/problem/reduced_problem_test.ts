import {
  localReduction,
  ReducedProblem,
  type Reduction,
  type TileStore,
} from "../../src/problem/mod.ts";
import { assertEquals } from "../assert.ts";
import { randomF32, testRandom } from "../kernels/random.ts";

/**
 * A tile beside one other whose values are `other`: sums add them in tile order (this tile
 * first), the largest is taken over both; the calls are recorded.
 */
function besideOne(other: number[], otherPeak: number): Reduction<Float32Array> & {
  calls: string[];
} {
  const calls: string[] = [];
  return {
    calls,
    sum: (value) => Promise.resolve(value + other[0]),
    sums: (values) => {
      calls.push(`sums ${values.length}`);
      return Promise.resolve(values.map((v, i) => v + other[i]));
    },
    max: (value) => {
      calls.push("max");
      return Promise.resolve(Math.max(value, otherPeak));
    },
    exchangeObject: () => Promise.resolve(),
    sumProbe: () => Promise.resolve(),
    ownedRegion: { y0: 0, x0: 0, height: 1, width: 1 },
  };
}

/** A store of host vectors whose small vectors the layer reads and writes (nothing else used). */
function hostValues(): TileStore<Float32Array> {
  const store: Pick<TileStore<Float32Array>, "readValues" | "writeValues"> = {
    readValues: (v, count) => Promise.resolve(v.slice(0, count)),
    writeValues: (v, values) => v.set(values),
  };
  return store as TileStore<Float32Array>;
}

function layer(reduction: Reduction<Float32Array>): ReducedProblem<Float32Array> {
  return new ReducedProblem({ store: hostValues(), reduction, countProbe: true, eps: 1e-2 });
}

Deno.test("ReducedProblem.sumValues() replaces a stored vector's first values by their sums over tiles, in one all-reduce", async () => {
  const other = Array.from({ length: 5 }, () => testRandom());
  const reduction = besideOne(other, 0);
  const stored = randomF32(7);
  const expected = Float32Array.from(stored);
  for (let i = 0; i < 5; i++) expected[i] = Math.fround(stored[i] + other[i]);
  await layer(reduction).sumValues(stored, 5);
  assertEquals(Array.from(stored), Array.from(expected));
  assertEquals(reduction.calls, ["sums 5"]);
});

Deno.test("ReducedProblem.sumValues() and peakValue() leave one tile alone's values as they are", async () => {
  const alone = new ReducedProblem<Float32Array>({
    store: hostValues(),
    reduction: localReduction([1, 1]) as unknown as Reduction<Float32Array>,
    countProbe: true,
    eps: 1e-2,
  });
  const stored = randomF32(6);
  const before = Array.from(stored);
  await alone.sumValues(stored, 5);
  await alone.peakValue(stored);
  assertEquals(Array.from(stored), before);
});

Deno.test("ReducedProblem.peakValue() makes a stored floor the largest over tiles, as a complex (f, 0)", async () => {
  const floor = Float32Array.of(testRandom() + 1, testRandom());
  const otherPeak = Math.fround(floor[0] + testRandom() + 0.5);
  const reduction = besideOne([], otherPeak);
  await layer(reduction).peakValue(floor);
  assertEquals(Array.from(floor), [otherPeak, 0]);
  const kept = Float32Array.of(otherPeak + 1, testRandom());
  await layer(besideOne([], otherPeak)).peakValue(kept);
  assertEquals(Array.from(kept), [Math.fround(otherPeak + 1), 0]);
});

Deno.test("ReducedProblem.sumShare() sums cost and R-factor numerator over tiles, the denominator at the first share only", async () => {
  const other = [testRandom(), testRandom(), testRandom() + 1];
  const reduction = besideOne(other, 0);
  const problem = layer(reduction);
  const first = { cost: testRandom(), numerator: testRandom(), denominator: testRandom() + 1 };
  const total = first.denominator + other[2];
  assertEquals(await problem.sumShare(first), {
    cost: first.cost + other[0],
    rFactor: (first.numerator + other[1]) / total,
  });
  assertEquals(problem.residual, first);
  const second = { cost: testRandom(), numerator: testRandom(), denominator: testRandom() + 1 };
  const result = await problem.sumShare(second);
  assertEquals(result.rFactor, (second.numerator + other[1]) / total);
  assertEquals(problem.rFactor, result.rFactor);
  assertEquals(reduction.calls, ["sums 3", "sums 2"]);
});

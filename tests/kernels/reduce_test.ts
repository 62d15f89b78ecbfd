import { assert, assertEquals, assertLessOrEqual } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { Reductions } from "../../src/kernels/mod.ts";
import { maxRelative, nans, randomF32 } from "./random.ts";

async function withReductions(
  fn: (gpu: Awaited<ReturnType<typeof requestGpu>>, red: Reductions) => Promise<void>,
) {
  const gpu = await requestGpu({ label: "reduction test" });
  try {
    await fn(gpu, await Reductions.create(gpu));
  } finally {
    gpu.destroy();
  }
}

Deno.test("dot() over a strided region of slices matches a float64 sum of conj(a) b", async () => {
  await withReductions(async (gpu, red) => {
    const slices = 3, h = 70, w = 90;
    const region = {
      base: 2 * w + 5,
      slices,
      height: 50,
      width: 61,
      rowStride: w,
      sliceStride: h * w,
    };
    const a = randomF32(2 * slices * h * w);
    const b = randomF32(2 * slices * h * w);
    let re = 0, im = 0;
    for (let s = 0; s < slices; s++) {
      for (let y = 0; y < region.height; y++) {
        for (let x = 0; x < region.width; x++) {
          const i = 2 * (region.base + s * h * w + y * w + x);
          re += a[i] * b[i] + a[i + 1] * b[i + 1];
          im += a[i] * b[i + 1] - a[i + 1] * b[i];
        }
      }
    }
    const got = await red.dot([{ a: gpu.upload(a, "a"), b: gpu.upload(b, "b"), region }]);
    const scale = Math.sqrt(slices * region.height * region.width);
    assertLessOrEqual(Math.abs(got.re - re) / scale, 1e-5);
    assertLessOrEqual(Math.abs(got.im - im) / scale, 1e-5);
  });
});

Deno.test("dot(), norm2() and sum() give identical bits on repeated runs", async () => {
  await withReductions(async (gpu, red) => {
    const n = 300001;
    const a = gpu.upload(randomF32(2 * n), "a");
    const b = gpu.upload(randomF32(2 * n), "b");
    const region = { height: 1, width: n };
    const first = await red.dot([{ a, b, region }, { a: b, b, region }]);
    const norm = await red.norm2(a, region);
    const sum = await red.sum(a, { height: 1, width: 2 * n });
    for (let run = 0; run < 3; run++) {
      assertEquals(await red.dot([{ a, b, region }, { a: b, b, region }]), first);
      assertEquals(await red.norm2(a, region), norm);
      assertEquals(await red.sum(a, { height: 1, width: 2 * n }), sum);
    }
  });
});

Deno.test("sum() and norm2() match float64 references", async () => {
  await withReductions(async (gpu, red) => {
    const n = 100003;
    const x = randomF32(n);
    const want = x.reduce((s, v) => s + v, 0);
    assertLessOrEqual(
      Math.abs(await red.sum(gpu.upload(x, "x"), { height: 1, width: n }) - want),
      1e-3,
    );
    const norm = x.reduce((s, v) => s + v * v, 0);
    const got = await red.norm2(gpu.upload(x, "x"), { height: 1, width: n / 2 - 0.5 });
    const wantHalf = norm - x[n - 1] ** 2;
    assertLessOrEqual(Math.abs(got - wantHalf) / wantHalf, 1e-6);
  });
});

Deno.test("sumBatches() adds B arrays in order, overwriting or accumulating", async () => {
  await withReductions(async (gpu, red) => {
    const length = 4096 + 3, batch = 5;
    const src = randomF32(2 * length * batch);
    const start = randomF32(2 * length);
    const bsrc = gpu.upload(src, "src");
    for (const accumulate of [false, true]) {
      const dst = gpu.upload(accumulate ? start : nans(2 * length), "dst");
      red.sumBatches(bsrc, dst, { length, batch, accumulate });
      const want = new Float64Array(2 * length);
      for (let i = 0; i < 2 * length; i++) {
        want[i] = accumulate ? start[i] : 0;
        for (let b = 0; b < batch; b++) want[i] += src[b * 2 * length + i];
      }
      assertLessOrEqual(
        maxRelative(await gpu.readF32(dst), want),
        1e-6,
        `accumulate = ${accumulate}`,
      );
    }
  });
});

Deno.test("maxReal() finds the largest real part in a strided region", async () => {
  await withReductions(async (gpu, red) => {
    const h = 40, w = 50;
    const a = randomF32(2 * h * w);
    const region = { base: 3 * w + 2, height: 30, width: 41, rowStride: w };
    let want = -Infinity;
    for (let y = 0; y < region.height; y++) {
      for (let x = 0; x < region.width; x++) {
        want = Math.max(want, a[2 * (region.base + y * w + x)]);
      }
    }
    assertEquals(await red.maxReal(gpu.upload(a, "a"), region), want);
  });
});

Deno.test("sumRuns() adds consecutive runs of pairs in order, the last one ragged", async () => {
  await withReductions(async (gpu, red) => {
    const count = 256 * 300 + 77, run = 256;
    const x = randomF32(2 * count);
    const n = Math.ceil(count / run);
    const partials = gpu.upload(nans(2 * (n + 3)), "partials");
    red.sumRuns(gpu.upload(x, "x"), partials, { count, run, first: 3 });
    const got = await gpu.readF32(partials);
    for (let u = 0; u < n; u++) {
      for (const c of [0, 1]) {
        let want = 0;
        for (let i = u * run; i < Math.min(count, (u + 1) * run); i++) want += x[2 * i + c];
        assertLessOrEqual(Math.abs(got[2 * (3 + u) + c] - want), 1e-4);
      }
    }
  });
});

Deno.test("scaledMaxReal() leaves scale x the largest real part on the device", async () => {
  await withReductions(async (gpu, red) => {
    const n = 5000;
    const a = randomF32(2 * n);
    let peak = -Infinity;
    for (let i = 0; i < n; i++) peak = Math.max(peak, a[2 * i]);
    const out = gpu.upload(nans(2), "out");
    red.scaledMaxReal(gpu.upload(a, "a"), { height: 1, width: n }, out, 0.25);
    const got = await gpu.readF32(out);
    assertEquals(got[0], Math.fround(0.25 * Math.fround(peak)));
    assertEquals(got[1], 0);
  });
});

Deno.test("dots() gives each group the bits of its own dot() from one readback", async () => {
  await withReductions(async (gpu, red) => {
    const n = 70001;
    const [a, b, c] = [0, 1, 2].map((i) => gpu.upload(randomF32(2 * n), `v${i}`));
    const whole = { height: 1, width: n };
    const part = { base: 17, height: 3, width: 4000, rowStride: 9000 };
    const groups = [
      [{ a, b, region: whole }],
      [{ a: b, b: c, region: part }, { a: c, b: c, region: whole }],
      [{ a: c, b: a, region: part }],
    ];
    const separate = [];
    for (const g of groups) separate.push(await red.dot(g));
    assertEquals(await red.dots(groups), separate);
    // The groups differ, so a mix-up of partials between them would show.
    assert(separate[0].re !== separate[1].re && separate[1].re !== separate[2].re);
  });
});

/**
 * Poisons every slot and partial of `red` for the next call: a sum over `n` NaN elements (large
 * enough to cover what the next call uses), or for a maximum, whose NaN handling WGSL leaves open,
 * a maximum over `n` values above any test input. A slot or partial the next call forgets to
 * write then shows.
 */
async function poison(
  gpu: Awaited<ReturnType<typeof requestGpu>>,
  red: Reductions,
  n: number,
  kind: "sum" | "max" = "sum",
) {
  const bad = gpu.upload(
    kind === "sum" ? nans(2 * n) : new Float32Array(2 * n).fill(3e38),
    "poison",
  );
  const region = { height: 1, width: n };
  if (kind === "sum") assert(Number.isNaN(await red.norm2(bad, region)));
  else assertEquals(await red.maxReal(bad, region), Math.fround(3e38));
  gpu.release(bad);
}

Deno.test("dot(), sum() and maxReal() match float64 references on odd sizes over poisoned slots", async () => {
  await withReductions(async (gpu, red) => {
    // One element, a chunk short of full, one past it, and several chunks with a ragged end.
    for (const n of [1, 255, 2047, 2049, 5 * 2048 + 77]) {
      await poison(gpu, red, 6 * 2048);
      const a = randomF32(2 * n);
      const b = randomF32(2 * n);
      let re = 0, im = 0, total = 0, peak = -Infinity;
      for (let i = 0; i < n; i++) {
        re += a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1];
        im += a[2 * i] * b[2 * i + 1] - a[2 * i + 1] * b[2 * i];
        total += a[2 * i] + a[2 * i + 1];
        peak = Math.max(peak, a[2 * i]);
      }
      const [ga, gb] = [gpu.upload(a, "a"), gpu.upload(b, "b")];
      const region = { height: 1, width: n };
      const got = await red.dot([{ a: ga, b: gb, region }]);
      const scale = Math.sqrt(n);
      assertLessOrEqual(Math.abs(got.re - re) / scale, 1e-6, `dot re, n = ${n}`);
      assertLessOrEqual(Math.abs(got.im - im) / scale, 1e-6, `dot im, n = ${n}`);
      await poison(gpu, red, 6 * 2048);
      const sum = await red.sum(ga, { height: 1, width: 2 * n });
      assertLessOrEqual(Math.abs(sum - total) / scale, 1e-6, `sum, n = ${n}`);
      await poison(gpu, red, 6 * 2048, "max");
      assertEquals(await red.maxReal(ga, region), peak, `max, n = ${n}`);
      gpu.release(ga, gb);
    }
  });
});

Deno.test("scaledMaxReal() over more chunks than one fold workgroup takes, slots poisoned", async () => {
  await withReductions(async (gpu, red) => {
    // 300 chunks: the fold of the chunks' lanes spans two workgroups. The peak is put in the
    // first element, in the last lane of a middle chunk and in the ragged last element in turn.
    const n = 300 * 2048 - 11;
    const a = randomF32(2 * n);
    for (const at of [0, 150 * 2048 + 2047, n - 1]) {
      await poison(gpu, red, n, "max");
      const x = Float32Array.from(a);
      x[2 * at] = 1.5;
      const out = gpu.upload(nans(2), "out");
      const input = gpu.upload(x, "a");
      red.scaledMaxReal(input, { height: 1, width: n }, out, 0.5);
      const got = await gpu.readF32(out);
      assertEquals(got[0], 0.75, `peak at ${at}`);
      assertEquals(got[1], 0);
      gpu.release(out, input);
    }
  });
});

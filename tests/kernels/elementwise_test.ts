import { assertLessOrEqual } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { Elementwise } from "../../src/kernels/mod.ts";
import { maxRelative, nans, randomF32 } from "./random.ts";

const COUNT = 3 * 4096 + 17; // complex elements: several workgroups and a ragged tail

async function withKernels(
  fn: (gpu: Awaited<ReturnType<typeof requestGpu>>, ew: Elementwise) => Promise<void>,
) {
  const gpu = await requestGpu({ label: "elementwise test" });
  try {
    await fn(gpu, await Elementwise.create(gpu));
  } finally {
    gpu.destroy();
  }
}

Deno.test("axpy() matches float64 x + a y whether dst is x, y or a third buffer", async () => {
  await withKernels(async (gpu, ew) => {
    const n = 2 * COUNT;
    for (const alias of ["x", "y", "none"] as const) {
      const x = randomF32(n);
      const y = randomF32(n);
      const a = -0.7;
      const bx = gpu.upload(x, "x");
      const by = gpu.upload(y, "y");
      const dst = alias === "x" ? bx : alias === "y" ? by : gpu.upload(nans(n), "dst");
      ew.axpy(dst, bx, a, by, n);
      const got = await gpu.readF32(dst);
      const want = Array.from(x, (v, i) => v + a * y[i]);
      assertLessOrEqual(maxRelative(got, want), 1e-6, `dst = ${alias}`);
    }
  });
});

Deno.test("scale() and axpby() match float64 references", async () => {
  await withKernels(async (gpu, ew) => {
    const n = 2 * COUNT;
    const x = randomF32(n);
    const y = randomF32(n);
    const bx = gpu.upload(x, "x");
    const out = gpu.upload(nans(n), "out");
    ew.scale(out, 1.5, bx, n);
    assertLessOrEqual(maxRelative(await gpu.readF32(out), Array.from(x, (v) => 1.5 * v)), 1e-7);
    const by = gpu.upload(y, "y");
    ew.axpby(bx, by, 0.25, -2, n);
    const want = Array.from(x, (v, i) => 0.25 * v - 2 * y[i]);
    assertLessOrEqual(maxRelative(await gpu.readF32(by), want), 1e-6);
  });
});

Deno.test("mul() computes a b and conj(a) b of complex buffers like float64", async () => {
  await withKernels(async (gpu, ew) => {
    const a = randomF32(2 * COUNT);
    const b = randomF32(2 * COUNT);
    const ba = gpu.upload(a, "a");
    const bb = gpu.upload(b, "b");
    for (const conjA of [false, true]) {
      const out = gpu.upload(nans(2 * COUNT), "out");
      ew.mul(ba, bb, out, { count: COUNT, conjA });
      const want = new Float64Array(2 * COUNT);
      for (let i = 0; i < COUNT; i++) {
        const ar = a[2 * i], ai = conjA ? -a[2 * i + 1] : a[2 * i + 1];
        want[2 * i] = ar * b[2 * i] - ai * b[2 * i + 1];
        want[2 * i + 1] = ar * b[2 * i + 1] + ai * b[2 * i];
      }
      assertLessOrEqual(maxRelative(await gpu.readF32(out), want), 1e-6, `conjA = ${conjA}`);
    }
  });
});

Deno.test("abs2() gives |a|^2 of every complex element", async () => {
  await withKernels(async (gpu, ew) => {
    const a = randomF32(2 * COUNT);
    const out = gpu.upload(nans(COUNT), "out");
    ew.abs2(gpu.upload(a, "a"), out, COUNT);
    const want = Array.from({ length: COUNT }, (_, i) => a[2 * i] ** 2 + a[2 * i + 1] ** 2);
    assertLessOrEqual(maxRelative(await gpu.readF32(out), want), 1e-6);
  });
});

Deno.test("mulBroadcast() multiplies every frame of a batch by one kernel or its conjugate", async () => {
  await withKernels(async (gpu, ew) => {
    const length = 64 * 64, batch = 3;
    const k = randomF32(2 * length);
    const bk = gpu.upload(k, "k");
    for (const conj of [false, true]) {
      const y = randomF32(2 * length * batch);
      const by = gpu.upload(y, "y");
      ew.mulBroadcast(bk, by, { count: length * batch, length, conj });
      const want = new Float64Array(y.length);
      for (let i = 0; i < length * batch; i++) {
        const kr = k[2 * (i % length)], ki = (conj ? -1 : 1) * k[2 * (i % length) + 1];
        want[2 * i] = kr * y[2 * i] - ki * y[2 * i + 1];
        want[2 * i + 1] = kr * y[2 * i + 1] + ki * y[2 * i];
      }
      assertLessOrEqual(maxRelative(await gpu.readF32(by), want), 1e-6, `conj = ${conj}`);
    }
  });
});

Deno.test("divideBroadcast() divides every frame by Re d + Re c[0] read on the device", async () => {
  await withKernels(async (gpu, ew) => {
    // One frame (y and d of one length, the object's case) and three (a broadcast d).
    for (const batch of [1, 3]) {
      const length = 32 * 32 + 5, c = 0.25;
      const d = randomF32(2 * length).map((v) => Math.abs(v));
      const y = randomF32(2 * length * batch);
      const by = gpu.upload(y, "y");
      const floor = gpu.upload(new Float32Array([c, 123]), "floor");
      ew.divideBroadcast(gpu.upload(d, "d"), by, { count: length * batch, length, c: floor });
      const want = Array.from(y, (v, i) => v / (d[2 * (Math.floor(i / 2) % length)] + c));
      assertLessOrEqual(maxRelative(await gpu.readF32(by), want), 1e-6, `batch ${batch}`);
    }
  });
});

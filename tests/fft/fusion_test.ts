import { assert, assertLessOrEqual } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { Fft2, fft2Reference, fftshift2 } from "../../src/fft/mod.ts";
import { maxRelative, nans, randomF32 } from "../kernels/random.ts";

/** A fusion that weights the input per pixel, doubles the output and sums its real parts. */
const CODE = `
@group(0) @binding(4) var<storage, read> weight: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> sums: array<f32>;
var<private> total: f32 = 0.0;

fn fused_load(f: u32, index: u32) -> vec2<f32> {
  return cmul(src[f * p.frame + index], weight[index]);
}

fn fused_store(f: u32, index: u32, value: vec2<f32>) {
  dst[f * p.frame + index] = 2.0 * value;
  total += value.x;
}

fn fused_finish(invocation: u32) {
  sums[invocation] = total;
}
`;

// 512 splits each axis into two passes: the storing pass is then a twiddled one.
for (const n of [32, 512]) {
  Deno.test(`Fft2.fuse() loads through fused_load and stores through fused_store (${n} x ${n}, shifted)`, async () => {
    const gpu = await requestGpu({ label: "fft fusion test" });
    try {
      const batch = 2;
      const fft = await Fft2.create(gpu, n, { design: "unrolled" });
      const passes = await fft.fuse({ name: "test", code: CODE, load: true, store: true });
      assert(passes !== null);
      const x = randomF32(2 * batch * n * n);
      const weight = randomF32(2 * n * n);
      const invocations = batch * passes.storeInvocationsPerFrame;
      const dst = gpu.upload(nans(2 * batch * n * n), "dst");
      const sums = gpu.upload(nans(invocations), "sums");
      fft.forward(gpu.upload(x, "src"), dst, batch, {
        shiftOutput: true,
        fusion: {
          passes,
          load: [gpu.upload(weight, "weight")],
          store: [null, sums],
        },
      });
      const re = new Float64Array(batch * n * n);
      const im = new Float64Array(batch * n * n);
      for (let i = 0; i < re.length; i++) {
        const [a, b] = [x[2 * i], x[2 * i + 1]];
        const [c, d] = [weight[2 * (i % (n * n))], weight[2 * (i % (n * n)) + 1]];
        [re[i], im[i]] = [a * c - b * d, a * d + b * c];
      }
      fft2Reference(re, im, n, batch, false);
      fftshift2(re, im, n, batch);
      const want = new Float64Array(2 * re.length);
      for (let i = 0; i < re.length; i++) [want[2 * i], want[2 * i + 1]] = [2 * re[i], 2 * im[i]];
      assertLessOrEqual(maxRelative(await gpu.readF32(dst), want), 1e-5);
      const got = (await gpu.readF32(sums)).reduce((s, v) => s + v, 0);
      const total = re.reduce((s, v) => s + v, 0);
      const scale = Math.sqrt(re.length) * re.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
      assertLessOrEqual(Math.abs(got - total) / scale, 1e-5);
      fft.destroy();
    } finally {
      gpu.destroy();
    }
  });
}

Deno.test("Fft2.fuse() is null for the workgroup design, whose callers keep their kernels", async () => {
  const gpu = await requestGpu({ label: "fft fusion test" });
  try {
    const fft = await Fft2.create(gpu, 32, { design: "workgroup" });
    assert((await fft.fuse({ name: "test", code: CODE, load: true, store: true })) === null);
    fft.destroy();
  } finally {
    gpu.destroy();
  }
});

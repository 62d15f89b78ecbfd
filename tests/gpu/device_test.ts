import { assert, assertEquals, assertRejects } from "../assert.ts";
import {
  GpuUnavailableError,
  GpuValidationError,
  grid,
  requestGpu,
  ShaderError,
} from "../../src/gpu/mod.ts";
import { testRandom } from "../kernels/random.ts";

Deno.test("requestGpu() throws GpuUnavailableError naming what to install when no adapter exists", async () => {
  const none = { requestAdapter: () => Promise.resolve(null) };
  const error = await assertRejects(() => requestGpu({ gpu: none }), GpuUnavailableError);
  assert(error.message.includes("mesa-vulkan-drivers"), error.message);
  assert(error.message.includes("backend tried"), error.message);
});

Deno.test("a WGSL compilation error names the file and line", async () => {
  const gpu = await requestGpu({ label: "test" });
  try {
    const code = "@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = 1u;\n}\n";
    const error = await assertRejects(
      () => gpu.pipeline({ file: "wgsl/broken.wgsl", code }),
      ShaderError,
    );
    assert(error.message.includes("wgsl/broken.wgsl:3:"), error.message);
  } finally {
    gpu.destroy();
  }
});

Deno.test("dispatches beyond 65535 workgroups are folded into two dimensions and all run", async () => {
  const gpu = await requestGpu({ label: "test" });
  try {
    const code = `
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (i < arrayLength(&a)) { a[i] = a[i] * 2.0 + 1.0; }
}`;
    const pipeline = await gpu.pipeline({ file: "test:double", code });
    const n = 64 * 70001;
    const x = new Float32Array(n).map(() => testRandom());
    const buffer = gpu.upload(x, "x");
    gpu.dispatch(pipeline, [buffer], n / 64);
    const y = await gpu.readF32(buffer);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (y[i] !== Math.fround(Math.fround(x[i] * 2) + 1)) wrong++;
    assertEquals(wrong, 0);
    assertEquals(grid(70001)[0] * grid(70001)[1] >= 70001, true);
  } finally {
    gpu.destroy();
  }
});

Deno.test("a dispatch the device rejects is reported at the next read or finish(), not ignored", async () => {
  const gpu = await requestGpu({ label: "test" });
  try {
    const code = `@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@compute @workgroup_size(1) fn main() { a[0] = 1.0; }`;
    const pipeline = await gpu.pipeline({ file: "test:one", code });
    const buffer = gpu.buffer(16, "x");
    gpu.dispatch(pipeline, [buffer], [70000, 1, 1]);
    await assertRejects(() => gpu.read(buffer), GpuValidationError);
    gpu.dispatch(pipeline, [buffer], [70000, 1, 1]);
    await assertRejects(() => gpu.finish(), GpuValidationError);
    // finish() goes on working after an error, and returns once the work is done.
    gpu.dispatch(pipeline, [buffer], 1);
    await gpu.finish();
    assertEquals(new Float32Array(await gpu.read(buffer))[0], 1);
  } finally {
    gpu.destroy();
  }
});

Deno.test("the allocator counts live and peak device bytes", async () => {
  const gpu = await requestGpu({ label: "test" });
  try {
    const base = gpu.memory.live;
    const a = gpu.buffer(1000, "a");
    const b = gpu.buffer(4096, "b");
    assertEquals(gpu.memory.live - base, 1000 + 4096);
    gpu.release(a);
    assertEquals(gpu.memory.live - base, 4096);
    assert(gpu.memory.peak - base >= 5096);
    gpu.memory.resetPeak();
    assertEquals(gpu.memory.peak, gpu.memory.live);
    gpu.release(b);
    gpu.release(b);
    assertEquals(gpu.memory.live, base);
  } finally {
    gpu.destroy();
  }
});

import { DeviceMemory } from "./allocator.ts";
import { DeviceLostError, GpuUnavailableError, GpuValidationError } from "./errors.ts";
import { PipelineCache, type ShaderSource } from "./pipelines.ts";

/** What a report says about the adapter a run used. */
export interface AdapterSummary {
  description: string;
  vendor: string;
  architecture: string;
  backend: string;
  fallback: boolean;
}

/** Options of {@link requestGpu}. */
export interface RequestGpuOptions {
  /** Label of the device, shown in driver messages (for example `worker 3`). */
  label?: string;
  /** The WebGPU entry point; tests pass a stand-in to simulate a machine without an adapter. */
  gpu?: Pick<GPU, "requestAdapter">;
  powerPreference?: GPUPowerPreference;
}

/**
 * Read-backs of at most this many bytes go through kept staging buffers and are read as soon as
 * the device has done the work (see `Gpu.read`).
 */
export const QUICK_READ_BYTES = 65536;

/** The allocator's label of the staging buffers a device keeps for small read-backs. */
export const KEPT_READBACK = "kept readback";

/** Workgroups per dimension that every WebGPU device accepts. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** A value bound to a shader binding: a whole buffer or a range of one. */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/**
 * One WebGPU device with Tessera's allocator, pipeline cache and command batching.
 *
 * Dispatches are recorded into one command encoder and submitted together on {@link flush} (or
 * implicitly before a read), so a sequence of kernels costs one submission. A validation error
 * raised by any of them is reported by the next {@link flush}, {@link read} or {@link check}
 * instead of vanishing (a dispatch over the workgroup limit otherwise does nothing, silently).
 *
 * @example
 * ```ts
 * const gpu = await requestGpu({ label: "example" });
 * const buf = gpu.upload(new Float32Array([1, 2, 3, 4]), "x");
 * const back = new Float32Array(await gpu.read(buf));
 * gpu.destroy();
 * ```
 */
export class Gpu {
  readonly memory: DeviceMemory;
  readonly pipelines: PipelineCache;
  readonly timestamps: boolean;
  #encoder: GPUCommandEncoder | null = null;
  #params = new Map<string, GPUBuffer>();
  /** Staging buffers of small read-backs not in use, by size (each mapped once already). */
  #staging = new Map<number, GPUBuffer[]>();
  /** The source of {@link finish}'s read (kept, as the staging buffers are). */
  #marker: GPUBuffer | null = null;
  #lost: GPUDeviceLostInfo | null = null;
  #uncaptured: GPUError | null = null;
  #destroyed = false;

  constructor(
    readonly adapter: GPUAdapter,
    readonly device: GPUDevice,
    readonly info: AdapterSummary,
  ) {
    this.memory = new DeviceMemory(device);
    this.pipelines = new PipelineCache(device);
    this.timestamps = device.features.has("timestamp-query");
    device.lost.then((info) => {
      if (!this.#destroyed) this.#lost = info;
    });
    device.addEventListener("uncapturederror", (event) => {
      this.#uncaptured ??= (event as GPUUncapturedErrorEvent).error;
    });
  }

  /** Creates a storage buffer (also copy source and destination) counted by the allocator. */
  buffer(bytes: number, label: string, usage: GPUBufferUsageFlags = STORAGE): GPUBuffer {
    this.#throwIfLost();
    return this.memory.create(bytes, usage, label);
  }

  /** Creates a storage buffer holding `data`. */
  upload(data: ArrayBufferView, label: string, usage: GPUBufferUsageFlags = STORAGE): GPUBuffer {
    const buffer = this.memory.create(data.byteLength, usage, label, true);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    new Uint8Array(buffer.getMappedRange()).set(bytes);
    buffer.unmap();
    return buffer;
  }

  /** Writes `data` into `buffer` at `offset` bytes, ordered after the work recorded so far. */
  write(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.flush();
    this.device.queue.writeBuffer(
      buffer,
      offset,
      data.buffer as ArrayBuffer,
      data.byteOffset,
      data.byteLength,
    );
  }

  /** Destroys a buffer and stops counting it. */
  release(...buffers: Array<GPUBuffer | null | undefined>): void {
    // Recorded but unsubmitted dispatches may use these buffers: submit them first (a buffer
    // destroyed after submission lives until that work is done; before, the submit fails).
    if (this.#encoder) this.flush();
    for (const b of buffers) if (b) this.memory.release(b);
  }

  /**
   * A small read-only uniform buffer holding `data`, cached by content: the same parameters give
   * the same buffer, so a sequence of dispatches never rewrites a buffer still in use.
   */
  params(data: Uint32Array | Int32Array | Float32Array): GPUBuffer {
    const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
    const key = words.join(",");
    let buffer = this.#params.get(key);
    if (!buffer) {
      if (this.#params.size >= 4096) this.#dropParams();
      const padded = new Uint32Array(Math.max(4, Math.ceil(words.length / 4) * 4));
      padded.set(words);
      buffer = this.upload(padded, "params", GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
      this.#params.set(key, buffer);
    }
    return buffer;
  }

  /** The command encoder that collects work until the next {@link flush}. */
  get encoder(): GPUCommandEncoder {
    this.#throwIfLost();
    return this.#encoder ??= this.device.createCommandEncoder();
  }

  /**
   * Records one compute dispatch. `workgroups` is a count along x, or [x, y, z]; a count above
   * the per-dimension limit is folded into x and y, and the kernel recovers its linear index as
   * `wid.x + wid.y * nwg.x` (see `wgsl/README.md`). `bindings[i]` goes to binding i; a null
   * leaves binding i out (a number the kernel does not use).
   */
  dispatch(
    pipeline: GPUComputePipeline,
    bindings: (Binding | null)[],
    workgroups: number | [number, number?, number?],
  ): void {
    const entries = bindings.flatMap((b, binding) =>
      b === null ? [] : [{ binding, resource: b instanceof GPUBuffer ? { buffer: b } : b }]
    );
    const group = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    const [x, y, z] = typeof workgroups === "number" ? grid(workgroups) : [
      workgroups[0],
      workgroups[1] ?? 1,
      workgroups[2] ?? 1,
    ];
    if (x === 0 || y === 0 || z === 0) return;
    const pass = this.encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
  }

  /** Records a buffer-to-buffer copy. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submits the recorded work and reports any validation error raised since the last check. */
  flush(): void {
    this.#throwIfLost();
    if (this.#encoder) {
      this.device.queue.submit([this.#encoder.finish()]);
      this.#encoder = null;
    }
    this.#throwIfInvalid();
  }

  /**
   * Waits until the device has finished all submitted work: a {@link read} of 4 bytes copied
   * after it, which ends as soon as the work is done. `onSubmittedWorkDone` sleeps Deno's 10 ms
   * after the work as `mapAsync` does (see {@link read}), and a step of every solver ends here:
   * measured on `gd` at two MPI ranks, 10 to 13 ms of idle device per iteration.
   */
  async finish(): Promise<void> {
    this.#marker ??= this.memory.create(4, GPUBufferUsage.COPY_SRC, KEPT_READBACK);
    await this.#quickRead(this.#marker, 0, 4);
  }

  /**
   * Reads `bytes` bytes of `buffer` from `offset` back to the host, after the recorded work.
   *
   * Deno 2.9's `mapAsync` waits for the device within its call, then sleeps 10 ms before its
   * promise resolves, however little it reads (`ext/webgpu/buffer.rs`). A small read-back (at most
   * {@link QUICK_READ_BYTES}) takes its values once the call has returned, the buffer being mapped
   * by then, and skips the sleep; it falls back to the promise when they cannot be had. Reading a
   * buffer before its promise resolves needs its map mode, which Deno records at the end of a
   * buffer's first mapping and keeps: such buffers are mapped once when made, and kept.
   */
  async read(buffer: GPUBuffer, offset = 0, bytes = buffer.size - offset): Promise<ArrayBuffer> {
    if (bytes > 0 && bytes <= QUICK_READ_BYTES && bytes % 4 === 0) {
      return await this.#quickRead(buffer, offset, bytes);
    }
    const staging = this.memory.create(
      bytes,
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      "readback",
    );
    try {
      this.encoder.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
      this.flush();
      await this.#raceLost(staging.mapAsync(GPUMapMode.READ));
      this.#throwIfInvalid();
      return staging.getMappedRange().slice(0);
    } finally {
      this.memory.release(staging);
    }
  }

  /** {@link read} through a kept staging buffer, without the poll interval's sleep. */
  async #quickRead(buffer: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
    const free = this.#staging.get(size) ?? [];
    this.#staging.set(size, free);
    let staging = free.pop();
    if (!staging) {
      staging = this.memory.create(
        size,
        GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        KEPT_READBACK,
      );
      await this.#raceLost(staging.mapAsync(GPUMapMode.READ));
      staging.unmap();
    }
    let kept = false;
    try {
      this.encoder.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
      this.flush();
      const mapped = this.#raceLost(staging.mapAsync(GPUMapMode.READ));
      mapped.catch(() => {});
      let data: ArrayBuffer;
      try {
        data = staging.getMappedRange(0, bytes).slice(0);
      } catch {
        await mapped;
        data = staging.getMappedRange(0, bytes).slice(0);
      }
      staging.unmap();
      kept = true;
      // A validation error of the work just read is dispatched as an event on a later turn.
      await nextTurn();
      this.#throwIfInvalid();
      return data;
    } finally {
      if (kept) free.push(staging);
      else this.memory.release(staging);
    }
  }

  /** Reads a buffer as float32 values. */
  async readF32(
    buffer: GPUBuffer,
    offset = 0,
    bytes = buffer.size - offset,
  ): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, offset, bytes));
  }

  /** Throws the first validation error raised since the last check (after a flush). */
  check(): void {
    this.flush();
  }

  /** Releases every buffer and the device. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.memory.releaseAll();
    this.#params.clear();
    this.#staging.clear();
    this.#marker = null;
    this.device.destroy();
  }

  /** Compiles (or takes from the cache) the compute pipeline of `source` with `constants`. */
  pipeline(
    source: ShaderSource,
    entryPoint = "main",
    constants: Record<string, number> = {},
  ): Promise<GPUComputePipeline> {
    return this.pipelines.get(source, entryPoint, constants);
  }

  #dropParams(): void {
    this.flush();
    for (const buffer of this.#params.values()) this.memory.release(buffer);
    this.#params.clear();
  }

  #throwIfLost(): void {
    if (this.#lost) {
      throw new DeviceLostError(
        `GPU device "${this.device.label}" was lost (${this.#lost.reason}): ${this.#lost.message}`,
      );
    }
    if (this.#destroyed) {
      throw new DeviceLostError(`GPU device "${this.device.label}" was destroyed`);
    }
  }

  #throwIfInvalid(): void {
    const error = this.#uncaptured;
    if (error) {
      this.#uncaptured = null;
      throw new GpuValidationError(`GPU device "${this.device.label}": ${error.message}`);
    }
  }

  async #raceLost<T>(work: Promise<T>): Promise<T> {
    const lost = this.device.lost.then((info) => {
      throw new DeviceLostError(
        `GPU device "${this.device.label}" was lost (${info.reason}): ${info.message}`,
      );
    });
    return await Promise.race([work, lost]);
  }
}

/** Resolves on the next turn of the event loop, after the tasks already queued (no timer). */
export function nextTurn(): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port1.onmessage = () => {
      port1.close();
      port2.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** Splits a workgroup count over x and y so that neither exceeds the per-dimension limit. */
export function grid(workgroups: number): [number, number, number] {
  if (workgroups <= MAX_WORKGROUPS_PER_DIMENSION) return [workgroups, 1, 1];
  const y = Math.ceil(workgroups / MAX_WORKGROUPS_PER_DIMENSION);
  return [Math.ceil(workgroups / y), y, 1];
}

/**
 * Acquires an adapter and a device with the limits Tessera needs: the largest storage binding
 * and buffer the adapter allows (defaults are 128 and 256 MiB), all the storage buffers per
 * stage it offers, and timestamp queries when available.
 *
 * @throws {GpuUnavailableError} when WebGPU is missing or no adapter is offered.
 */
export async function requestGpu(options: RequestGpuOptions = {}): Promise<Gpu> {
  const backend = Deno.env.get("DENO_WEBGPU_BACKEND") ?? "default (Vulkan, then GL)";
  const entry = options.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!entry) {
    throw new GpuUnavailableError(
      "WebGPU is not available in this runtime (navigator.gpu is undefined). " +
        "Run Tessera with Deno 2.9 or newer.",
    );
  }
  const adapter = await entry.requestAdapter({ powerPreference: options.powerPreference });
  if (!adapter) {
    throw new GpuUnavailableError(
      `No WebGPU adapter was found (backend tried: ${backend}). ` +
        "On a machine with a GPU, install its driver (NVIDIA: the proprietary driver with " +
        "Vulkan support). Without a GPU, install Mesa's software drivers: " +
        "`apt-get install mesa-vulkan-drivers libgl1-mesa-dri libegl1` and run with " +
        "DENO_WEBGPU_BACKEND=vulkan (lavapipe) or gl (llvmpipe).",
    );
  }
  const want = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: want.maxStorageBufferBindingSize,
    maxBufferSize: want.maxBufferSize,
    maxStorageBuffersPerShaderStage: want.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: want.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: want.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: want.maxComputeWorkgroupSizeX,
  };
  const requiredFeatures: GPUFeatureName[] = adapter.features.has("timestamp-query")
    ? ["timestamp-query"]
    : [];
  const label = options.label ?? "tessera";
  const device = await adapter.requestDevice({ label, requiredLimits, requiredFeatures });
  const info = adapter.info;
  return new Gpu(adapter, device, {
    description: info.description || info.device || "unknown adapter",
    vendor: info.vendor,
    architecture: info.architecture,
    backend,
    // Deno reports the flag on the adapter (older spec) or on its info (current spec).
    fallback: Boolean(
      (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? info.isFallbackAdapter,
    ),
  });
}

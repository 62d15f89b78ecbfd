/**
 * Every device buffer Tessera creates goes through one {@link DeviceMemory}, which counts live
 * and peak bytes. That count is the memory metric of reports, benchmarks and tiling budgets: the
 * analogue of the papers' GPU memory footprint.
 */
export class DeviceMemory {
  #live = 0;
  #peak = 0;
  #buffers = new Map<GPUBuffer, number>();
  #peakLabels: Array<[string, number]> = [];

  constructor(private readonly device: GPUDevice) {}

  /** Bytes held by buffers created here and not yet destroyed. */
  get live(): number {
    return this.#live;
  }

  /** Largest {@link live} seen since creation or the last {@link resetPeak}. */
  get peak(): number {
    return this.#peak;
  }

  /** Starts a new peak measurement from the current live bytes. */
  resetPeak(): void {
    this.#peak = this.#live;
    this.#peakLabels = this.byLabel();
  }

  /** {@link byLabel} as it was when {@link peak} was reached: what the peak is made of. */
  peakByLabel(): Array<[string, number]> {
    return this.#peakLabels.map(([label, bytes]) => [label, bytes]);
  }

  /** Creates a buffer of `size` bytes (rounded up to 4) and counts it. */
  create(size: number, usage: GPUBufferUsageFlags, label: string, mapped = false): GPUBuffer {
    if (!Number.isFinite(size) || size < 0) {
      throw new RangeError(`Cannot allocate buffer "${label}": invalid size ${size}`);
    }
    const bytes = Math.max(4, Math.ceil(size / 4) * 4);
    const buffer = this.device.createBuffer({
      size: bytes,
      usage,
      label,
      mappedAtCreation: mapped,
    });
    this.#buffers.set(buffer, bytes);
    this.#live += bytes;
    if (this.#live > this.#peak) {
      this.#peak = this.#live;
      this.#peakLabels = this.byLabel();
    }
    return buffer;
  }

  /** Destroys a buffer created here and stops counting it; destroying twice is harmless. */
  release(buffer: GPUBuffer): void {
    const bytes = this.#buffers.get(buffer);
    if (bytes === undefined) return;
    this.#buffers.delete(buffer);
    this.#live -= bytes;
    buffer.destroy();
  }

  /** Live bytes grouped by buffer label, largest first: for reports and leak hunting. */
  byLabel(): Array<[string, number]> {
    const sums = new Map<string, number>();
    for (const [buffer, bytes] of this.#buffers) {
      sums.set(buffer.label, (sums.get(buffer.label) ?? 0) + bytes);
    }
    return [...sums].sort((a, b) => b[1] - a[1]);
  }

  /** Destroys every buffer still counted. */
  releaseAll(): void {
    for (const buffer of [...this.#buffers.keys()]) this.release(buffer);
  }
}

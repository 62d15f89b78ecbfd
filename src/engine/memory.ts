/** Host memory of this process, for the report's `host_rss_bytes_peak`. */

/**
 * Tracks the peak resident set size. The kernel's own high-water mark (`VmHWM` of
 * `/proc/self/status`) is exact; where it cannot be read (not Linux, no read permission) the
 * peak of the samples taken by {@link sample} stands in.
 */
export class RssPeak {
  #sampled = 0;

  /** Takes one sample (cheap; call once per iteration). */
  sample(): void {
    this.#sampled = Math.max(this.#sampled, Deno.memoryUsage().rss);
  }

  /** The peak in bytes. */
  peak(): number {
    this.sample();
    try {
      const status = Deno.readTextFileSync("/proc/self/status");
      const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
      if (match) return Math.max(this.#sampled, Number(match[1]) * 1024);
    } catch {
      // Not Linux, or no permission to read /proc: the samples are what we have.
    }
    return this.#sampled;
  }
}

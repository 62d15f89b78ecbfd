import { ShaderError } from "./errors.ts";

/**
 * WGSL source with the name of the file it came from (`wgsl/fft.wgsl`), or a descriptive
 * virtual name for generated code (`generated:fft-256`), so compiler errors can name it.
 */
export interface ShaderSource {
  file: string;
  code: string;
}

/**
 * Compiles WGSL modules and compute pipelines inside validation error scopes and caches them by
 * shader, entry point and override constants: a pipeline is JIT-compiled once per device.
 */
export class PipelineCache {
  #modules = new Map<string, Promise<GPUShaderModule>>();
  #pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(private readonly device: GPUDevice) {}

  /** Number of distinct pipelines created so far. */
  get size(): number {
    return this.#pipelines.size;
  }

  get(
    source: ShaderSource,
    entryPoint: string,
    constants: Record<string, number>,
  ): Promise<GPUComputePipeline> {
    const names = Object.keys(constants).sort();
    const key = `${source.file}\u0000${source.code}\u0000${entryPoint}\u0000` +
      names.map((n) => `${n}=${constants[n]}`).join(",");
    let pipeline = this.#pipelines.get(key);
    if (!pipeline) {
      pipeline = this.#create(source, entryPoint, constants);
      this.#pipelines.set(key, pipeline);
      pipeline.catch(() => this.#pipelines.delete(key));
    }
    return pipeline;
  }

  #module(source: ShaderSource): Promise<GPUShaderModule> {
    const key = `${source.file}\u0000${source.code}`;
    let module = this.#modules.get(key);
    if (!module) {
      module = compileModule(this.device, source);
      this.#modules.set(key, module);
      module.catch(() => this.#modules.delete(key));
    }
    return module;
  }

  async #create(
    source: ShaderSource,
    entryPoint: string,
    constants: Record<string, number>,
  ): Promise<GPUComputePipeline> {
    const module = await this.#module(source);
    this.device.pushErrorScope("validation");
    const pipeline = this.device.createComputePipeline({
      label: `${source.file}:${entryPoint}`,
      layout: "auto",
      compute: { module, entryPoint, constants },
    });
    const error = await this.device.popErrorScope();
    if (error) {
      throw new ShaderError(
        `Cannot create pipeline ${source.file}:${entryPoint} with constants ` +
          `${JSON.stringify(constants)}: ${error.message}`,
      );
    }
    return pipeline;
  }
}

async function compileModule(device: GPUDevice, source: ShaderSource): Promise<GPUShaderModule> {
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ label: source.file, code: source.code });
  const error = await device.popErrorScope();
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === "error");
  if (errors.length > 0 || error) {
    const lines = source.code.split("\n");
    const where = errors.map((m) => {
      const text = lines[m.lineNum - 1]?.trim() ?? "";
      const message = m.message.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "";
      return `${source.file}:${m.lineNum}:${m.linePos}: ${message}\n    ${text}`;
    });
    if (where.length === 0 && error) where.push(`${source.file}: ${error.message}`);
    throw new ShaderError(`WGSL compilation failed:\n${where.join("\n")}`);
  }
  return module;
}

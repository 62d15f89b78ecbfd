/**
 * One rank of the test of what a rank reads (`mpi_frames_test.ts`), started by `mpirun`: opens
 * the engine's session on 2 x 2 tiles (one worker per rank) over a file whose frames it counts,
 * runs one iteration and prints, from rank 0, every rank's frames read and tiles' positions and
 * the bits of the probe after that iteration.
 */
import { MpiWorld } from "../../src/distributed/mpi/mod.ts";
import type { FrameSource } from "../../src/data/mod.ts";
import { openSession } from "../../src/engine/open.ts";
import { DEFAULT_OPTIONS } from "../../src/engine/options.ts";
import { readCxi } from "../../src/io/cxi_reader.ts";
import { planDatasetTiling } from "../../src/engine/mod.ts";

/** What rank 0 prints. */
export interface FramesOutcome {
  /** Per rank: the frames it read, one entry per frame per read, ascending. */
  read: number[][];
  /** Per rank: its tiles' positions, ascending. */
  mine: number[][];
  /** Hex of the probe's bytes after one iteration. */
  probe: string;
}

/** A frame source that notes every frame read. */
class CountingFrames implements FrameSource {
  readonly read_: number[] = [];
  constructor(readonly inner: FrameSource) {}

  read(indices: ArrayLike<number>): Promise<Float32Array> {
    this.read_.push(...Array.from(indices));
    return this.inner.read(indices);
  }

  close(): void {
    this.inner.close();
  }
}

if (import.meta.main) {
  const input = Deno.args[0];
  const mpi = MpiWorld.init();
  const dataset = await readCxi(input, { scan: false });
  // Estimated from the data, as without an illumination in the file: the mean frame and the
  // defocus search's frames are read where their tiles' frames are.
  dataset.illumination = null;
  const frames = new CountingFrames(dataset.frames);
  dataset.frames = frames;
  const tiles: [number, number] = [2, 2];
  const options = { ...DEFAULT_OPTIONS, algorithm: "cg" as const, input, tiles, workers: 1 };
  const session = await openSession({ options, dataset, checkpoint: null, log: () => {}, mpi });
  await session.step();
  const { probe } = await session.result();
  const { tiling } = planDatasetTiling(dataset, [2, 2], mpi.size);
  const mine = session.localTiles!.flatMap((t) => Array.from(tiling.positionsOf[t]));
  const all = await mpi.gather({
    read: frames.read_.sort((a, b) => a - b),
    mine: mine.sort((a, b) => a - b),
  });
  await session.destroy();
  frames.close();
  if (all) {
    const bytes = new Uint8Array(probe.data.buffer, probe.data.byteOffset, probe.data.byteLength);
    const outcome: FramesOutcome = {
      read: all.map((r) => r.read),
      mine: all.map((r) => r.mine),
      probe: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""),
    };
    console.log(JSON.stringify(outcome));
  }
  await mpi.finalize();
}

/**
 * Every way a real input file goes wrong, through the command a scientist runs: exit status 2,
 * one paragraph naming the file (and the HDF5 path where there is one), no stack trace, and
 * nothing written into the output directory.
 */
import { assert, assertEquals } from "../assert.ts";
import { fixtureFrames, type Part, scalar, writeFixture } from "../io/_cxi_fixture.ts";
import { runTessera, taskPermissions } from "./run.ts";

const DETECTOR = "/entry_1/instrument_1/detector_1";
const FRAMES = "/entry_1/data_1/data";
const P25 = new URL("../data/PETRAIII_P25_Near_Field_Ptycho.cxi", import.meta.url).pathname;

function framesWith(value: number, at: number): Part {
  const frames = fixtureFrames(6, 16);
  frames[at] = value;
  return { data: frames, shape: [6, 16, 16], dtype: "<f" };
}

interface BadCase {
  what: string;
  /** Writes the bad file at `path`. */
  make: (path: string) => Promise<unknown>;
  /** Words the message must hold besides the file name. */
  mentions: string[];
}

const CASES: BadCase[] = [
  {
    what: "a file that is not HDF5",
    make: (p) => Deno.writeTextFile(p, "frame,x,y\n0,1,2\n"),
    mentions: ["HDF5"],
  },
  {
    what: "a truncated file",
    make: async (p) => {
      const bytes = await Deno.readFile(P25);
      await Deno.writeFile(p, bytes.subarray(0, bytes.length - 4096));
    },
    mentions: ["truncated"],
  },
  {
    what: "missing frames",
    make: (p) => writeFixture(p, { parts: { [FRAMES]: null } }),
    mentions: [FRAMES],
  },
  {
    what: "frames that are not square",
    make: (p) =>
      writeFixture(p, {
        parts: {
          [FRAMES]: { data: new Float32Array(6 * 16 * 8).fill(3), shape: [6, 16, 8], dtype: "<f" },
        },
      }),
    mentions: [FRAMES],
  },
  {
    what: "a translation count different from the frame count",
    make: (p) =>
      writeFixture(p, {
        parts: {
          "/entry_1/sample_1/geometry_1/translation": {
            data: new Float64Array(5 * 3).map((_, i) => i * 1e-8),
            shape: [5, 3],
            dtype: "<d",
          },
        },
      }),
    mentions: ["/entry_1/sample_1/geometry_1/translation"],
  },
  {
    what: "a NaN intensity",
    make: (p) => writeFixture(p, { parts: { [FRAMES]: framesWith(NaN, 2 * 256 + 17) } }),
    mentions: ["frame 2", "NaN"],
  },
  {
    what: "an infinite intensity",
    make: (p) => writeFixture(p, { parts: { [FRAMES]: framesWith(Infinity, 5 * 256) } }),
    mentions: ["frame 5", "Infinity"],
  },
  {
    what: "a mask of the wrong shape",
    make: (p) =>
      writeFixture(p, {
        parts: {
          [`${DETECTOR}/mask`]: { data: new Uint8Array(15 * 16), shape: [15, 16], dtype: "<B" },
        },
      }),
    mentions: [`${DETECTOR}/mask`],
  },
  {
    what: "a zero distance",
    make: (p) => writeFixture(p, { parts: { [`${DETECTOR}/distance`]: scalar(0) } }),
    mentions: [`${DETECTOR}/distance`],
  },
  {
    what: "a negative pixel size",
    make: (p) => writeFixture(p, { parts: { [`${DETECTOR}/x_pixel_size`]: scalar(-75e-6) } }),
    mentions: [`${DETECTOR}/x_pixel_size`],
  },
  {
    what: "a zero energy",
    make: (p) => writeFixture(p, { parts: { "/entry_1/instrument_1/source_1/energy": scalar(0) } }),
    mentions: ["/entry_1/instrument_1/source_1/energy"],
  },
  {
    what: "an illumination of the wrong shape",
    make: (p) =>
      writeFixture(p, {
        parts: {
          "/entry_1/instrument_1/source_1/illumination": {
            complex: new Float32Array(2 * 12 * 12).fill(1),
            shape: [12, 12],
          },
        },
      }),
    mentions: ["/entry_1/instrument_1/source_1/illumination"],
  },
];

for (const c of CASES) {
  Deno.test(`reconstruct of ${c.what} exits 2 with one paragraph and writes nothing`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "tessera-bad-" });
    try {
      const input = `${dir}/scan.cxi`;
      await c.make(input);
      const out = `${dir}/out`;
      const run = await runTessera(["reconstruct", "-i", input, "-o", out, "-n", "2"], {
        permissions: taskPermissions("reconstruct", dir),
      });
      assertEquals(run.code, 2, run.stderr);
      const message = run.stderr.trim();
      assert(message.includes(input), `names the file: ${message}`);
      for (const word of c.mentions) assert(message.includes(word), `mentions ${word}: ${message}`);
      assert(!/^\s+at /m.test(message), `no stack trace: ${message}`);
      assert(!message.includes("\n\n"), `one paragraph: ${message}`);
      assertEquals(run.stdout, "");
      const left = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
      assertEquals(left.map((e) => e.name).filter((n) => n !== "scan.cxi"), [], "nothing written");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

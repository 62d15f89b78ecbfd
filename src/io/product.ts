/**
 * Reconstruction results as a ptychodus product file (`product.h5`, DESIGN section 4), and a
 * reader for round trips.
 *
 * Layout and types follow ptychodus' `H5ProductFileIO` as h5py writes it: string and float64
 * file attributes; `probe` K x M x M and `object` S x H x W complex64 (an HDF5 compound of `r`
 * and `i` float32) with float64 pixel-size and centre attributes; int64 position indexes;
 * float64 positions, layer distances and losses. Ptychodus versions differ in a few names, so
 * both spellings are written: `object_layer_distance_m` and `object_layer_spacing_m`,
 * `loss_values` (with `loss_epochs`) and `costs`; `exposure_time_s` and `probe_photon_count`,
 * which its reader requires, are written as 0 (unknown).
 */
import h5wasm from "h5wasm/node";
import type { ComplexArray, Dataset } from "../data/dataset.ts";
import { ELEMENTARY_CHARGE } from "../physics/geometry.ts";
import { temporaryPath } from "./atomic.ts";
import {
  type Dataset as H5Dataset,
  datasetAt,
  type File,
  h5,
  readComplex,
  readNumbers,
  shapeOf,
} from "./_h5.ts";
import { writeComplex } from "./_h5_write.ts";

/** The contents of a product file. Lengths in metres. */
export interface Product {
  name: string;
  comments: string;
  probeEnergyEV: number;
  detectorDistance: number;
  /** K x M x M complex. */
  probe: ComplexArray;
  /** Probe pixel width and height. */
  probePixel: [number, number];
  /** S x H x W complex. */
  object: ComplexArray;
  /** Object pixel width and height. */
  objectPixel: [number, number];
  /** Where the object array's centre lies in scan coordinates, x then y. */
  objectCenter: [number, number];
  /** Distances between consecutive object slices, S - 1 of them. */
  layerDistances: Float64Array;
  /** Scan position indexes and positions (the recorded translations, or the refined ones). */
  positionIndexes: Float64Array;
  positionX: Float64Array;
  positionY: Float64Array;
  /** Cost per iteration. */
  lossValues: Float64Array;
}

/** What {@link productOf} needs besides the data set. */
export interface ProductParts {
  name: string;
  comments?: string;
  object: ComplexArray;
  probe: ComplexArray;
  lossValues: ArrayLike<number>;
  /** Positions refined by position correction (object pixels, scan order), if it ran. */
  positions?: { y: Float64Array; x: Float64Array };
}

/**
 * Assembles a product from a data set and a reconstruction: positions are the recorded
 * translations, moved by as many object pixels as position correction moved them when it ran;
 * the object's centre follows from where the loader placed the recorded ones on the grid.
 */
export function productOf(dataset: Dataset, parts: ProductParts): Product {
  const g = dataset.geometry;
  const dx = g.objectPixel;
  const [H, W] = parts.object.shape.slice(-2);
  const S = parts.object.shape.length === 3 ? parts.object.shape[0] : 1;
  // Pixel column c lies at x = translation_j + (c - positionsX[j]) dx for every j.
  const centerX = dataset.translations[0] + (W / 2 - dataset.positionsX[0]) * dx;
  const centerY = dataset.translations[1] + (H / 2 - dataset.positionsY[0]) * dx;
  const N = dataset.count;
  // The probe's pixel is the object's: both sample the exit-wave plane at dx.
  return {
    name: parts.name,
    comments: parts.comments ?? "",
    probeEnergyEV: g.energyJ / ELEMENTARY_CHARGE,
    detectorDistance: g.distance,
    probe: parts.probe,
    probePixel: [dx, dx],
    object: parts.object,
    objectPixel: [dx, dx],
    objectCenter: [centerX, centerY],
    layerDistances: new Float64Array(S - 1).fill(dataset.sliceThickness ?? 0),
    positionIndexes: Float64Array.from({ length: N }, (_, j) => j),
    positionX: Float64Array.from(
      { length: N },
      (_, j) => dataset.translations[2 * j] + moved(parts.positions?.x, dataset.positionsX, j) * dx,
    ),
    positionY: Float64Array.from(
      { length: N },
      (_, j) =>
        dataset.translations[2 * j + 1] + moved(parts.positions?.y, dataset.positionsY, j) * dx,
    ),
    lossValues: Float64Array.from(parts.lossValues),
  };
}

/** How far position j moved (object pixels): 0 without refined positions. */
function moved(refined: Float64Array | undefined, measured: Float64Array, j: number): number {
  return refined ? refined[j] - measured[j] : 0;
}

function float64(group: File, name: string, data: Float64Array): void {
  group.create_dataset({ name, data, shape: [data.length], dtype: "<d" });
}

function int64(group: File, name: string, data: ArrayLike<number>): void {
  const values = BigInt64Array.from(Array.from(data), (v) => BigInt(v));
  group.create_dataset({ name, data: values, shape: [values.length], dtype: "<q" });
}

/**
 * Writes a product file, under a temporary name first and renamed when complete.
 *
 * @example
 * ```ts
 * await writeProduct("out/product.h5", productOf(dataset, { name: "siemens", object, probe,
 *   lossValues }));
 * ```
 */
export async function writeProduct(path: string, product: Product): Promise<void> {
  await h5();
  const temporary = temporaryPath(path);
  const file = new h5wasm.File(temporary, "w");
  try {
    file.create_attribute("name", product.name);
    file.create_attribute("comments", product.comments);
    file.create_attribute("probe_energy_eV", product.probeEnergyEV, [], "<d");
    file.create_attribute("detector_object_distance_m", product.detectorDistance, [], "<d");
    file.create_attribute("probe_photon_count", 0, [], "<d");
    file.create_attribute("exposure_time_s", 0, [], "<d");
    int64(file, "probe_position_indexes", product.positionIndexes);
    float64(file, "probe_position_x_m", product.positionX);
    float64(file, "probe_position_y_m", product.positionY);
    const probe = await writeComplex(file, "probe", product.probe.shape, product.probe.data);
    probe.create_attribute("pixel_width_m", product.probePixel[0], [], "<d");
    probe.create_attribute("pixel_height_m", product.probePixel[1], [], "<d");
    const object = await writeComplex(file, "object", product.object.shape, product.object.data);
    object.create_attribute("center_x_m", product.objectCenter[0], [], "<d");
    object.create_attribute("center_y_m", product.objectCenter[1], [], "<d");
    object.create_attribute("pixel_width_m", product.objectPixel[0], [], "<d");
    object.create_attribute("pixel_height_m", product.objectPixel[1], [], "<d");
    float64(file, "object_layer_distance_m", product.layerDistances);
    float64(file, "object_layer_spacing_m", product.layerDistances);
    float64(file, "loss_values", product.lossValues);
    int64(file, "loss_epochs", product.lossValues.map((_, i) => i));
    float64(file, "costs", product.lossValues);
  } catch (error) {
    file.close();
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
  file.close();
  await Deno.rename(temporary, path);
}

/** Reads a product file written by {@link writeProduct} (or by ptychodus). */
export async function readProduct(path: string): Promise<Product> {
  await h5();
  const file = new h5wasm.File(path, "r");
  try {
    const need = (name: string): H5Dataset => {
      const d = datasetAt(file, name);
      if (!d) throw new RangeError(`Product ${path} has no ${name}`);
      return d;
    };
    const attr = (on: { attrs: Record<string, { value: unknown }> }, name: string) =>
      on.attrs[name]?.value;
    const num = (on: { attrs: Record<string, { value: unknown }> }, name: string) =>
      Number(attr(on, name));
    const complex = async (d: H5Dataset) => ({ shape: shapeOf(d), data: await readComplex(d) });
    const probe = need("probe"), object = need("object");
    const layer = datasetAt(file, "object_layer_distance_m") ??
      need("object_layer_spacing_m");
    const loss = datasetAt(file, "loss_values") ?? need("costs");
    return {
      name: String(attr(file, "name")),
      comments: String(attr(file, "comments")),
      probeEnergyEV: num(file, "probe_energy_eV"),
      detectorDistance: num(file, "detector_object_distance_m"),
      probe: await complex(probe),
      probePixel: [num(probe, "pixel_width_m"), num(probe, "pixel_height_m")],
      object: await complex(object),
      objectPixel: [num(object, "pixel_width_m"), num(object, "pixel_height_m")],
      objectCenter: [num(object, "center_x_m"), num(object, "center_y_m")],
      layerDistances: await readNumbers(layer),
      positionIndexes: await readNumbers(need("probe_position_indexes")),
      positionX: await readNumbers(need("probe_position_x_m")),
      positionY: await readNumbers(need("probe_position_y_m")),
      lossValues: await readNumbers(loss),
    };
  } finally {
    file.close();
  }
}

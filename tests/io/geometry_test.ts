import {
  electronVolts,
  electronWavelength,
  interactionConstant,
  nearFieldGeometry,
  objectPixelSize,
  photonWavelength,
  wavelength,
} from "../../src/physics/geometry.ts";
import { assertEquals, assertLessOrEqual, assertThrows } from "../assert.ts";

function assertClose(actual: number, expected: number, relative: number, what: string): void {
  assertLessOrEqual(Math.abs(actual - expected) / Math.abs(expected), relative, what);
}

Deno.test("photonWavelength() gives h c / E: 1.239841984 nm at 1 keV", () => {
  assertClose(photonWavelength(electronVolts(1e3)), 1.239841984e-9, 1e-9, "1 keV");
  // The PETRA III P25 file records both: 2.0280385e-15 J and 9.794912e-11 m (float32).
  assertClose(photonWavelength(2.0280384918749993e-15), 9.794912103622266e-11, 1e-6, "P25");
});

Deno.test("electronWavelength() matches Kirkland's table at 100, 200 and 300 keV", () => {
  // Kirkland, Advanced Computing in Electron Microscopy, table 2.2 (Angstrom).
  assertClose(electronWavelength(electronVolts(100e3)), 0.037014e-10, 1e-4, "100 keV");
  assertClose(electronWavelength(electronVolts(200e3)), 0.025079e-10, 1e-4, "200 keV");
  assertClose(electronWavelength(electronVolts(300e3)), 0.019687e-10, 1e-4, "300 keV");
});

Deno.test("electronWavelength() tends to the non-relativistic h / sqrt(2 m E) at 1 eV", () => {
  const nonRelativistic = 6.62607015e-34 / Math.sqrt(2 * 9.1093837015e-31 * electronVolts(1));
  assertClose(electronWavelength(electronVolts(1)), nonRelativistic, 1e-6, "1 eV");
});

Deno.test("wavelength() switches between photons and electrons by probe kind", () => {
  const e = electronVolts(200e3);
  assertClose(wavelength("x-ray", e), photonWavelength(e), 1e-15, "x-ray");
  assertClose(wavelength("electron", e), electronWavelength(e), 1e-15, "electron");
});

Deno.test("interactionConstant() matches Kirkland's sigma at 100, 200 and 300 keV", () => {
  // Kirkland: 0.00092446, 0.00072884, 0.00065262 rad / (V Angstrom).
  assertClose(interactionConstant(electronVolts(100e3)), 0.00092446e10, 2e-4, "100 keV");
  assertClose(interactionConstant(electronVolts(200e3)), 0.00072884e10, 2e-4, "200 keV");
  assertClose(interactionConstant(electronVolts(300e3)), 0.00065262e10, 2e-4, "300 keV");
});

Deno.test("objectPixelSize() is lambda z / (M p)", () => {
  const dx = objectPixelSize({ wavelength: 1e-10, distance: 2, detectorPixel: 75e-6, frame: 256 });
  assertClose(dx, 1e-10 * 2 / (256 * 75e-6), 1e-15, "dx");
});

Deno.test("geometry functions refuse zero, negative and non-finite inputs", () => {
  assertThrows(() => photonWavelength(0), RangeError);
  assertThrows(() => electronWavelength(-1), RangeError);
  assertThrows(() => photonWavelength(Infinity), RangeError);
  const good = { wavelength: 1e-10, distance: 1, detectorPixel: 1e-4, frame: 64 };
  assertThrows(() => objectPixelSize({ ...good, distance: 0 }), RangeError);
  assertThrows(() => objectPixelSize({ ...good, detectorPixel: -1e-4 }), RangeError);
  assertThrows(() => objectPixelSize({ ...good, frame: 63.5 }), RangeError);
});

Deno.test("nearFieldGeometry() scales a cone beam by M = (z1 + z2) / z1 and keeps a plane wave", () => {
  const g = { wavelength: 1e-10, distance: 1.2, detectorPixel: 50e-6, frame: 128 };
  const cone = nearFieldGeometry({ ...g, focusDistance: 4e-3 });
  assertClose(cone.magnification, 1.204 / 4e-3, 1e-12, "magnification");
  assertClose(cone.objectPixel, 50e-6 * 4e-3 / 1.204, 1e-12, "object pixel");
  assertClose(cone.distance, 1.2 * 4e-3 / 1.204, 1e-12, "effective distance");
  const a = 128 * cone.objectPixel;
  assertClose(cone.fresnelNumber, a * a / (1e-10 * cone.distance), 1e-9, "Fresnel number");
  const plane = nearFieldGeometry(g);
  assertEquals([plane.magnification, plane.objectPixel, plane.distance], [1, 50e-6, 1.2]);
  assertThrows(() => nearFieldGeometry({ ...g, focusDistance: 0 }), RangeError);
  assertThrows(() => nearFieldGeometry({ ...g, focusDistance: -1e-3 }), RangeError);
});

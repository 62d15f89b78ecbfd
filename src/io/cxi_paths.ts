/**
 * Where things live in a CXI file (DESIGN section 4). Alternatives are tried in order.
 */
export const CXI = {
  frames: ["/entry_1/data_1/data", "/entry_1/instrument_1/detector_1/data"],
  translation: ["/entry_1/sample_1/geometry_1/translation", "/entry_1/data_1/translation"],
  distance: "/entry_1/instrument_1/detector_1/distance",
  xPixel: "/entry_1/instrument_1/detector_1/x_pixel_size",
  yPixel: "/entry_1/instrument_1/detector_1/y_pixel_size",
  mask: "/entry_1/instrument_1/detector_1/mask",
  energy: "/entry_1/instrument_1/source_1/energy",
  wavelength: "/entry_1/instrument_1/source_1/wavelength",
  probe: "/entry_1/instrument_1/source_1/probe",
  illumination: "/entry_1/instrument_1/source_1/illumination",
  groundTruth: "/entry_1/sample_1/ground_truth/object",
  /**
   * Tessera's own additions beside a simulated ground truth, so that a file read back puts the
   * probe on exactly the ground-truth pixels the simulation used: scan positions in object
   * pixels (N x 2, x then y), the object pixel size (m) and the slice distance (m).
   */
  groundTruthPositions: "/entry_1/sample_1/ground_truth/positions",
  /** The true positions when the recorded ones carry errors (`simulate --position-error`). */
  groundTruthTruePositions: "/entry_1/sample_1/ground_truth/true_positions",
  groundTruthPixel: "/entry_1/sample_1/ground_truth/pixel_size",
  groundTruthSliceThickness: "/entry_1/sample_1/ground_truth/slice_thickness",
} as const;

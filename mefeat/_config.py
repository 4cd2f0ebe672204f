"""Numeric constants shared by kernels and descriptors (numpy only).

Constants live here, never as literals inside kernels.
"""

#: Guard added to denominators in normalisations.
EPS = 1e-12

#: dtypes that descriptor front functions accept without a copy-cast warning.
SUPPORTED_FRAME_DTYPES = ("uint8", "uint16", "int16", "int32", "int64", "float32", "float64")

#: Largest frame file mefeat reads (bytes) and largest image it decodes (pixels, from the file's header,
#: checked before decoding): a 1280x1024 DFME PNG is about 1.5 MB and 1.3 Mpx; a 4K uncompressed 16-bit
#: TIFF is 50 MB and 8.8 Mpx. Larger files are refused with an error naming them (a device, a
#: decompression bomb).
MAX_FRAME_BYTES = 256 * 1024 * 1024
MAX_FRAME_PIXELS = 64 * 1024 * 1024

#: Default face-crop size (pixels) used by alignment and the demo pipeline.
DEFAULT_FACE_SIZE = 128

# --- optical flow and flow descriptors (helper "flow") ---

#: Flow backend of every flow descriptor, in the library and on the command line: mefeat's TV-L1 with the
#: Bi-WOOF authors' parameters (the literature's flow; on real CASME II frames it beats DIS by 0.04-0.10
#: UF1 on every flow descriptor), which reproduces OpenCV's DualTVL1 at a fraction of its cost
#: (``benchmarks/bench_flow.py``). ``"dis"`` is the fast option.
DEFAULT_FLOW_METHOD = "tvl1"

#: TV-L1 defaults of the Bi-WOOF authors' IPOL runs (tau, lambda, theta, nscales, zoom, warps, epsilon).
TVL1_DEFAULTS = {"tau": 0.25, "lambda_": 0.15, "theta": 0.3, "nscales": 5, "scale_step": 0.5, "warps": 5,
                 "epsilon": 0.01, "inner_iterations": 30, "outer_iterations": 10, "gamma": 0.0,
                 "median_filtering": 5}

#: Options of mefeat's own TV-L1 (``flow.method="tvl1"``) beyond :data:`TVL1_DEFAULTS`: the warp's border
#: ("zero": read as 0 outside the frame, OpenCV's ``remap`` default, which it reproduces; "replicate": IPOL's).
TVL1_MEFEAT_OPTIONS = {"border": "zero"}

#: Farneback parameters of meb's MDMO (pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, flags).
FARNEBACK_DEFAULTS = {"pyr_scale": 0.5, "levels": 3, "winsize": 15, "iterations": 3, "poly_n": 5,
                      "poly_sigma": 1.2, "flags": 0}

#: DIS optical flow preset (OpenCV name without the PRESET_ prefix, lower case).
DIS_DEFAULTS = {"preset": "medium"}

#: Flow vectors with magnitude <= this (pixels) count as "no motion" in MDMO and FDM.
FLOW_MOTION_EPS = 1e-9

#: Distance (pixels) of the MDMO helper points T0..T6 above the eyebrow landmarks (meb ``load_roi_36``).
MDMO_BROW_OFFSET = 20.0

#: Number of MDMO regions of interest.
MDMO_N_ROIS = 36

#: Landmarks (0-based dlib-68) used by the MDMO optical-flow-driven alignment (jaw 0-5, 11-16, nose tip 30).
MDMO_STABLE_LANDMARKS = (0, 1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 16, 30)

#: FDM defaults: spatio-temporal grid (rows, cols, time blocks), iterations, inlier half-angle (radians).
FDM_GRID = (6, 6, 2)
FDM_N_ITER = 10
FDM_MAX_ANGLE = 0.7853981633974483  # pi / 4

# --- face alignment and temporal normalisation (helper "face") ---

#: Default margin of the aligned face crop: fraction of the output size left on each side of the
#: canonical template's landmark bounding box (0.1 -> the 68 landmarks span 80 % of the crop).
DEFAULT_FACE_MARGIN = 0.1

#: Default border policy of the aligned crop: "fit" moves/zooms the crop until it lies inside the frame
#: (no pixel is invented); "replicate" keeps the template crop and replicates the frame's border.
DEFAULT_FACE_BORDER = "fit"

#: Default LBP-TOP radii (Rx, Ry, Rt) and the default spatio-temporal block grid (rows, cols, time blocks)
#: of LBP-TOP, HOG-TOP and HIGO-TOP: the MER baselines' choice (CASME II and MEGC 2019 use radii (1, 1, 4)
#: and 5x5 spatial blocks on the 10-frame TIM clip).
DEFAULT_LBP_RADII = (1, 1, 4)
DEFAULT_TOP_GRID = (5, 5, 1)

#: Length of the time-normalised (TIM) clip the texture descriptors and the TIM flows are computed on
#: (10 frames: the MEGC 2019 LBP-TOP baseline's and meb's choice).
DEFAULT_TIM_FRAMES = 10

#: dlib HOG detector upsampling (1 finds faces down to ~40 px; 0 is ~4x faster, faces >= ~80 px).
DEFAULT_FACE_UPSAMPLE = 1

#: TIM rank test: the centred frames count as rank-deficient when the second-smallest eigenvalue of
#: their Gram matrix is below TIM_RANK_RTOL * max(n, H*W) * the largest one.
TIM_RANK_RTOL = 1e-13

#: Apex spotting: LBP histogram grid per region, region padding (fraction of its size), and the
#: default moving-average window as a fraction of the onset..offset duration.
APEX_LBP_GRID = 3
APEX_REGION_PAD = 0.15
APEX_SMOOTH_FRACTION = 0.05

# --- HOG-TOP / HIGO-TOP (helper "hog") ---

#: Coefficients a2..a16 of atan(z) ~ z (1 + a2 z^2 + ... + a16 z^16) on [0, 1]
#: (Abramowitz & Stegun 4.4.49, |error| <= 2e-8 rad), the fast first guess of an orientation.
HOG_ATAN_COEFFS = (-0.3333314528, 0.1999355085, -0.1420889944, 0.1065626393,
                   -0.0752896400, 0.0429096138, -0.0161657367, 0.0028662257)

#: Orientations whose fast guess lies within this many radians of a bin edge are binned again
#: with the exact ``atan2`` (50x the polynomial's error bound), so the bins equal the atan2 rule.
HOG_EDGE_MARGIN = 1e-6

# --- LBP-TOP (helper "lbp") ---

#: Smallest / largest number of LBP neighbours per plane (2**16 mapping-table entries at most).
LBP_MIN_POINTS = 4
LBP_MAX_POINTS = 16

#: skimage's local_binary_pattern rounds neighbour offsets to this many decimals ...
LBP_SKIMAGE_DECIMALS = 5
#: ... and sets a bit when ``neighbour - centre >= -LBP_SKIMAGE_EPS``.
LBP_SKIMAGE_EPS = 1e-12
#: The LBP-TOP kernel counts into this many interleaved histogram copies (summed afterwards) to break the
#: store-to-load chain of repeated bins, when the histogram has at most LBP_SPLIT_MAX_BINS entries.
LBP_SPLIT_HISTOGRAMS = 4
LBP_SPLIT_MAX_BINS = 16384
#: The LBP-TOP kernel's sampling runs are rounded up to a multiple of this many centres (16 uint8/float32
#: lanes of AVX-512) so that no scalar remainder loop runs; the clip copy is padded accordingly.
LBP_VECTOR_MULTIPLE = 16
#: The LBP-TOP kernel counts raw codes (``3 * 2**max(n_points)`` columns per block, mapped to bins
#: afterwards: no table lookup per centre) when the histogram has at most this many entries.
LBP_RAW_MAX_BINS = 32768
#: int32 entries of padding after every histogram copy (64 B): copies and threads never share a cache line.
LBP_HIST_PAD = 16
#: The LBP-TOP kernel processes this many consecutive centre rows of a frame at once (one pass over all of
#: them for the neighbours on the pixel lattice).
LBP_ROW_BATCH = 4

#: For uint8 clips the HOG-TOP kernels read each voxel's bin from a table of every integer gradient with
#: both components in [-HOG_LUT_RANGE, HOG_LUT_RANGE] (built once per (orientations, signed) by the
#: generic binning rule, so the bins are identical; int16 entries, so orientations < 32768).
HOG_LUT_RANGE = 255

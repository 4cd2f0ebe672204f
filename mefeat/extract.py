"""Extract micro-expression features from a database: ``python -m mefeat.extract``.

With no arguments, generates (once) the built-in demo data set and runs the whole pipeline on
it -- face alignment, temporal normalisation (TIM), then every descriptor -- writing one feature
table per descriptor, ``clips.csv`` and ``manifest.json`` to ``./mefeat_output``. Per-clip
results are cached (content-addressed: frame bytes, annotations, parameters, mefeat version and a
hash of mefeat's source), so an interrupted run restarted with the same command computes only
what is missing, and a finished run re-run says it is up to date (exit 1 under --strict when
clips failed). Existing outputs are never overwritten without --force; --force recomputes every
clip and replaces all tables and reports of the earlier run.

Examples::

    python -m mefeat.extract                                  # demo set, all descriptors
    python -m mefeat.extract --dataset casme2 --root CASME2/CASME2-RAW \\
        --annotations CASME2-coding-20140508.xlsx --descriptors lbp_top,bi_woof \\
        --param lbp_top.radii=1,1,4 --param lbp_top.n_points=4,4,4 --param lbp_top.grid=5,5,1 \\
        --out casme2_features --n-jobs 2
    python -m mefeat.extract --backend dask --scheduler tcp://10.0.0.5:8786 ...
"""

import argparse
import dataclasses
import hashlib
import json
import logging
import os
import sys
import time
import traceback

import numpy as np

__all__ = ["build_parser", "main", "entrypoint", "REGISTRY", "DescriptorSpec", "PREPROCESS_DEFAULTS",
           "register", "run_extraction", "package_source_hash"]

log = logging.getLogger("mefeat.extract")

DEFAULT_OUT = "mefeat_output"

#: Preprocessing parameters (``--param face.size=128`` etc.).
PREPROCESS_DEFAULTS = {
    "face.align": True,        # dlib landmarks + similarity alignment (mefeat.face.align_clip)
    "face.size": 128,          # aligned face side (px)
    "tim.n_frames": 10,        # TIM length before the "tim" descriptors (0 = no TIM)
    "flow.method": "tvl1",     # flows on the TIM sequence: frame 0 -> each frame (MDMO), consecutive (FDM)
    "flow.epsilon": 0.05,      # TV-L1 stopping threshold for those flows
    "apex_flow.method": "tvl1",  # onset->apex flow (Bi-WOOF, optical strain)
    "apex_flow.epsilon": 0.05,   # TV-L1 stopping threshold (PERFORMANCE.md: 4.7x faster, +0.01 px EPE)
}

#: Dask LocalCluster settings used when --backend dask has no --scheduler (tests may patch this).
LOCAL_CLUSTER_KWARGS = {"threads_per_worker": 1, "processes": True, "dashboard_address": None}


# --------------------------------------------------------------------------- registry
@dataclasses.dataclass(frozen=True)
class DescriptorSpec:
    """How to compute one descriptor from a prepared clip.

    Attributes
    ----------
    name : str
    compute : callable ``(prep, params) -> 1-D array``
        A module-level function (it is pickled by reference to the workers). ``prep`` is a
        :class:`Prepared` giving lazy, shared access to the stages (``prep.aligned``,
        ``prep.tim``, ``prep.tim_flows``, ``prep.apex_flow``).
    defaults : dict
        Default keyword parameters (override with ``--param <name>.<key>=<value>``).
    stages : tuple of str
        Preprocessing keys the result depends on (part of the cache key).
    default : bool
        Part of the default descriptor list.
    """

    name: str
    compute: object
    defaults: dict
    stages: tuple
    default: bool = True
    doc: str = ""


REGISTRY = {}


def register(spec):
    """Add (or replace) a descriptor in :data:`REGISTRY`; returns the spec."""
    REGISTRY[spec.name] = spec
    return spec


def _c_lbp_top(prep, params):
    from mefeat.descriptors import lbp_top
    return lbp_top(prep.tim, **params)


def _c_hog_top(prep, params):
    from mefeat.descriptors import hog_top
    return hog_top(prep.tim, **params)


def _c_higo_top(prep, params):
    from mefeat.descriptors import higo_top
    return higo_top(prep.tim, **params)


def _c_mdmo(prep, params):
    from mefeat.descriptors import mdmo
    return mdmo(prep.tim_onset_flows, prep.aligned_landmarks, **params)


def _c_fdm(prep, params):
    from mefeat.descriptors import fdm
    return fdm(prep.tim_flows, **params)


def _c_bi_woof(prep, params):
    from mefeat.descriptors import bi_woof
    return bi_woof(prep.apex_flow, **params)


def _c_optical_strain(prep, params):
    """Block means of the onset->apex optical-strain magnitude on a grid."""
    from mefeat.flow import optical_strain
    strain = np.asarray(optical_strain(prep.apex_flow, scheme=params.get("scheme", "backward")), np.float64)
    gr, gc = params.get("grid", (5, 5))
    H, W = strain.shape
    return np.array([strain[r * H // gr:(r + 1) * H // gr, c * W // gc:(c + 1) * W // gc].mean()
                     for r in range(gr) for c in range(gc)])


def _c_frame_diff(prep, params):
    """Block means of |frame_t - frame_0| over the TIM clip (a trivial baseline / sanity check)."""
    f = np.asarray(prep.tim.frames, np.float64)
    d = np.abs(f[1:] - f[0]).mean(axis=0)
    gr, gc = params.get("grid", (8, 8))
    H, W = d.shape
    return np.array([d[r * H // gr:(r + 1) * H // gr, c * W // gc:(c + 1) * W // gc].mean()
                     for r in range(gr) for c in range(gc)])


_TIM = ("face.align", "face.size", "tim.n_frames")
register(DescriptorSpec("lbp_top", _c_lbp_top, {"radii": (1, 1, 4), "n_points": (8, 8, 8), "grid": (5, 5, 1)},
                        _TIM, doc="LBP-TOP on the TIM clip"))
register(DescriptorSpec("hog_top", _c_hog_top, {"orientations": 8, "grid": (5, 5, 1)}, _TIM,
                        doc="HOG-TOP on the TIM clip"))
register(DescriptorSpec("higo_top", _c_higo_top, {"orientations": 8, "grid": (5, 5, 1)}, _TIM,
                        doc="HIGO-TOP on the TIM clip"))
register(DescriptorSpec("mdmo", _c_mdmo, {"n_bins": 8}, _TIM + ("flow.method", "flow.epsilon"),
                        doc="MDMO on the flows from the first TIM frame to each other (meb / paper)"))
register(DescriptorSpec("fdm", _c_fdm, {}, _TIM + ("flow.method", "flow.epsilon"),
                        doc="FDM on the flows between consecutive TIM frames"))
register(DescriptorSpec("bi_woof", _c_bi_woof, {"grid": (5, 5), "n_bins": 8},
                        ("face.align", "face.size", "apex_flow.method", "apex_flow.epsilon"),
                        doc="Bi-WOOF on the onset->apex flow of the aligned clip"))
register(DescriptorSpec("optical_strain", _c_optical_strain, {"grid": (5, 5), "scheme": "backward"},
                        ("face.align", "face.size", "apex_flow.method", "apex_flow.epsilon"),
                        doc="grid means of the onset->apex optical strain"))
register(DescriptorSpec("frame_diff", _c_frame_diff, {"grid": (8, 8)}, _TIM, default=False,
                        doc="grid means of |frame_t - frame_0| on the TIM clip (sanity baseline)"))


# --------------------------------------------------------------------------- per-clip work
class Prepared:
    """Lazy, shared preprocessing stages of one clip (computed at most once each)."""

    def __init__(self, clip, pre, timings):
        self.raw = clip
        self.pre = pre
        self.timings = timings
        self.nested = 0.0
        self._cache = {}

    def _stage(self, name, fn):
        # timings are exclusive: time spent in nested stages (tim -> align) is not counted twice
        if name not in self._cache:
            outer, self.nested = self.nested, 0.0
            t0 = time.perf_counter()
            try:
                self._cache[name] = fn()
            except _StageError as exc:  # an earlier stage failed: keep its name
                self._cache[name] = exc
            except Exception as exc:
                self._cache[name] = _StageError(name, exc)
            elapsed = time.perf_counter() - t0
            self.timings[name] = self.timings.get(name, 0.0) + elapsed - self.nested
            self.nested = outer + elapsed
        value = self._cache[name]
        if isinstance(value, _StageError):
            raise value
        return value

    @property
    def aligned(self):
        def run():
            if not self.pre["face.align"]:
                return self.raw
            from mefeat.face import align_clip
            return align_clip(self.raw, size=int(self.pre["face.size"]))
        return self._stage("align", run)

    @property
    def aligned_landmarks(self):
        lm = self.aligned.landmarks
        if lm is None:
            from mefeat.face import detect_landmarks
            lm = detect_landmarks(np.asarray(self.aligned.frames[self.aligned.onset]))
        return np.asarray(lm, np.float64)

    @property
    def tim(self):
        def run():
            clip = self.aligned
            n = int(self.pre["tim.n_frames"])
            if n <= 0:
                return clip
            from mefeat.temporal import tim
            frames = np.asarray(tim(np.asarray(clip.frames), n))
            frames = np.clip(np.rint(frames), 0, 255).astype(np.uint8)
            T = clip.n_frames
            apex = None if clip.apex is None else int(round(clip.apex * (n - 1) / max(T - 1, 1)))
            return clip.replace(frames=frames, onset=0, apex=apex, offset=n - 1)
        return self._stage("tim", run)

    @property
    def tim_flows(self):
        def run():
            from mefeat.flow import clip_flows
            extra = {"epsilon": self.pre["flow.epsilon"]} if self.pre["flow.method"] == "tvl1" else {}
            return clip_flows(np.asarray(self.tim.frames), mode="consecutive", onset=0,
                              method=self.pre["flow.method"], **extra)
        return self._stage("flow", run)

    @property
    def tim_onset_flows(self):
        def run():
            from mefeat.flow import clip_flows
            extra = {"epsilon": self.pre["flow.epsilon"]} if self.pre["flow.method"] == "tvl1" else {}
            return clip_flows(np.asarray(self.tim.frames), mode="onset_each", onset=0,
                              method=self.pre["flow.method"], **extra)
        return self._stage("onset_flow", run)

    @property
    def apex_flow(self):
        def run():
            from mefeat.flow import clip_flows
            clip = self.aligned
            apex = clip.apex_or_middle
            if apex <= clip.onset:
                apex = min(clip.onset + 1, clip.n_frames - 1)
            extra = {"epsilon": self.pre["apex_flow.epsilon"]} if self.pre["apex_flow.method"] == "tvl1" else {}
            return clip_flows(np.asarray(clip.frames), mode="onset_apex", onset=clip.onset, apex=apex,
                              method=self.pre["apex_flow.method"], **extra)[0]
        return self._stage("apex_flow", run)


class _StageError(Exception):
    def __init__(self, stage, exc):
        super().__init__(f"{stage}: {type(exc).__name__}: {exc}")
        self.stage, self.exc = stage, exc


def _key(*parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _fingerprint(fn):
    """Name + source hash of a compute function (so editing a registry entry invalidates its cache)."""
    import inspect
    try:
        src = inspect.getsource(fn)
    except (OSError, TypeError):
        src = ""
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}:" + hashlib.sha256(
        src.encode()).hexdigest()[:16]


def _cache_path(cache_dir, descriptor, key):
    return os.path.join(cache_dir, descriptor, key[:2], key + ".npy")


def _save_npy(path, vec):
    from mefeat._io import atomic_write
    with atomic_write(path, "wb") as f:
        np.save(f, vec, allow_pickle=False)


def process_clip(row, specs, pre, cache_dir, version, *, read_cache=True):
    """Compute (or fetch from the cache) every requested descriptor of one clip.

    Parameters
    ----------
    row : dict
        The clip's row of ``MEDataset.table``.
    specs : list of (DescriptorSpec, dict)
        Descriptors and their resolved parameters.
    pre : dict
        Preprocessing parameters (:data:`PREPROCESS_DEFAULTS` merged with --param).
    cache_dir : str or None
    version : str
        Part of every cache key (mefeat version + source hash, see :func:`package_source_hash`).
    read_cache : bool, default True
        False (``--force``): recompute everything; results are still written to the cache.

    Returns
    -------
    dict
        ``features`` {name: 1-D float64}, ``failures`` [(stage, message)], ``timings``
        {stage: s}, ``clip_hash``, ``computed`` [names], ``cached`` [names].
    """
    from mefeat.datasets._base import _frame_paths, _read_frames, _row_to_clip

    timings, failures, feats, computed, cached = {}, [], {}, [], []
    out = {"features": feats, "failures": failures, "timings": timings, "clip_hash": None,
           "computed": computed, "cached": cached}
    t0 = time.perf_counter()
    try:
        frames, digest = _read_frames(_frame_paths(row), with_hash=True)
        clip = _row_to_clip(row, frames)
    except Exception as exc:
        timings["read"] = time.perf_counter() - t0
        failures.append(("read", f"{type(exc).__name__}: {exc}"))
        return out
    timings["read"] = time.perf_counter() - t0
    out["clip_hash"] = digest
    annot = [row.get("onset"), row.get("apex"), row.get("offset")]
    annot = [None if _isna(v) else int(v) for v in annot]
    prep = Prepared(clip, pre, timings)
    stage_failed = {}
    for spec, params in specs:
        key = _key(version, digest, annot, spec.name, _fingerprint(spec.compute), params,
                   {k: pre[k] for k in spec.stages})
        path = _cache_path(cache_dir, spec.name, key) if cache_dir else None
        if path and read_cache and os.path.exists(path):
            try:
                feats[spec.name] = np.load(path, allow_pickle=False)
                cached.append(spec.name)
                continue
            except (OSError, ValueError):
                pass  # corrupt cache entry: recompute
        try:
            t1, nested0 = time.perf_counter(), prep.nested
            try:
                vec = np.asarray(spec.compute(prep, dict(params)), dtype=np.float64).ravel()
            finally:
                own = time.perf_counter() - t1 - (prep.nested - nested0)
                timings[spec.name] = timings.get(spec.name, 0.0) + own
            if not np.all(np.isfinite(vec)):
                raise ValueError(f"{np.count_nonzero(~np.isfinite(vec))} non-finite values")
        except _StageError as exc:
            stage_failed.setdefault(exc.stage, (f"{type(exc.exc).__name__}: {exc.exc}", []))[1].append(spec.name)
            continue
        except Exception as exc:
            failures.append((spec.name, f"{type(exc).__name__}: {exc}"))
            continue
        feats[spec.name] = vec
        computed.append(spec.name)
        if path:
            _save_npy(path, vec)
    for stage, (msg, names) in stage_failed.items():
        failures.append((stage, f"{msg} (no {', '.join(names)})"))
    return out


def _isna(v):
    from mefeat.datasets._base import _isna as isna
    return isna(v)


# --------------------------------------------------------------------------- driver
def _parse_value(text):
    text = text.strip()
    low = text.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low in ("none", "null"):
        return None
    parts = [p.strip() for p in text.split(",")]
    vals = []
    for p in parts:
        try:
            vals.append(int(p))
        except ValueError:
            try:
                vals.append(float(p))
            except ValueError:
                vals.append(p)
    return tuple(vals) if len(parts) > 1 else vals[0]


def resolve_params(descriptors, param_args):
    """Split ``--param a.b=v`` into preprocessing and per-descriptor parameters.

    Raises
    ------
    ValueError
        Malformed ``--param`` or a name that is neither a requested descriptor nor a
        preprocessing key.
    """
    pre = dict(PREPROCESS_DEFAULTS)
    per = {d: dict(REGISTRY[d].defaults) for d in descriptors}
    for item in param_args or ():
        if "=" not in item or "." not in item.split("=", 1)[0]:
            raise ValueError(f"--param {item!r}: expected NAME.KEY=VALUE, e.g. lbp_top.radii=1,1,4")
        lhs, value = item.split("=", 1)
        lhs = lhs.strip()
        if lhs in pre:
            default = PREPROCESS_DEFAULTS[lhs]
            v = _parse_value(value)
            pre[lhs] = type(default)(v) if isinstance(default, (int, float)) and not isinstance(default, bool) \
                and isinstance(v, (int, float)) else v
            continue
        name, key = lhs.split(".", 1)
        if name not in per:
            raise ValueError(f"--param {item!r}: {name!r} is not a requested descriptor ({sorted(per)}) "
                             f"nor a preprocessing key ({sorted(PREPROCESS_DEFAULTS)})")
        per[name][key] = _parse_value(value)
    return pre, per


def load_dataset_from_args(args):
    """The MEDataset named by --dataset/--root/--annotations."""
    from mefeat import datasets

    name = args.dataset
    if name == "demo":
        kw = {}
        if args.demo_size:
            kw = _demo_sizes()[args.demo_size]
        return datasets.load_demo(args.seed, data_dir=args.root, n_jobs=args.n_jobs, **kw), None
    if name == "smic":
        if not args.root:
            raise ValueError("--dataset smic needs --root (the database folder)")
        if args.annotations and len(args.annotations) > 1:
            raise ValueError("--dataset smic takes at most one --annotations sheet")
        ann = args.annotations[0] if args.annotations else None
        return (datasets.load_smic(args.root, ann, modality=args.modality or "HS"),
                args.annotations or [])
    if not args.annotations:
        raise ValueError(f"--dataset {name} needs --annotations (the database's annotation sheet)")
    if name == "manifest":
        return datasets.load_manifest(args.annotations[0], root=args.root), args.annotations
    if not args.root:
        raise ValueError(f"--dataset {name} needs --root (the database folder)")
    if name == "megc2019":
        roots = _named(args.roots, "--root")
        ann = _named(args.annotations, "--annotations")
        return datasets.load_megc2019(
            casme2_root=roots.get("casme2"), casme2_annotations=ann.get("casme2"),
            samm_root=roots.get("samm"), samm_annotations=ann.get("samm"),
            smic_root=roots.get("smic"), smic_annotations=ann.get("smic"), gt=ann.get("gt")), list(ann.values())
    loader = {"dfme": datasets.load_dfme, "casme2": datasets.load_casme2, "samm": datasets.load_samm,
              "casme3": datasets.load_casme3, "mmew": datasets.load_mmew}[name]
    ann = args.annotations if name == "dfme" else args.annotations[0]
    return loader(args.root, ann), args.annotations


def _named(items, flag):
    out = {}
    for it in items:
        if "=" not in it:
            raise ValueError(f"{flag} {it!r}: --dataset megc2019 needs NAME=PATH items (casme2=..., samm=..., "
                             "smic=..., and gt=... for the ground-truth csv)")
        k, v = it.split("=", 1)
        out[k.strip().lower()] = v
    return out


def _demo_sizes():
    from mefeat.datasets.demo import _demo_sizes_for_tests
    return {"tiny": _demo_sizes_for_tests(),
            "small": dict(n_subjects=10, clip_frames=(30, 50))}


def build_parser():
    """The argument parser of ``python -m mefeat.extract``."""
    from mefeat import __version__

    p = argparse.ArgumentParser(prog="python -m mefeat.extract", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Descriptors: " + ", ".join(
                                    f"{n}{'' if s.default else ' (not default)'}" for n, s in REGISTRY.items()))
    p.add_argument("--version", action="version", version=f"mefeat {__version__}")
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default="demo",
                   choices=["demo", "dfme", "casme2", "samm", "smic", "casme3", "mmew", "megc2019", "manifest"],
                   help="database to read (default: the built-in demo set, generated on first use)")
    g.add_argument("--root", action="append", dest="roots", metavar="ROOT",
                   help="database folder (demo: base cache folder, default $MEFEAT_DATA_DIR or "
                        "~/.cache/mefeat); megc2019: repeat as NAME=PATH (casme2=, samm=, smic=)")
    g.add_argument("--annotations", action="append", metavar="FILE",
                   help="annotation sheet the database ships (repeatable: DFME splits; megc2019 NAME=PATH; "
                        "optional for smic: without it every clip folder is one clip)")
    g.add_argument("--modality", choices=["HS", "VIS", "NIR"], type=str.upper,
                   help="SMIC modality (--dataset smic only; default HS)")
    g.add_argument("--seed", type=int, default=0, help="demo set seed (default 0)")
    g.add_argument("--demo-size", choices=sorted(_demo_sizes()), help="smaller demo set (tests, quick looks)")
    g.add_argument("--limit", type=int, help="only the first N clips (debugging)")
    g = p.add_argument_group("features")
    g.add_argument("--descriptors", default="default",
                   help="comma-separated names, 'default' or 'all' (default: every default descriptor)")
    g.add_argument("--param", action="append", default=[], metavar="NAME.KEY=VALUE",
                   help="descriptor or preprocessing parameter, e.g. lbp_top.radii=1,1,4 or tim.n_frames=10 "
                        "(repeatable); preprocessing keys: " + ", ".join(PREPROCESS_DEFAULTS))
    g = p.add_argument_group("output")
    g.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    g.add_argument("--format", default="csv", choices=["csv", "npz"], help="feature table format (default csv)")
    g.add_argument("--cache-dir", help="per-clip cache (default <out>/cache); 'none' disables caching")
    g.add_argument("--force", action="store_true",
                   help="recompute every clip (the cache is written, not read) and replace the outputs in "
                        "--out (its old feature tables, clips.csv and validation_report.csv are removed)")
    g.add_argument("--strict", action="store_true", help="exit with status 1 if any clip failed")
    g = p.add_argument_group("execution")
    g.add_argument("--n-jobs", type=int, default=None, help="parallel workers (default: all cores)")
    g.add_argument("--backend", default="loky", choices=["loky", "dask"], help="joblib backend (default loky)")
    g.add_argument("--scheduler", help="dask scheduler address (default: start a LocalCluster)")
    g.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar, only errors")
    return p


def _error(msg, code=2):
    print(f"mefeat.extract: error: {msg}", file=sys.stderr)
    return code


def _expected_config(args, ds_info, pre, per, descriptors):
    return {"dataset": ds_info, "preprocessing": pre, "descriptors": {d: per[d] for d in descriptors},
            "format": args.format, "limit": args.limit}


def main(argv=None):
    """Run the command; returns the exit status.

    0 ok (also: already up to date), 1 some clips failed and ``--strict`` was given (also when a
    re-run finds the earlier run up to date but with failures), 2 usage or input error, 130
    interrupted (Ctrl-C; finished clips are cached).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args._argv = list(sys.argv[1:] if argv is None else argv)
    if args.n_jobs is None:
        args.n_jobs = os.cpu_count() or 1
    if args.n_jobs == 0 or args.n_jobs < -1:
        parser.error(f"--n-jobs must be a positive int or -1, got {args.n_jobs}")
    if args.scheduler and args.backend != "dask":
        parser.error("--scheduler: only allowed with --backend dask")
    if args.quiet and args.verbose:
        parser.error("-q/--quiet: not allowed with -v/--verbose")
    level = logging.ERROR if args.quiet else (logging.DEBUG if args.verbose > 1 else
                                              logging.INFO if args.verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(level)
    if args.descriptors == "default":
        descriptors = [n for n, s in REGISTRY.items() if s.default]
    elif args.descriptors == "all":
        descriptors = list(REGISTRY)
    else:
        descriptors = [d.strip() for d in args.descriptors.split(",") if d.strip()]
        unknown = [d for d in descriptors if d not in REGISTRY]
        if unknown:
            parser.error(f"--descriptors: unknown {unknown}; known: {sorted(REGISTRY)}")
    if args.modality and args.dataset != "smic":
        parser.error(f"--modality: only allowed with --dataset smic (got --dataset {args.dataset})")
    if args.dataset != "megc2019" and args.roots and len(args.roots) > 1:
        parser.error("--root: given several times; only --dataset megc2019 takes several (NAME=PATH)")
    args.root = args.roots[-1] if args.roots else None
    try:
        pre, per = resolve_params(descriptors, args.param)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        return run_extraction(args, descriptors, pre, per)
    except KeyboardInterrupt:
        print("\nmefeat.extract: interrupted; finished clips are cached -- run the same command again to resume",
              file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, FileExistsError, ImportError, OSError) as exc:
        if args.verbose:
            traceback.print_exc()
        return _error(str(exc))


def run_extraction(args, descriptors, pre, per):
    """Load the dataset, compute features in parallel (cached), write tables and the manifest."""
    from mefeat import __version__
    from mefeat._io import sha256_file, write_clips_table, write_features, write_json

    out = os.path.abspath(args.out)
    manifest_path = os.path.join(out, "manifest.json")
    t_start = time.perf_counter()
    stage_t = {}
    t0 = time.perf_counter()
    ds, ann_files = load_dataset_from_args(args)
    stage_t["load_dataset"] = time.perf_counter() - t0
    table = ds.table if args.limit is None else ds.table.iloc[:args.limit]
    # plain paths (megc2019's NAME=PATH items are split by load_dataset_from_args; other paths may hold '=')
    ann_hashes = {os.path.basename(str(a)): sha256_file(str(a)) for a in (ann_files or [])}
    if args.dataset == "demo":
        demo_root = os.path.dirname(ds.table["frame_dir"].iloc[0]) if len(ds) else None
        ann_hashes = {"demo_full_with_AU.xlsx": _sheet_content_hash(ds.table)}
        ds_info = {"name": "demo", "seed": args.seed, "demo_size": args.demo_size, "root": demo_root}
    else:
        root = _named(args.roots, "--root") if args.dataset == "megc2019" else args.root
        ann_cfg = _named(args.annotations or [], "--annotations") if args.dataset == "megc2019" else args.annotations
        ds_info = {"name": ds.name, "root": root, "annotations": ann_cfg}
        if args.dataset == "smic":
            ds_info["modality"] = args.modality or "HS"
    ds_info["annotation_sha256"] = ann_hashes
    config = _expected_config(args, ds_info, pre, per, descriptors)
    config = json.loads(json.dumps(config, default=str))
    if os.path.exists(manifest_path) and not args.force:
        try:
            with open(manifest_path) as f:
                old = json.load(f)
        except (OSError, ValueError):
            old = {}
        if old.get("config") == config and old.get("mefeat_version") == __version__:
            outs = [os.path.join(out, o["file"]) for o in old.get("outputs", {}).values()]
            if all(os.path.exists(p) for p in outs):
                n_failed = int(old.get("n_failed") or 0)
                failed = f", {n_failed} failed (see manifest.json 'failures')" if n_failed else ""
                print(f"mefeat.extract: {out} is up to date ({len(old.get('outputs', {}))} tables, "
                      f"{old.get('n_clips')} clips{failed}); use --force to recompute and overwrite",
                      file=sys.stderr)
                return 1 if (args.strict and n_failed) else 0
        raise FileExistsError(f"{out} holds the output of a different run (other dataset, parameters or "
                              "mefeat version); use --force to overwrite it or choose another --out")
    if not args.force:
        existing = _output_files(out)
        if existing:
            raise FileExistsError(f"{out} already holds {', '.join(existing[:5])}"
                                  f"{' ...' if len(existing) > 5 else ''} but no manifest.json of an earlier "
                                  "run; use --force to overwrite them or choose another --out")
    cache_dir = None if (args.cache_dir or "").lower() == "none" else os.path.abspath(
        args.cache_dir or os.path.join(out, "cache"))
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
    specs = [(REGISTRY[d], per[d]) for d in descriptors]
    rows = [_row_dict(r) for r in table.to_dict("records")]
    t0 = time.perf_counter()
    # the cache key holds the version AND a hash of mefeat's source, so editing any descriptor,
    # kernel or preprocessing module invalidates old entries; --force recomputes (no cache reads)
    _SOURCE_HASH.clear()  # once per run: edits made in a long-lived session (notebook) count too
    version = f"{__version__}+src.{package_source_hash()[:16]}"
    results = _run_parallel(rows, specs, pre, cache_dir, version, args)
    stage_t["compute_wall"] = time.perf_counter() - t0
    # collect
    t0 = time.perf_counter()
    per_stage = {}
    failures, clip_hashes = [], {}
    n_computed = {d: 0 for d in descriptors}
    n_cached = {d: 0 for d in descriptors}
    status = []
    for row, res in zip(rows, results):
        key = (str(row["dataset"]), str(row["subject"]), str(row["clip"]))
        for k, v in res["timings"].items():
            per_stage[k] = per_stage.get(k, 0.0) + v
        for d in res["computed"]:
            n_computed[d] += 1
        for d in res["cached"]:
            n_cached[d] += 1
        clip_hashes["/".join(key)] = res["clip_hash"]
        for stage, msg in res["failures"]:
            failures.append({"dataset": key[0], "subject": key[1], "clip": key[2], "stage": stage, "reason": msg})
        status.append("ok" if not res["failures"] else "failed: " + "; ".join(
            f"{s}: {m}" for s, m in res["failures"])[:500])
    os.makedirs(out, exist_ok=True)
    if args.force:  # no table, report or clips list of the earlier run may survive next to the new ones
        _remove_outputs(out)
    outputs = {}
    for d in descriptors:
        keep = [(i, r) for i, r in enumerate(results) if d in r["features"]]
        index = [(str(rows[i]["dataset"]), str(rows[i]["subject"]), str(rows[i]["clip"])) for i, _ in keep]
        dims = {r["features"][d].shape[0] for _, r in keep}
        if len(dims) > 1:
            raise ValueError(f"descriptor {d}: clips gave different feature lengths {sorted(dims)}")
        X = np.stack([r["features"][d] for _, r in keep]) if keep else np.zeros((0, 0))
        path = write_features(out, d, X, index, fmt=args.format, overwrite=True)
        outputs[d] = {"file": os.path.relpath(path, out), "sha256": sha256_file(path), "n_clips": len(keep),
                      "n_features": int(X.shape[1]), "computed": n_computed[d], "from_cache": n_cached[d]}
    ctab = table.copy()
    ctab["status"] = status
    write_clips_table(out, ctab, overwrite=True)
    stage_t["write"] = time.perf_counter() - t0
    n_failed = sum(1 for s in status if s != "ok")
    reasons = {}
    for f in failures:
        r = f"{f['stage']}: {f['reason'].split(':')[0]}"
        reasons[r] = reasons.get(r, 0) + 1
    manifest = {
        "format_version": 1, "mefeat_version": __version__, "mefeat_source_sha256": package_source_hash(),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "argv": list(getattr(args, "_argv", []) or []),
        "config": config,
        "n_clips": len(rows), "n_failed": n_failed,
        "input_hashes": {"method": "sha256 over the bytes of each clip's frame files (onset..offset, in order); "
                                   "annotation files: sha256 of the file (demo: of the annotation table)",
                         "annotations": ann_hashes, "clips": clip_hashes},
        "validation_report_rows": int(len(ds.validation_report)),
        "timings_s": {"wall": time.perf_counter() - t_start, **stage_t,
                      "per_stage_cpu_sum": {k: round(v, 4) for k, v in sorted(per_stage.items())}},
        "execution": {"backend": args.backend, "n_jobs": args.n_jobs, "scheduler": args.scheduler,
                      "cache_dir": cache_dir},
        "outputs": outputs, "failures": failures, "failure_summary": reasons,
    }
    from mefeat._io import atomic_write
    with atomic_write(os.path.join(out, "validation_report.csv"), "w", newline="") as f:
        ds.validation_report.to_csv(f, index=False)  # always written (header only when nothing was fixed)
    write_json(manifest_path, manifest)
    _summary(out, rows, outputs, n_failed, reasons, manifest["timings_s"], args, failures)
    return 1 if (args.strict and n_failed) else 0


def _output_files(out):
    """Outputs of a run in ``out`` that exist: clips.csv, validation_report.csv, features/*.csv|npz."""
    found = [n for n in ("clips.csv", "validation_report.csv") if os.path.isfile(os.path.join(out, n))]
    feat = os.path.join(out, "features")
    if os.path.isdir(feat):
        found += [os.path.join("features", n) for n in sorted(os.listdir(feat))
                  if n.endswith((".csv", ".npz")) and not n.startswith(".")]
    return found


def _remove_outputs(out):
    """Delete the tables and reports of an earlier run (--force); the cache is kept."""
    for rel in _output_files(out):
        os.remove(os.path.join(out, rel))


_SOURCE_HASH = {}


def package_source_hash(package_dir=None):
    """sha256 over the relative paths and bytes of every ``*.py`` file of the mefeat package.

    Memoised per folder (about 50 files, ~2 ms); :func:`run_extraction` recomputes it once per
    run. Part of every cache key, so editing any descriptor, kernel, flow or temporal module
    invalidates the cached per-clip results.

    Parameters
    ----------
    package_dir : str, optional
        Default: the folder of the imported ``mefeat`` package.

    Returns
    -------
    str
        64 hex digits.
    """
    if package_dir is None:
        import mefeat
        package_dir = os.path.dirname(os.path.abspath(mefeat.__file__))
    package_dir = os.fspath(package_dir)
    if package_dir not in _SOURCE_HASH:
        files = []
        for folder, dirs, names in os.walk(package_dir):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            files += [os.path.join(folder, n) for n in names if n.endswith(".py")]
        h = hashlib.sha256()
        for path in sorted(files, key=lambda p: os.path.relpath(p, package_dir).replace(os.sep, "/")):
            h.update(os.path.relpath(path, package_dir).replace(os.sep, "/").encode() + b"\0")
            with open(path, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
        _SOURCE_HASH[package_dir] = h.hexdigest()
    return _SOURCE_HASH[package_dir]


def _sheet_content_hash(table):
    cols = ["subject", "clip", "onset", "apex", "offset", "emotion", "aus_raw", "fps"]
    return hashlib.sha256(table[cols].astype(str).to_csv(index=False).encode()).hexdigest()


def _row_dict(r):
    d = {}
    for k, v in r.items():
        if isinstance(v, (np.integer,)):
            v = int(v)
        d[k] = None if _isna(v) else v
    return d


def _summary(out, rows, outputs, n_failed, reasons, timings, args, failures=()):
    if args.quiet and not n_failed:
        return
    lines = [f"mefeat.extract: {len(rows)} clips, {len(outputs)} feature tables in {out} "
             f"({timings['wall']:.1f} s)"]
    for d, o in outputs.items():
        lines.append(f"  {d:16s} {o['n_clips']:6d} clips x {o['n_features']:6d} features "
                     f"(computed {o['computed']}, cached {o['from_cache']})")
    if n_failed:
        lines.append(f"  {n_failed} clip(s) failed (details in manifest.json 'failures', clips.csv 'status'):")
        for r, c in sorted(reasons.items(), key=lambda kv: -kv[1]):
            example = next(f for f in failures if f"{f['stage']}: {f['reason'].split(':')[0]}" == r)
            lines.append(f"    {c:5d} x {r}  (e.g. {example['clip']}: {example['reason'][:120]})")
    print("\n".join(lines), file=sys.stderr)


def _run_parallel(rows, specs, pre, cache_dir, version, args):
    from joblib import Parallel, delayed

    disable = args.quiet or not rows
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None
    read_cache = not getattr(args, "force", False)
    tasks = (delayed(_worker)(i, row, specs, pre, cache_dir, version, read_cache) for i, row in enumerate(rows))
    results = [None] * len(rows)
    bar = client = None
    try:
        bar = tqdm(total=len(rows), desc="extract", unit="clip", disable=disable, file=sys.stderr) if tqdm else None
        if args.backend == "dask":
            ctx, client = _dask_context(args)
        else:
            import contextlib
            ctx = contextlib.nullcontext()
        with ctx:
            n_jobs = args.n_jobs if args.backend == "loky" else -1
            par = Parallel(n_jobs=n_jobs, return_as="generator_unordered",
                           backend="loky" if args.backend == "loky" else None)
            for i, res in par(tasks):
                results[i] = res
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            _close_dask(client)
    return results


def _worker(i, row, specs, pre, cache_dir, version, read_cache=True):
    try:
        import cv2
        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover
        pass
    return i, process_clip(row, specs, pre, cache_dir, version, read_cache=read_cache)


def _dask_context(args):
    try:
        import joblib
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError("--backend dask needs dask.distributed: pip install mefeat[dask]") from exc
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        n = args.n_jobs if args.n_jobs > 0 else (os.cpu_count() or 1)
        cluster = LocalCluster(n_workers=n, **LOCAL_CLUSTER_KWARGS)
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
        client._mefeat_cluster = cluster
    return joblib.parallel_config(backend="dask"), client


def _close_dask(client):
    cluster = getattr(client, "_mefeat_cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def entrypoint():
    """Console-script entry point (``mefeat-extract``)."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())

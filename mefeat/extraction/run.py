"""The extraction run: :func:`extract_features` and the :class:`Run` that holds its state.

Reliability
-----------
- Parameters are validated before the first clip is read: :func:`mefeat.catalogue.resolve`, then
  a dry run of each table on a synthetic clip of the prepared size (after the kernels are compiled,
  once, in the run's workers at once). The cache remembers the tables whose settings passed with
  this code, so a re-run or a sweep checks (and compiles) only what is new.
- One run at a time holds ``<out>`` (:class:`mefeat._io.FolderLock`).
- Outputs are built in ``<out>/.staging-*`` and moved into place only when complete, the
  manifest last; a failed run (even with ``force``) leaves the previous outputs untouched.
- The cache is content-addressed (keys from the frame files' bytes, the annotations, the
  parameters, mefeat's source and the versions of the libraries that compute features) and
  checksummed: a truncated, zero-byte, altered or misplaced
  entry is reported and recomputed. After any interruption, a deleted table or a changed
  annotation, the same call computes only what is missing and rewrites the tables.
"""

import dataclasses
import functools
import hashlib
import io
import logging
import os
import shutil
import sys
import time

import numpy as np

from mefeat import _cache
from mefeat import catalogue as _catalogue
from mefeat._io import FolderLock, sha256_file, write_clips_table, write_csv, write_features, write_json
from mefeat._validation import check_n_jobs, check_option
from mefeat.datasets._base import report_counts
from mefeat.extraction import backends as _backends
from mefeat.extraction import compile as _compile
from mefeat.extraction import keys as _keys
from mefeat.extraction import output as _output
from mefeat.extraction import worker as _worker
from mefeat.extraction.records import ClipFailure, ClipResult, ExtractionError, ExtractionResult, Table, TableData, Task

log = logging.getLogger("mefeat")

#: Default output folder of :func:`extract_features` and ``python -m mefeat.extract``.
DEFAULT_OUT = "mefeat_output"


@dataclasses.dataclass(frozen=True)
class RunInput:
    """The data set of a run and what the manifest says about it.

    Attributes
    ----------
    dataset : mefeat.datasets.MEDataset
    index : list of (dataset, subject, clip)
        The clips' ids, in the data set's order.
    identity : dict
        :func:`mefeat.extraction.output.dataset_identity`.
    n_dropped : int
        Annotation rows the loader dropped.
    sheets : dict
        ``{file name: sha256}`` of the annotation sheets.
    info : dict or None
        How the data set was loaded (``dataset_info``).
    """

    dataset: object
    index: list
    identity: dict
    n_dropped: int
    sheets: dict
    info: object


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """How a run runs and writes (validated by :func:`extract_features`)."""

    out: str
    cache_dir: object
    n_jobs: object
    backend: _backends.Backend
    force: bool = False
    strict: bool = False
    fmt: str = "csv"
    progress: bool = True
    argv: object = None


def extract_features(dataset, descriptors="default", params=None, *, out=DEFAULT_OUT, n_jobs=None, backend="loky",
                     scheduler=None, cache_dir=None, force=False, strict=False, fmt="csv", progress=True,
                     dataset_info=None, annotation_files=None, argv=None):
    """Compute descriptor tables for every clip of a data set, cached, resumable and safe to interrupt.

    Parameters
    ----------
    dataset : mefeat.datasets.MEDataset
        E.g. ``mefeat.datasets.load_demo()`` or ``load_casme2(root, sheet)``.
    descriptors : "default", "all", str or sequence of str, default "default"
        Catalogue names (``mefeat.catalogue.names()``), comma-separated or listed;
        ``alias=name`` writes descriptor ``name`` to a table called ``alias``.
    params : dict, optional
        ``{"lbp_top.radii": (1, 1, 4), "tim.n_frames": 10, "flow.method": "tvl1"}`` (or nested
        ``{"lbp_top": {...}}``). Validated before any clip is read.
    out : str or path-like, default "mefeat_output"
    n_jobs : int or None
        Worker processes (None or -1: all cores; -2: all but one; 1: in this process).
    backend : {"loky", "dask"} or mefeat.extraction.Backend
        ``"dask"``: a ``dask.distributed`` cluster (``scheduler`` address, or a local cluster). A
        :class:`~mefeat.extraction.Backend` instance runs the clips on any other scheduler.
    scheduler : str, optional
    cache_dir : str, path-like or "none", optional
        Default ``<out>/cache``; share one between output folders to reuse results.
    force : bool, default False
        Replace every table in ``out`` by the requested ones (new outputs are swapped in only
        when complete). Without it, tables already in ``out`` are kept and updated, and a table
        of the same name computed with other settings is an error.
    strict : bool, default False
        Raise :class:`ExtractionError` when any clip failed.
    fmt : {"csv", "npz"}
    progress : bool, default True
        A progress bar on stderr.
    dataset_info : dict, optional
        How the data set was loaded (name, roots, sheets), recorded in the manifest. An output
        folder holds one data set: its name and the folders of its frames.
    annotation_files : sequence of path-like, optional
        The annotation sheets read, whose sha256 the manifest records.
    argv : list of str, optional
        The command line, for the manifest.

    Returns
    -------
    ExtractionResult

    Raises
    ------
    ValueError
        Unknown descriptor or parameter, or a value the descriptor rejects (before any work).
    ExtractionError
        No clip to run (the message gives the validation report's counts), every clip failed,
        ``strict`` and some failed, or ``out`` holds another data set's or settings' tables.
    mefeat._io.OutputLocked
        Another run holds ``out``.

    Examples
    --------
    >>> import mefeat
    >>> from mefeat.datasets import load_demo
    >>> r = mefeat.extract_features(load_demo(size="tiny"), "lbp_top", out="out")   # doctest: +SKIP
    >>> X = mefeat.read_features("out", "lbp_top"); clips = mefeat.read_clips("out")  # doctest: +SKIP
    """
    t_start = time.perf_counter()
    for name, value in (("out", out), ("cache_dir", cache_dir)):
        if isinstance(value, (str, bytes)) and not value.strip():
            raise ValueError(f"{name} is an empty string; name a folder (the current folder is never implied)")
    if isinstance(descriptors, str) and not descriptors.replace(",", "").strip():
        raise ValueError(f"descriptors is empty ({descriptors!r}); name at least one (or 'default', 'all')")
    from mefeat.datasets import MEDataset

    if not isinstance(dataset, MEDataset):
        raise TypeError(f"dataset must be a mefeat.datasets.MEDataset (e.g. load_demo(), load_casme2(...), "
                        f"load_manifest(csv)), got {type(dataset).__name__}; for a list of Clips use the transformers "
                        "(mefeat.catalogue.make_pipeline(name).fit_transform(clips))")
    for name, value in (("out", out), ("cache_dir", cache_dir)):
        if value is not None and os.path.exists(os.fspath(value)) and not os.path.isdir(os.fspath(value)):
            raise NotADirectoryError(f"{name} {os.fspath(value)!r} is a file, not a folder")
    res = _catalogue.resolve(descriptors, params)
    check_option(fmt, name="fmt", options=_output.FORMATS)
    engine = _backends.get_backend(backend, scheduler)  # refuses an unknown name
    n_jobs = check_n_jobs(n_jobs)
    if scheduler is not None and backend != "dask":
        raise ValueError("scheduler is only used with backend='dask'")
    n_dropped = report_counts(dataset.validation_report)["dropped"]
    if len(dataset) == 0:
        raise ExtractionError(f"no clip to extract: the data set {dataset.name!r} is empty after validation "
                              f"({_report_counts(dataset)}); see its validation_report")
    index = [(str(r["dataset"]), str(r["subject"]), str(r["clip"])) for _, r in dataset.table.iterrows()]
    dup = sorted({k for k in index if index.count(k) > 1}) if len(set(index)) < len(index) else []
    if dup:
        raise ExtractionError(f"{len(dup)} clip ids appear twice in the data set (dataset/subject/clip), e.g. "
                              f"{'/'.join(dup[0])}; every clip needs its own id")
    out = os.path.abspath(os.fspath(out))
    if isinstance(cache_dir, str) and cache_dir.strip().lower() == "none":
        cache_dir = None
    else:
        cache_dir = os.path.abspath(os.fspath(cache_dir) if cache_dir is not None else os.path.join(out, "cache"))
    sheets = {os.path.basename(os.fspath(p)): sha256_file(p) for p in (annotation_files or ()) if os.path.isfile(p)}
    data = RunInput(dataset, index, _output.dataset_identity(dataset), n_dropped, sheets, dataset_info)
    options = RunOptions(out, cache_dir, n_jobs, engine, force=force,
                         strict=strict, fmt=fmt, progress=progress, argv=argv)
    lock = FolderLock(out, holder=" ".join(argv) if argv else "extract_features").acquire()
    try:
        return Run(data, res, options, t_start).execute()
    finally:
        lock.release()


def flow_implementation(flow):
    """Which code computed a run's flows, for the manifest entry of every table that uses them.

    Parameters
    ----------
    flow : dict
        The run's flow stage settings (``{"method": ..., parameters}``, as in each table's ``config``).

    Returns
    -------
    dict
        ``method``, ``implementation`` and ``version``: for mefeat's TV-L1 (``"tvl1"``),
        ``"mefeat"`` and :data:`mefeat.flow.TVL1_IMPLEMENTATION_VERSION` with ``mefeat_version``;
        for OpenCV's backends (``"tvl1_opencv"``, ``"dis"``, ``"farneback"``), ``"opencv"`` and
        ``cv2.__version__``. The parameters are in the table's ``config["flow"]``.

    Notes
    -----
    The versions are those of the process that writes the manifest; the workers of a
    ``backend="dask"`` run on other machines are assumed to have the same ones.
    """
    from mefeat import __version__
    from mefeat import flow as _flow

    method = flow["method"]
    if method == "tvl1":
        return {"method": method, "implementation": "mefeat", "version": str(_flow.TVL1_IMPLEMENTATION_VERSION),
                "mefeat_version": __version__}
    import cv2

    return {"method": method, "implementation": "opencv", "version": cv2.__version__}


def _report_counts(dataset):
    rep = dataset.validation_report
    if not len(rep):
        return "the annotation sheet has no clip rows"
    counts = rep.groupby(["action"]).size().to_dict() if "action" in rep else {}
    reasons = rep["reason"].astype(str).str.slice(0, 60).value_counts().head(3).to_dict() if "reason" in rep else {}
    return (", ".join(f"{n} rows {a}" for a, n in counts.items()) + "; most common: "
            + "; ".join(f"{n} x {r}" for r, n in reasons.items()))


def _row_annot(row, n_frames):
    def num(v):
        return None if v is None else int(v)

    return [num(row.get("onset")), num(row.get("apex")), num(row.get("offset")), n_frames]


class Run:
    """One extraction, from the output folder's checks to the swapped-in outputs.

    Parameters
    ----------
    data : RunInput
    res : mefeat.catalogue.Resolved
        The requested tables and stage settings.
    options : RunOptions
    t_start : float
        ``time.perf_counter()`` when the call began (the manifest's wall time).

    Attributes
    ----------
    plan : mefeat.extraction.keys.Plan
        Set by :meth:`execute`: the tables (requested and kept) and key material.
    results : list of ClipResult
        One per clip, in the data set's order, once the clips have run.
    stage_t : dict
        Wall seconds per phase (validate, compile, plan, compute_wall, write).
    corrupt : list of str
        Corrupt or unreadable cache entries met.
    """

    def __init__(self, data, res, options, t_start):
        self.data, self.res, self.options, self.t_start = data, res, options, t_start
        self.stage_t, self.corrupt, self.cache_errors = {}, [], []
        self.results = [None] * len(data.dataset)
        self.workers = _compile.n_workers(options.n_jobs)
        self.plan = self.resolved = self.old = None
        self._started = []

    # ----------------------------------------------------------------- phases
    def execute(self):
        """Check the folder, validate, plan and compute the clips, then write: an :class:`ExtractionResult`."""
        opts = self.options
        _output.stale_cleanup(opts.out)
        _output.cache_cleanup(opts.cache_dir)
        self.old = _output.read_manifest(opts.out)
        _output.check_folder(opts.out, self.old, self.data.identity, self.data.index, opts.force)
        tables = _output.table_set(self.res, self.old or {}, opts.force)
        self.resolved = _catalogue.Resolved(tables, self.res.face, self.res.tim, self.res.flow)
        self.plan = _keys.Plan(self.res.face, self.res.tim, self.res.flow,
                               tuple(Table(t, spec, params, _keys.spec_fingerprint(spec))
                                     for t, (spec, params) in tables.items()),
                               _keys.package_source_hash(), opts.cache_dir)
        try:
            unchecked = self.validate()
            tasks = self.plan_clips()
            self.compute(tasks, unchecked)
        except BaseException:
            self._shutdown(kill=True)  # workers started for this run do not wait for loky's idle timeout
            raise
        self._shutdown(kill=False)
        self.collect()
        return self.finish()

    def _backend(self, backend):
        """``backend``, started for this run's workers (once)."""
        if not any(b is backend for b in self._started):
            backend.start(self.workers)
            self._started.append(backend)
        return backend

    def _shutdown(self, kill):
        while self._started:
            self._started.pop().shutdown(kill=kill)

    def validate(self):
        """Every table tried once on a synthetic prepared clip (data-dependent parameter checks) before any clip
        is read; a cache entry remembers that these settings passed with this code, so a re-run skips it.
        Returns the tables that were not checked before."""
        plan, cache_dir = self.plan, self.options.cache_dir
        t0 = time.perf_counter()
        checked_keys = plan.checked_keys()
        unchecked = tuple(t for t in plan.tables
                          if _keys.read_cached(cache_dir, "checked", checked_keys[t.name], self.corrupt) is None)
        self.stage_t["validate"] = 0.0
        if unchecked:
            # a sweep (some tables already checked) of descriptors without flows is milliseconds of work per clip
            # in this process: check it here too, the kernels being in numba's cache since the earlier run
            sweep = len(unchecked) < len(plan.tables) and not any(t.spec.uses_flow for t in unchecked)
            backend = _backends.SerialBackend() if sweep else self._backend(self.options.backend)
            self.stage_t["validate"] = _compile.warm_kernels(dataclasses.replace(plan, tables=unchecked), backend,
                                                             1 if sweep else self.workers, with_dry_run=True)
            for t in unchecked:  # only a shortcut for the next run; a cache that cannot be written is said below
                _keys.write_cached(cache_dir, "checked", checked_keys[t.name], {"ok": np.array(True)})
        self.stage_t["compile"] = time.perf_counter() - t0 - self.stage_t["validate"]
        return unchecked

    def plan_clips(self):
        """The clips with something to compute (tasks); fills :attr:`results` for the fully cached and unreadable
        ones. Nothing is decoded: frame paths, byte digests (from the stat memo) and cached features."""
        t0 = time.perf_counter()
        dataset, plan, cache_dir = self.data.dataset, self.plan, self.options.cache_dir
        tasks = []
        for i in range(len(dataset)):
            row = dataset.row(i)
            try:
                paths = dataset.frame_paths(i)
                header = dataset.clip_from_frames(i, np.zeros((len(paths), 1, 1), np.uint8))
                stat_key = _keys.stat_key(paths)
            except Exception as exc:
                self.results[i] = ClipResult(i, failures=[ClipFailure("read", f"{type(exc).__name__}: {exc}")])
                continue
            memo = _keys.read_cached(cache_dir, "clip", stat_key, self.corrupt)
            digest = None if memo is None else str(memo["digest"])
            annot = _row_annot(row, len(paths))
            light = False
            if digest is not None:
                prep_key = plan.prep_key(digest, annot)
                keys = plan.feat_keys(prep_key)
                feats, missing = {}, []
                for t in plan.tables:
                    entry = _keys.read_cached(cache_dir, "feat", keys[t.name], self.corrupt)
                    if entry is None:
                        missing.append(t.spec)
                    else:
                        feats[t.name] = entry["x"]
                if not missing:
                    self.results[i] = ClipResult(i, features=feats, digest=digest)
                    continue
                # only descriptors without flows are missing and the prepared clip is cached (a parameter sweep):
                # no frame to decode, no flow, milliseconds of work
                light = (not any(spec.uses_flow for spec in missing)
                         and os.path.exists(_cache.entry_path(cache_dir, "prep", prep_key)))
            tasks.append(Task(i, header, paths, digest, stat_key, annot, light))
        self.stage_t["plan"] = time.perf_counter() - t0
        n = len(dataset)
        n_unreadable = sum(1 for r in self.results if r is not None and r.failures)
        log.info("%d clips: %d with every table cached, %d to compute (some or all of %s)%s", n,
                 n - len(tasks) - n_unreadable, len(tasks), ", ".join(t.name for t in plan.tables),
                 f", {n_unreadable} unreadable" if n_unreadable else "")
        return tasks

    def compute(self, tasks, unchecked):
        """Run the tasks on the back-end (or here: light tasks, one worker, one task) into :attr:`results`."""
        backend = self.options.backend
        if tasks:
            if all(t.light for t in tasks):  # milliseconds of work per clip: not worth worker processes
                backend = _backends.SerialBackend()
            elif len(unchecked) < len(self.plan.tables):  # not all compiled or loaded so far: in the workers, at once
                t0 = time.perf_counter()
                _compile.warm_kernels(self.plan, self._backend(backend), self.workers, with_dry_run=False)
                self.stage_t["compile"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        if tasks:
            _compile.await_compile_ahead()
            self._dispatch(tasks, backend)
        self.stage_t["compute_wall"] = time.perf_counter() - t0

    def _dispatch(self, tasks, backend):
        bar = None
        if self.options.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(tasks), desc="extract", unit="clip", file=sys.stderr, dynamic_ncols=True)
        try:
            if self._backend(backend).in_process(len(tasks)):
                backend = _backends.SerialBackend()
            fn = functools.partial(_worker.work, plan=self.plan)
            for r in backend.map_unordered(fn, tasks):
                self.results[r.i] = r
                if log.isEnabledFor(logging.DEBUG):  # -vv: one line per clip
                    log.debug("%s: computed %s, cached %s%s (%s)", "/".join(self.data.index[r.i]),
                              ",".join(r.computed) or "-", ",".join(sorted(set(r.features) - set(r.computed))) or "-",
                              "".join(f"; failed {f.stage}: {f.reason[:120]}" for f in r.failures),
                              ", ".join(f"{k} {v:.2f} s" for k, v in sorted(r.timings.items())))
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()

    def collect(self):
        """Gather the clips' corrupt cache entries and cache write errors, and say them (once)."""
        for r in self.results:
            self.corrupt += r.corrupt
            self.cache_errors += r.cache_errors
        for msg in self.corrupt:
            log.warning("%s; recomputed", msg)
        if self.cache_errors:
            log.warning("the cache %s cannot be written (%s): %d result(s) of this run were computed but not cached; "
                        "the outputs are complete", self.options.cache_dir, self.cache_errors[0],
                        len(self.cache_errors))

    # ----------------------------------------------------------------- writing
    def failures(self):
        """``[{"dataset", "subject", "clip", "stage", "reason"}]`` and the clips' status column."""
        failures, status = [], []
        for key, r in zip(self.data.index, self.results):
            failures += [{"dataset": key[0], "subject": key[1], "clip": key[2], "stage": f.stage,
                          "reason": f.reason} for f in r.failures]
            status.append("ok" if not r.failures else
                          "failed: " + "; ".join(f"{f.stage}: {f.reason}" for f in r.failures)[:500])
        return failures, status

    def tables(self):
        """The finished tables (:class:`TableData`), in the run's table order."""
        found = []
        for t in self.plan.tables:
            keep = [i for i, r in enumerate(self.results) if t.name in r.features]
            dims = {self.results[i].features[t.name].shape[0] for i in keep}
            if len(dims) > 1:
                raise ExtractionError(f"table {t.name}: clips gave feature vectors of different lengths "
                                      f"{sorted(dims)}")
            names = t.spec.feature_names(t.params)
            X = np.stack([self.results[i].features[t.name] for i in keep]) if keep else np.zeros((0, len(names)))
            found.append(TableData(t.name, X, [self.data.index[i] for i in keep], names))
        return found

    def finish(self):
        """Write the outputs (unless nothing changed) and say what was done."""
        from mefeat import __version__

        data, opts, results = self.data, self.options, self.results
        failures, status = self.failures()
        n_failed = sum(1 for s in status if s != "ok")
        if n_failed == len(results):
            self._fail_every_clip(failures)
        tables = self.tables()
        ctab = data.dataset.table.copy()
        ctab["status"] = status
        buf = io.StringIO()
        ctab.to_csv(buf, index=False)
        clip_keys = {"/".join(k): (r.digest, sorted(r.features)) for k, r in zip(data.index, results)}
        state = _keys.hash_parts(
            _keys.ENGINE_VERSION, __version__, self.plan.source, self.plan.versions,
            {t.name: self.resolved.config(t.name) for t in self.plan.tables}, clip_keys,
            hashlib.sha256(buf.getvalue().encode()).hexdigest(), opts.fmt,
            {t.name: hashlib.sha256(np.ascontiguousarray(t.X).tobytes()).hexdigest() for t in tables})
        old = self.old
        if old and not opts.force and old.get("state_sha256") == state and _output.outputs_intact(opts.out, old):
            # this call computed nothing: its counts are all "from cache"
            now = {t: {**info, "computed": 0, "from_cache": info.get("n_clips", 0)}
                   for t, info in old["tables"].items()}
            _output.summary(opts.out, {**old, "tables": now}, failures, up_to_date=True, n_dropped=data.n_dropped,
                            report=data.dataset.validation_report)
            return ExtractionResult(opts.out, now, len(results), n_failed, data.n_dropped, failures, True, old)
        manifest = self._write(tables, ctab, failures, n_failed, state, clip_keys)
        _output.summary(opts.out, manifest, failures, up_to_date=False, n_dropped=data.n_dropped,
                        report=data.dataset.validation_report)
        result = ExtractionResult(opts.out, manifest["tables"], len(results), n_failed, data.n_dropped, failures,
                                  False, manifest)
        if opts.strict and n_failed:
            raise ExtractionError(f"{n_failed} of {len(results)} clips failed (strict); details in "
                                  f"{os.path.join(opts.out, _output.MANIFEST)} 'failures'")
        return result

    def _fail_every_clip(self, failures):
        n = len(self.results)
        reasons = _output.failure_reasons(failures)
        example = failures[0] if failures else {"clip": "?", "reason": "?"}
        _output.write_failed_run(self.options.out, failures)
        raise ExtractionError(
            f"every clip failed ({n} of {n}; "
            + "; ".join(f"{c} x {r}" for r, c in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
            + f"; e.g. {example['clip']}: {example['reason'][:200]}). Nothing was written to {self.options.out} "
            "except failed_run.json; earlier outputs are untouched")

    def _write(self, tables, ctab, failures, n_failed, state, clip_keys):
        """Stage the outputs in ``<out>/.staging-<pid>``, then swap them in (the manifest last); the manifest."""
        data, opts = self.data, self.options
        t0 = time.perf_counter()
        staging = os.path.join(opts.out, f".staging-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            outputs = {}
            for t in tables:
                spec = self.resolved.tables[t.name][0]
                path = write_features(staging, t.name, t.X, t.index, t.names, fmt=opts.fmt, overwrite=True)
                outputs[t.name] = {"descriptor": spec.name, "label": spec.label,
                                   "file": os.path.relpath(path, staging), "sha256": sha256_file(path),
                                   "n_clips": len(t.index), "n_features": int(t.X.shape[1]),
                                   "computed": self._count(t.name, computed=True),
                                   "from_cache": self._count(t.name, computed=False),
                                   "config": self.resolved.config(t.name)}
                if spec.uses_flow:
                    outputs[t.name]["flow_implementation"] = flow_implementation(self.resolved.flow)
            write_clips_table(staging, ctab, overwrite=True)
            write_csv(os.path.join(staging, "validation_report.csv"), data.dataset.validation_report)
            files = {rel: {"sha256": sha256_file(os.path.join(staging, rel))}
                     for rel in ("clips.csv", "validation_report.csv")}
            self.stage_t["write"] = time.perf_counter() - t0
            manifest = self._manifest(outputs, files, failures, n_failed, state, clip_keys)
            write_json(os.path.join(staging, _output.MANIFEST), manifest)
            _output.swap_in(staging, opts.out, set(outputs[t]["file"] for t in outputs))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return manifest

    def _count(self, table, computed):
        """Clips whose ``table`` vector this run computed (``computed``) or read from the cache."""
        return sum(1 for r in self.results if table in r.features and (table in r.computed) == computed)

    def _manifest(self, outputs, files, failures, n_failed, state, clip_keys):
        from mefeat import __version__

        data, opts, plan = self.data, self.options, self.plan
        per_stage = {}
        for r in self.results:
            for k, v in r.timings.items():
                per_stage[k] = per_stage.get(k, 0.0) + v
        return {
            "format_version": _keys.ENGINE_VERSION, "mefeat_version": __version__, "mefeat_source_sha256": plan.source,
            "dependencies": plan.versions,
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "argv": list(opts.argv or []),
            "dataset": data.identity, "source": _catalogue._jsonable(data.info),
            "stages": _catalogue._jsonable(self.resolved.stages),
            "n_clips": len(self.results), "n_failed": n_failed, "n_dropped_rows": data.n_dropped,
            "validation_report_rows": int(len(data.dataset.validation_report)),
            "input_hashes": {"method": "sha256 over the bytes of each clip's frame files (onset..offset, in order); "
                                       "annotation sheets: sha256 of the file",
                             "annotations": data.sheets, "clips": {k: v[0] for k, v in clip_keys.items()}},
            "timings_s": {"wall": time.perf_counter() - self.t_start,
                          **{k: round(v, 4) for k, v in self.stage_t.items()},
                          "per_stage_cpu_sum": {k: round(v, 4) for k, v in sorted(per_stage.items())}},
            "execution": {"backend": opts.backend.name, "n_jobs": opts.n_jobs,
                          "scheduler": getattr(opts.backend, "scheduler", None), "cache_dir": opts.cache_dir},
            "tables": outputs, "files": files, "failures": failures,
            "failure_summary": _output.failure_reasons(failures),
            "corrupt_cache_entries": self.corrupt, "state_sha256": state,
        }

"""The output folder's policy: what a run may replace, the stale files of an interrupted run, the
staged outputs swapped in when complete (the manifest last), and the summary.

::

    <out>/features/<table>.csv|npz   one table per descriptor (rows: dataset, subject, clip)
    <out>/clips.csv                  the clip table (labels, groups, status)
    <out>/validation_report.csv      every annotation row the loader fixed or dropped
    <out>/manifest.json              versions, parameters, input hashes, timings, failures
    <out>/cache/                     per-clip cache (default; ``cache_dir`` to move or share it)
"""

import json
import logging
import os
import shutil
import time

from mefeat import catalogue as _catalogue
from mefeat._io import fsync_dir, sha256_file, write_json
from mefeat.datasets._base import report_counts
from mefeat.extraction.records import ExtractionError

log = logging.getLogger("mefeat")

FORMATS = ("csv", "npz")
MANIFEST = "manifest.json"


def dataset_identity(dataset):
    """What makes two runs "the same data set": its name and the folder its frames come from.

    For a composite data set, one folder per part (``{"casme2": ..., "samm": ...}``). How the data
    set was loaded (sheets, seed, command line) is recorded beside it in the manifest, not compared:
    an edited annotation sheet is the same data set, and only its changed clips are recomputed.
    """
    table = dataset.table
    if "frame_dir" not in table or not len(table):
        return {"name": dataset.name, "roots": {}}
    parts = table["dataset"].astype(str) if "dataset" in table else [dataset.name] * len(table)
    roots = {}
    for part, d in zip(parts, table["frame_dir"].astype(str)):
        roots.setdefault(part, []).append(os.path.dirname(os.path.abspath(d)))
    return {"name": dataset.name, "roots": {k: os.path.commonpath(v) for k, v in sorted(roots.items())}}


def stale_cleanup(out):
    """Remove what an interrupted run left in ``out`` (we hold its lock): temp files and staging folders."""
    removed = 0
    for folder in (out, os.path.join(out, "features")):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if name.startswith(".staging-") and os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
            elif name.startswith(".") and name.endswith(".tmp"):
                try:
                    os.unlink(path)
                    removed += 1
                except OSError:
                    pass
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run in %s", removed, out)


def cache_cleanup(cache_dir, max_age_s=3600):
    """Remove cache temp files older than an hour (another run sharing the cache may be writing newer ones)."""
    if cache_dir is None or not os.path.isdir(cache_dir):
        return
    now = time.time()
    for folder, _, names in os.walk(cache_dir):
        for name in names:
            if name.endswith(".tmp"):
                path = os.path.join(folder, name)
                try:
                    if now - os.stat(path).st_mtime > max_age_s:
                        os.unlink(path)
                except OSError:
                    pass


def read_manifest(out):
    """The manifest of the run whose outputs are in ``out``; None without one, {} if unreadable."""
    path = os.path.join(out, MANIFEST)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        log.warning("%s is unreadable (%s); it will be rewritten", path, exc)
        return {}


def output_files(out):
    """The output files in ``out`` (relative paths), whoever wrote them."""
    found = [n for n in ("clips.csv", "validation_report.csv") if os.path.isfile(os.path.join(out, n))]
    feat = os.path.join(out, "features")
    if os.path.isdir(feat):
        found += [os.path.join("features", n) for n in sorted(os.listdir(feat))
                  if n.endswith(FORMATS) and not n.startswith(".")]
    return found


def check_folder(out, old, identity, clip_ids, force):
    """Refuse to write into ``out`` when this run would silently lose or mix outputs.

    ``old`` is :func:`read_manifest`'s; ``identity`` :func:`dataset_identity`'s; ``clip_ids`` the
    run's ``(dataset, subject, clip)`` ids. Raises :class:`ExtractionError` with what to do.
    """
    if old is None and not force and output_files(out):
        raise ExtractionError(f"{out} holds {', '.join(output_files(out)[:4])} but no manifest.json of an "
                              "earlier run; use force=True (--force) to replace them, or another output folder")
    if old and not force and old.get("dataset") not in (None, identity):
        raise ExtractionError(f"{out} holds the features of another data set ({old.get('dataset')}); use "
                              "force=True (--force) to replace them, or another output folder")
    if old and not force:
        before = set((old.get("input_hashes") or {}).get("clips") or {})
        lost = sorted(before - {"/".join(k) for k in clip_ids})
        if lost:
            raise ExtractionError(
                f"{out} holds the features of {len(before)} clips, {len(lost)} of which are not in this run (e.g. "
                f"{lost[0]}; a --limit, or rows removed from the annotation sheet): writing would drop them from "
                "every table; use force=True (--force) to replace the folder, or another output folder")
    if os.path.islink(os.path.join(out, "features")):
        raise ExtractionError(f"{os.path.join(out, 'features')} is a symbolic link; mefeat writes and deletes only "
                              "in a real folder of its own: remove the link or choose another output folder")


def _tuples(obj):
    if isinstance(obj, list):
        return tuple(_tuples(v) for v in obj)
    if isinstance(obj, dict):
        return {k: _tuples(v) for k, v in obj.items()}
    return obj


def table_set(res, old, force):
    """The tables this run writes: the requested ones plus (without ``force``) those already in ``out``.

    ``res`` is the run's :class:`mefeat.catalogue.Resolved`, ``old`` the manifest in ``out`` ({} without one).
    Returns ``{table: (spec, params)}``.
    """
    tables = dict(res.tables)
    if force or not old:
        return tables
    for name, info in (old.get("tables") or {}).items():
        cfg = info.get("config", {})
        if name in tables:
            if cfg != res.config(name):
                raise ExtractionError(
                    f"table {name!r} in the output folder was computed with other settings "
                    f"({_diff(cfg, res.config(name))}); use force=True (--force) to replace it, another output "
                    f"folder, or a new table name (--descriptors {name}_2={res.tables[name][0].name})")
            continue
        try:
            spec = _catalogue.get(cfg.get("descriptor"))
        except ValueError:
            raise ExtractionError(f"table {name!r} in the output folder comes from descriptor "
                                  f"{cfg.get('descriptor')!r}, which is not registered now; use --force") from None
        params = {k: _tuples(v) for k, v in cfg.get("params", {}).items()}
        probe = _catalogue.Resolved({name: (spec, params)}, res.face, res.tim, res.flow)
        if probe.config(name) != cfg:
            raise ExtractionError(
                f"table {name!r} in the output folder was computed with other preprocessing "
                f"({_diff(cfg, probe.config(name))}); this run would make it inconsistent with the others: "
                "use force=True (--force) to replace every table, or another output folder")
        tables[name] = (spec, params)
    return tables


def _diff(old, new):
    keys = sorted(set(old) | set(new))
    parts = []
    for k in keys:
        if old.get(k) != new.get(k):
            if isinstance(old.get(k), dict) and isinstance(new.get(k), dict):
                sub = [f"{k}.{s}: {old[k].get(s)!r} -> {new[k].get(s)!r}" for s in sorted(set(old[k]) | set(new[k]))
                       if old[k].get(s) != new[k].get(s)]
                parts += sub
            else:
                parts.append(f"{k}: {old.get(k)!r} -> {new.get(k)!r}")
    return "; ".join(parts[:4]) or "different settings"


def outputs_intact(out, manifest):
    """Every file ``manifest`` lists is in ``out`` with its checksum."""
    for info in (manifest.get("tables") or {}).values():
        path = os.path.join(out, info.get("file", ""))
        if not os.path.isfile(path) or sha256_file(path) != info.get("sha256"):
            return False
    return all(os.path.isfile(os.path.join(out, f)) for f in ("clips.csv", "validation_report.csv"))


def swap_in(staging, out, table_files):
    """Move the staged outputs into ``out`` (tables, clip table, report, then the manifest last).

    Tables of the earlier run (the files its manifest, still in place until the end, lists) that
    this run does not write (force, or the other format) are removed; any other file is left
    alone: mefeat deletes only what it wrote.
    """
    owned = {info.get("file") for info in ((read_manifest(out) or {}).get("tables") or {}).values()}
    os.makedirs(os.path.join(out, "features"), exist_ok=True)
    for rel in sorted(table_files) + ["clips.csv", "validation_report.csv"]:
        os.replace(os.path.join(staging, rel), os.path.join(out, rel))
    for rel in output_files(out):
        if rel.startswith("features") and rel not in table_files and rel in owned:
            os.unlink(os.path.join(out, rel))
    fsync_dir(os.path.join(out, "features"))
    os.replace(os.path.join(staging, MANIFEST), os.path.join(out, MANIFEST))
    fsync_dir(out)


def write_failed_run(out, failures):
    """``<out>/failed_run.json``: the failures of a run that wrote nothing else."""
    try:
        write_json(os.path.join(out, "failed_run.json"), {"created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                       time.gmtime()),
                                                          "failures": failures})
    except OSError as exc:  # pragma: no cover - reported by the caller's error anyway
        log.warning("could not write failed_run.json: %s", exc)


def failure_reasons(failures):
    """``{"stage: ExceptionType": count}`` of the failure dicts of a run."""
    reasons = {}
    for f in failures:
        r = f"{f['stage']}: {f['reason'].split(':')[0]}"
        reasons[r] = reasons.get(r, 0) + 1
    return reasons


def summary(out, manifest, failures, *, up_to_date, n_dropped, report=None):
    """Log what the run wrote (a warning when clips failed, else at INFO)."""
    tables = manifest.get("tables", {})
    reasons = failure_reasons(failures)
    n_failed = len({(f["dataset"], f["subject"], f["clip"]) for f in failures})
    head = "is up to date" if up_to_date else "written"
    fixed = report_counts(report)
    fields = ", ".join(f"{f} {n}" for f, n in fixed["fixed_fields"].items())
    lines = [f"mefeat: {out} {head}: {manifest.get('n_clips')} clips, {len(tables)} feature tables, "
             f"{n_dropped} annotation rows dropped by validation, {fixed['fixed']} kept with fixes"
             f"{f' ({fields})' if fields else ''}; details in validation_report.csv"]
    for t, o in tables.items():
        lines.append(f"  {t:16s} {o['n_clips']:6d} clips x {o['n_features']:6d} features "
                     f"(computed {o['computed']}, cached {o['from_cache']})")
    if n_failed:
        lines.append(f"  {n_failed} clip(s) failed (details: manifest.json 'failures', clips.csv 'status'):")
        for r, c in sorted(reasons.items(), key=lambda kv: -kv[1]):
            example = next(f for f in failures if f"{f['stage']}: {f['reason'].split(':')[0]}" == r)
            lines.append(f"    {c:5d} x {r}  (e.g. {example['clip']}: {example['reason'][:120]})")
    log.warning("\n".join(lines)) if n_failed else log.info("\n".join(lines))

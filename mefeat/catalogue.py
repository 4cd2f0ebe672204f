"""The descriptor catalogue: one entry per descriptor, read by every front door.

Each :class:`DescriptorSpec` binds a descriptor name (``"lbp_top"``) to its scikit-learn
transformer (``mefeat.LBPTOP``), its front function, the prepared input it runs on, a human label
and paper order for tables and figures, a reference and how its numba kernels are compiled ahead
(:class:`WarmUp`). A built-in descriptor declares it in its own module (``mefeat/descriptors/_lbp_top.py``);
a user registers one with :func:`register`. The registry itself is :mod:`mefeat._registry`, which
the warm-up, the labels of the results tables and the lazy exports of :mod:`mefeat` read too.
Everything else is *derived* from the transformer, so it exists once:

- the tunable parameters and their defaults are the transformer's constructor arguments, whose
  defaults are the descriptor function's (``LBPTOP`` <-> :func:`mefeat.descriptors.lbp_top`);
- the validation of a parameter is the transformer's own (``fit`` checks every argument);
- the feature names are the transformer's :meth:`get_feature_names_out`.

The extraction runner (:func:`mefeat.extract_features`), the command line
(``python -m mefeat.extract --list-descriptors``), the comparison and the docs all read this
catalogue; :func:`make_pipeline` builds the scikit-learn pipeline a notebook user runs to get the
same numbers. Adding a descriptor means one :func:`register` call.

Preprocessing stages
--------------------
``face``
    :class:`mefeat.FaceAligner` (dlib landmarks, one similarity transform, square crop); its
    parameters are ``face.<name>``, plus ``face.align`` (False: use the frames as they are).
``magnify``
    :class:`mefeat.MotionMagnifier` (linear Eulerian motion magnification) on the aligned clip,
    before TIM and the key frames; off unless ``magnify.alpha > 0``. Its settings travel with the
    ``tim`` stage's (``Resolved.tim["magnify"]``, present only when on), so that they are part of
    every cache key of the prepared clips; :meth:`Resolved.config` lists them on their own.
``tim``
    :class:`mefeat.TemporalNormalizer` on the aligned clip, uint8 kept uint8 (``tim.n_frames``,
    ``tim.method``).
``flow``
    The optical-flow backend shared by every flow descriptor: ``flow.method`` (default ``tvl1``,
    mefeat's TV-L1 with the Bi-WOOF authors' parameters) and the backend's parameters
    (``flow.epsilon`` ... for TV-L1, ``flow.preset`` for DIS; see
    :data:`mefeat.flow.FLOW_METHODS`).

Inputs
------
``"tim"``
    The aligned, time-normalised clip (the texture descriptors, MDMO and FDM).
``"key_frames"``
    The aligned onset and apex frames (Bi-WOOF and optical strain: one onset->apex flow). Two
    frames give exactly the flow the full aligned clip gives between those frames.
"""

import dataclasses
import inspect

import numpy as np

from mefeat import _registry
from mefeat._config import DEFAULT_FLOW_METHOD
from mefeat._io import jsonable
from mefeat._registry import INPUTS, RUNTIME_PARAMS, DescriptorSpec, WarmUp, default_names, get, names

__all__ = ["DescriptorSpec", "WarmUp", "register", "get", "names", "default_names", "STAGES", "INPUTS", "resolve",
           "Resolved", "make_pipeline", "make_stage", "magnify_settings", "describe", "parse_value", "RUNTIME_PARAMS",
           "Preset", "PRESETS", "get_preset"]

_STAGE_CLASSES = {"face": "mefeat.transformers:FaceAligner", "magnify": "mefeat.transformers:MotionMagnifier",
                  "tim": "mefeat.transformers:TemporalNormalizer"}
#: Stage parameters that are fixed by the pipeline, not tunable.
_STAGE_FIXED = {"face": {"n_jobs", "verbose", "reference"}, "magnify": {"n_jobs", "verbose", "value_range"},
                "tim": {"n_jobs", "verbose", "dtype"}}

#: Preprocessing stages and what they do (parameters: :func:`describe`).
STAGES = {
    "face": "face detection, landmarks and similarity alignment (mefeat.FaceAligner); face.align=False skips it",
    "magnify": "Eulerian motion magnification of the aligned clip (mefeat.MotionMagnifier), before TIM and the key "
               "frames; off unless magnify.alpha > 0",
    "tim": "temporal normalisation of the aligned clip (mefeat.TemporalNormalizer, uint8 kept uint8)",
    "flow": "optical flow shared by the flow descriptors (mefeat.flow.clip_flows); flow.method and its parameters",
}

_resolve_object = _registry.resolve_object
_suggest = _registry.suggest

_registry.load_builtins()
#: The registry (``{name: DescriptorSpec}``), built-in descriptors loaded.
_CATALOGUE = _registry.REGISTRY


def register(spec, *, replace=False):
    """Add a descriptor to the catalogue and return it.

    The descriptor is then everywhere a built-in one is: ``--list-descriptors``, the extraction
    (``--descriptors NAME``), the warm-up when it declares one (``spec.warm_up``), and the results
    tables and figures of the comparison, under ``spec.label``.

    Parameters
    ----------
    spec : DescriptorSpec
    replace : bool, default False
        Replace an entry of the same name (otherwise that is an error).

    Examples
    --------
    >>> from mefeat.catalogue import DescriptorSpec, register
    >>> spec = DescriptorSpec("lbp_top_r2", "mefeat.transformers:LBPTOP", "tim", label="LBP-TOP (R=2)",
    ...                       params={"radii": (2, 2, 2)}, default=False)
    >>> spec.label, spec.parameters()["radii"]
    ('LBP-TOP (R=2)', (2, 2, 2))
    >>> register(spec)          # now python -m mefeat.extract --descriptors lbp_top_r2  # doctest: +SKIP
    """
    return _registry.register(spec, replace=replace, reserved=STAGES)


# --------------------------------------------------------------------------- stages
def _stage_class(stage):
    return _resolve_object(_STAGE_CLASSES[stage])


def _stage_parameters(stage):
    """Tunable parameters of a stage and their defaults."""
    if stage == "flow":
        from mefeat.flow import FLOW_METHODS

        method = DEFAULT_FLOW_METHOD
        return {"method": method, **FLOW_METHODS[method]}
    params = _stage_class(stage)().get_params(deep=False)
    out = {k: v for k, v in params.items() if k not in _STAGE_FIXED[stage]}
    if stage == "face":
        out = {"align": True, **out}
    return out


def make_stage(stage, params=None):
    """The transformer of a preprocessing stage (``"face"``, ``"magnify"`` or ``"tim"``) with ``params``.

    ``face.align`` is not a transformer argument (it says whether the stage runs) and is ignored
    here, as is the ``"magnify"`` entry of the tim settings (see :func:`magnify_settings`); TIM
    keeps uint8 clips uint8 (``dtype="same"``).
    """
    params = {k: v for k, v in (params or {}).items()
              if not ((stage == "face" and k == "align") or (stage == "tim" and k == "magnify"))}
    return _stage_class(stage)(**params)


def magnify_settings(tim):
    """The magnification settings carried by resolved tim settings, or None when magnification is off.

    Parameters
    ----------
    tim : dict
        :attr:`Resolved.tim` (or the runner's plan of it).

    Returns
    -------
    dict or None
        ``{"alpha": ..., "lambda_c": ..., "r1": ..., "r2": ...}`` for :func:`make_stage` ``("magnify", ...)``.
    """
    return (tim or {}).get("magnify") or None


# --------------------------------------------------------------------------- resolution
@dataclasses.dataclass(frozen=True)
class Resolved:
    """Validated descriptor and stage parameters (the output of :func:`resolve`).

    Attributes
    ----------
    tables : dict
        ``{table name: (DescriptorSpec, {parameter: value})}`` with every parameter filled in
        (defaults included); the table name is the descriptor name unless aliased.
    face, tim, flow : dict
        Stage parameters (complete; ``flow["method"]`` plus that backend's parameters). When
        magnification is on, ``tim["magnify"]`` holds its settings (see :attr:`magnify`).
    """

    tables: dict
    face: dict
    tim: dict
    flow: dict

    @property
    def magnify(self):
        """The magnification settings, or None when it is off (``magnify.alpha=0``)."""
        return magnify_settings(self.tim)

    @property
    def stages(self):
        tim = {k: v for k, v in self.tim.items() if k != "magnify"}
        magnify = {"magnify": self.magnify} if self.magnify else {}
        return {"face": self.face, **magnify, "tim": tim, "flow": self.flow}

    def config(self, table):
        """The JSON-able configuration of one table (what its numbers depend on)."""
        spec, params = self.tables[table]
        cfg = {"descriptor": spec.name, "params": _jsonable(params), "input": spec.input,
               "face": _jsonable(self.face)}
        if self.magnify:  # both inputs come from the magnified clip
            cfg["magnify"] = _jsonable(self.magnify)
        if spec.input == "tim":
            cfg["tim"] = _jsonable({k: v for k, v in self.tim.items() if k != "magnify"})
        if spec.uses_flow:
            cfg["flow"] = _jsonable(self.flow)
        return cfg


_jsonable = jsonable  # the one JSON converter (mefeat._io); the extraction reads it from here


def parse_value(text):
    """Parse a command-line parameter value: ``1,1,4`` -> (1, 1, 4), ``0.05``, ``true``, ``none``, ``u2``."""
    text = str(text).strip()
    low = text.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low in ("none", "null"):
        return None
    parts = [p.strip() for p in text.strip("()[]").split(",")] if "," in text else [text]
    vals = []
    for p in parts:
        for cast in (int, float):
            try:
                vals.append(cast(p))
                break
            except ValueError:
                continue
        else:
            vals.append(p)
    return tuple(vals) if len(parts) > 1 else vals[0]


def _split_tables(descriptors):
    """``"default"``/``"all"``/list of ``name`` or ``alias=name`` -> ``{table: spec}``."""
    if descriptors is None or (isinstance(descriptors, str) and descriptors.strip() in ("", "default")):
        items = default_names()
    elif isinstance(descriptors, str) and descriptors.strip() == "all":
        items = names()
    elif isinstance(descriptors, str):
        items = [d.strip() for d in descriptors.split(",") if d.strip()]
    elif isinstance(descriptors, dict):
        items = [f"{k}={v}" for k, v in descriptors.items()]
    else:
        items = [str(d).strip() for d in descriptors]
    if not items:
        raise ValueError("no descriptor requested; choose from " + ", ".join(names()))
    tables = {}
    for item in items:
        table, _, name = item.partition("=")
        table, name = table.strip(), (name or table).strip()
        if not table.isidentifier():
            raise ValueError(f"descriptors: table name {table!r} must be an identifier (letters, digits, _)")
        if table in STAGES:
            raise ValueError(f"descriptors: {table!r} is a preprocessing stage, not a table name")
        if table in tables:
            raise ValueError(f"descriptors: {table!r} is requested twice")
        tables[table] = get(name)
    return tables


def _flatten(params):
    """``{"lbp_top.radii": v}`` and/or ``{"lbp_top": {"radii": v}}`` -> ``[("lbp_top", "radii", v)]``."""
    out = []
    for key, value in (params or {}).items():
        key = str(key)
        if isinstance(value, dict) and "." not in key:
            out.extend((key, k, v) for k, v in value.items())
            continue
        head, dot, tail = key.partition(".")
        if not dot or not head or not tail:
            raise ValueError(f"parameter {key!r}: expected NAME.KEY (e.g. lbp_top.radii or tim.n_frames)")
        out.append((head, tail, value))
    return out


def resolve(descriptors="default", params=None):
    """Validate a descriptor selection and its parameters before any clip is read.

    Parameters
    ----------
    descriptors : "default", "all", str or sequence of str
        Comma-separated or listed names; ``alias=name`` computes descriptor ``name`` into a
        table called ``alias`` (e.g. ``lbp_top_p4=lbp_top`` beside ``lbp_top``).
    params : dict, optional
        ``{"<table or stage>.<parameter>": value}`` or nested ``{"lbp_top": {"radii": ...}}``.
        Stages: ``face``, ``magnify``, ``tim``, ``flow``. Strings are parsed with :func:`parse_value`.

    Returns
    -------
    Resolved

    Raises
    ------
    ValueError
        Unknown descriptor, table or parameter name (with a "did you mean" suggestion), or a
        value the descriptor's or stage's own validation rejects (the message names the
        parameter and what is allowed).
    """
    tables = _split_tables(descriptors)
    given = {name: {} for name in list(tables) + list(STAGES)}
    for head, key, value in _flatten(params):
        if head not in given:
            raise ValueError(f"parameter {head}.{key}: {head!r} is neither a requested descriptor table nor a "
                             f"stage{_suggest(head, given)} (tables: {', '.join(tables)}; stages: "
                             f"{', '.join(STAGES)})")
        if isinstance(value, str):
            value = parse_value(value)
        given[head][key] = value
    # stages
    stage_params = {}
    for stage in ("face", "tim"):
        valid = _stage_parameters(stage)
        _check_keys(stage, given[stage], valid)
        merged = {**valid, **given[stage]}
        if not isinstance(merged.get("align", True), (bool, np.bool_)) and stage == "face":
            raise ValueError(f"parameter face.align must be true or false, got {merged['align']!r}")
        try:
            make_stage(stage, merged).fit()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{_what(stage, given[stage])}: {exc}") from None
        stage_params[stage] = merged
    magnify = _resolve_magnify(given["magnify"])
    if magnify:  # off: the tim settings (and so every key and config) are those of a run without the stage
        stage_params["tim"] = {**stage_params["tim"], "magnify": magnify}
    stage_params["flow"] = _resolve_flow(given["flow"])
    out = {}
    for table, spec in tables.items():
        valid = spec.parameters()
        _check_keys(table, given[table], valid)
        merged = {**valid, **given[table]}
        try:
            _validate_params(spec.make_transformer(merged, flow=stage_params["flow"]))
            spec.feature_names(merged)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{_what(table, given[table])}: {exc}") from None
        out[table] = (spec, merged)
    return Resolved(out, stage_params["face"], stage_params["tim"], stage_params["flow"])


def _validate_params(transformer):
    """Check a transformer's parameters without data.

    mefeat's transformers validate them in ``fit()`` with no data; a user's scikit-learn transformer
    usually needs ``X`` (``fit(self, X, y=None)``) and is checked by the extraction's dry run on a
    synthetic prepared clip instead.
    """
    fit = getattr(transformer, "fit", None)
    if fit is None:
        raise TypeError(f"{type(transformer).__name__} has no fit method: not a scikit-learn transformer")
    try:
        params = inspect.signature(fit).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if not any(p.kind in positional and p.default is inspect.Parameter.empty for p in params):
        fit()


def _resolve_magnify(given):
    """The magnification settings (floats, defaults filled in), or None when ``alpha`` is 0."""
    valid = _stage_parameters("magnify")
    _check_keys("magnify", given, valid)
    merged = {**valid, **given}
    from mefeat.magnify import check_params

    try:
        make_stage("magnify", merged).fit()
        values = check_params(merged["alpha"], merged["lambda_c"], merged["r1"], merged["r2"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{_what('magnify', given)}: {exc}") from None
    settings = dict(zip(("alpha", "lambda_c", "r1", "r2"), values))  # floats: 20 and 20.0 give one cache key
    return settings if settings["alpha"] > 0 else None


def _what(head, given):
    if not given:
        return head
    return ", ".join(f"{head}.{k}={_fmt(v)}" for k, v in given.items())


def _fmt(v):
    if isinstance(v, tuple):
        return ",".join(map(str, v))
    return str(v)


def _check_keys(head, given, valid):
    for key in given:
        if key not in valid:
            raise ValueError(f"parameter {head}.{key}: {head} has no parameter {key!r}{_suggest(key, valid)} "
                             f"(parameters: {', '.join(valid)})")


def _resolve_flow(given):
    from mefeat.flow import FLOW_METHODS

    method = given.get("method", DEFAULT_FLOW_METHOD)
    if method not in FLOW_METHODS:
        raise ValueError(f"parameter flow.method={method}: unknown backend{_suggest(method, FLOW_METHODS)} "
                         f"(backends: {', '.join(FLOW_METHODS)})")
    defaults = FLOW_METHODS[method]
    rest = {k: v for k, v in given.items() if k != "method"}
    for key in rest:
        owners = [m for m, d in FLOW_METHODS.items() if key in d and key not in defaults]
        if owners:
            raise ValueError(f"parameter flow.{key}: a parameter of flow.method={' or '.join(owners)}, not of the "
                             f"method in use ({method!r}, parameters: {', '.join(defaults)}); add "
                             f"flow.method={owners[0]} to use it")
    _check_keys(f"flow (method {method})", rest, defaults)
    for key, value in rest.items():
        default = defaults[key]
        kind = type(default)
        ok = isinstance(value, kind) or (kind is float and isinstance(value, int) and not isinstance(value, bool))
        if isinstance(default, bool) or isinstance(value, bool):
            ok = isinstance(value, bool) == isinstance(default, bool) and ok
        if not ok:
            raise ValueError(f"parameter flow.{key}={_fmt(value)}: must be a {kind.__name__} like the default "
                             f"{default!r} (method {method})")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and (value < 0 or not np.isfinite(value)):
            raise ValueError(f"parameter flow.{key}={value}: must be a finite number >= 0 (method {method})")
    from mefeat.flow import check_flow_params  # the backend's own checks (e.g. DIS presets)

    try:
        check_flow_params(method, rest)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{_what('flow', rest)}: {exc}") from None
    return {"method": method, **defaults, **{k: (float(v) if isinstance(defaults[k], float) else v)
                                             for k, v in rest.items()}}


# --------------------------------------------------------------------------- pipelines and docs
def make_pipeline(descriptor, params=None, *, face=None, magnify=None, tim=None, flow=None, classifier=None,
                  preset=None, **runtime):
    """The scikit-learn pipeline that computes ``descriptor`` exactly as the extraction runner does.

    ``FaceAligner -> [MotionMagnifier ->] TemporalNormalizer -> <descriptor>`` for ``input="tim"``
    descriptors, ``FaceAligner -> [MotionMagnifier ->] <descriptor>`` for ``input="key_frames"``
    ones, optionally followed by a classifier. The steps are named ``face``, ``magnify`` (only
    when magnification is on), ``tim``, ``<descriptor name>`` and ``clf``.

    Parameters
    ----------
    descriptor : str
    params : dict, optional
        Descriptor parameters (defaults: the catalogue's).
    face, magnify, tim, flow : dict, optional
        Stage parameters as in :func:`resolve` (``face={"size": 128}``, ``magnify={"alpha": 20}``,
        ``flow={"method": "dis"}``).
    classifier : estimator, optional
        E.g. ``mefeat.compare.make_classifier(get_preset("li2018").classifier)``.
    preset : str, optional
        A :data:`PRESETS` name: its stage and descriptor parameters are the starting point, the
        other arguments override them; ``descriptor`` must be one of the preset's.
    **runtime
        ``n_jobs``, ``verbose`` for every clip step.

    Returns
    -------
    sklearn.pipeline.Pipeline

    Examples
    --------
    >>> from mefeat.catalogue import make_pipeline
    >>> [name for name, _ in make_pipeline("bi_woof").steps]
    ['face', 'bi_woof']
    >>> [name for name, _ in make_pipeline("hog_top", preset="li2018").steps]
    ['face', 'magnify', 'tim', 'hog_top']
    """
    from sklearn.pipeline import Pipeline

    base = {}
    if preset is not None:
        chosen = get_preset(preset)
        if descriptor not in chosen.descriptors:
            raise ValueError(f"preset {chosen.name!r} computes {', '.join(chosen.descriptors)}, not {descriptor!r}")
        base = chosen.request([descriptor])[1]
    res = resolve([descriptor], {**base,
                                 **{f"{descriptor}.{k}": v for k, v in (params or {}).items()},
                                 **{f"face.{k}": v for k, v in (face or {}).items()},
                                 **{f"magnify.{k}": v for k, v in (magnify or {}).items()},
                                 **{f"tim.{k}": v for k, v in (tim or {}).items()},
                                 **{f"flow.{k}": v for k, v in (flow or {}).items()}})
    spec, merged = res.tables[descriptor]
    clip_runtime = {k: v for k, v in runtime.items() if k in ("n_jobs", "verbose")}
    steps = []
    if res.face.get("align", True):
        steps.append(("face", make_stage("face", res.face).set_params(**clip_runtime)))
    if res.magnify:
        steps.append(("magnify", make_stage("magnify", res.magnify).set_params(**clip_runtime)))
    if spec.input == "tim":
        steps.append(("tim", make_stage("tim", res.tim)))
    steps.append((spec.name, spec.make_transformer(merged, flow=res.flow, **runtime)))
    if classifier is not None:
        steps.append(("clf", classifier))
    return Pipeline(steps)


# --------------------------------------------------------------------------- presets
@dataclasses.dataclass(frozen=True)
class Preset:
    """A published recognition pipeline by name: its descriptors, parameters and classifier.

    Parameters
    ----------
    name : str
        ``python -m mefeat.extract --preset NAME``, ``make_pipeline(..., preset=NAME)``.
    descriptors : tuple of str
        Catalogue names of the descriptors it computes (one table each).
    params : dict
        ``{"<stage or descriptor>.<parameter>": value}`` that differ from mefeat's defaults.
    classifier : str
        The paper's classifier as a :func:`mefeat.compare.make_classifier` name.
    summary, reference : str
    notes : str
        What is taken from the paper and what is mefeat's default.
    """

    name: str
    descriptors: tuple
    params: dict
    classifier: str
    summary: str = ""
    reference: str = ""
    notes: str = ""

    def request(self, descriptors=None, params=None):
        """The ``(descriptors, params)`` to pass to :func:`resolve` or :func:`mefeat.extract_features`.

        Parameters
        ----------
        descriptors : str or sequence of str, optional
            Tables to compute instead of the preset's (``"default"`` or None: the preset's).
        params : dict, optional
            Parameters given on top of the preset's (they win).

        Returns
        -------
        descriptors : list of str
        params : dict
            The preset's parameters for the stages and the requested tables, updated with ``params``.
        """
        if descriptors is None or (isinstance(descriptors, str) and descriptors.strip() in ("", "default")):
            descriptors = list(self.descriptors)
        tables = set(_split_tables(descriptors))
        own = {}
        for head, key, value in _flatten(self.params):
            if head in STAGES or head in tables:
                own[f"{head}.{key}"] = value
        user = {f"{h}.{k}": v for h, k, v in _flatten(params)}
        return (descriptors if isinstance(descriptors, str) else list(descriptors)), {**own, **user}


#: Named pipelines of published papers (``--preset``); see :class:`Preset`.
PRESETS = {
    "li2018": Preset(
        "li2018", ("lbp_top", "hog_top", "higo_top"), {"magnify.alpha": 20.0}, "svm-linear",
        summary="Li et al.'s recognition pipeline: face alignment -> Eulerian motion magnification -> TIM -> "
                "LBP-TOP / HOG-TOP / HIGO-TOP -> linear SVM",
        reference="Li et al., IEEE TAFFC 9(4), 2018, doi:10.1109/TAFFC.2017.2667642",
        notes="from the paper: the order of the stages, the three descriptors and the linear SVM; the magnification "
              "is MIT's linear method with its IIR band-pass (r1 0.4, r2 0.05) and lambda_c 16, as used in the "
              "micro-expression literature; alpha 20 is ELBPTOP's value for CASME II and SAMM (use "
              "--param magnify.alpha=8 for SMIC); alignment, TIM length and the descriptors' blocks and radii are "
              "mefeat's defaults (the paper's own values were not verified)"),
}


def get_preset(name):
    """The :class:`Preset` named ``name``.

    Raises
    ------
    ValueError
        Unknown name (with the closest and the known ones).
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}{_suggest(name, PRESETS)} (known: {', '.join(PRESETS)})") from None


#: Units of the parameters whose number means nothing without one (shown by ``--list-descriptors``).
PARAM_UNITS = {"max_angle": "radians", "brow_offset": "px", "size": "px", "lambda_c": "px",
               "margin": "share of the crop on each side"}


def _param_line(indent, key, name, value):
    unit = PARAM_UNITS.get(name)
    return f"{indent}--param {key}.{name}={_fmt(value)}" + (f"  ({unit})" if unit else "")


def describe():
    """Every descriptor and stage with its parameters and defaults, as text (``--list-descriptors``)."""
    w = max(len(n) for n in [*names(), *STAGES, *PRESETS]) + 1
    pad = " " * (w + 3)
    lines = ["Descriptors (python -m mefeat.extract --descriptors NAME[,NAME...]; * = default):", ""]
    for name in names():
        spec = _CATALOGUE[name]
        lines.append(f"{'*' if spec.default else ' '} {name:{w}s} {spec.label} -- {spec.summary}")
        lines.append(f"{pad}input: {INPUTS[spec.input]}{'; uses the flow stage' if spec.uses_flow else ''}")
        for k, v in spec.parameters().items():
            lines.append(_param_line(pad, name, k, v))
        lines.append(f"{pad}{spec.reference}")
    lines += ["", "Preprocessing stages:", ""]
    for stage, text in STAGES.items():
        lines.append(f"  {stage:{w}s} {text}")
        for k, v in _stage_parameters(stage).items():
            lines.append(_param_line(pad, stage, k, v))
    lines += ["", "Presets (python -m mefeat.extract --preset NAME; --descriptors and --param override):", ""]
    for name, p in PRESETS.items():
        lines.append(f"  {name:{w}s} {p.summary}")
        lines.append(f"{pad}descriptors {','.join(p.descriptors)}; classifier {p.classifier}; "
                     + " ".join(f"--param {k}={_fmt(v)}" for k, v in p.params.items()))
        lines.append(f"{pad}{p.reference}")
    return "\n".join(lines)


def markdown_table():
    """The descriptor parameters as a Markdown table (used for the README)."""
    rows = ["| descriptor | name | input | features | parameters (defaults) |", "|---|---|---|---|---|"]
    for name in names():
        spec = _CATALOGUE[name]
        params = ", ".join(f"`{k}={_fmt(v)}`" for k, v in spec.parameters().items())
        rows.append(f"| {spec.label} | `{name}`{'' if spec.default else ' (not default)'} | {INPUTS[spec.input]} | "
                    f"{len(spec.feature_names())} | {params} |")
    for stage in STAGES:
        params = ", ".join(f"`{k}={_fmt(v)}`" for k, v in _stage_parameters(stage).items())
        rows.append(f"| stage | `{stage}` | | | {params} |")
    return "\n".join(rows)


def source_of(spec):
    """Source of the module defining a descriptor's transformer (fingerprints custom descriptors).

    The whole module file, read from disk, so that an edit anywhere in it (a helper, a constant)
    invalidates cached results; the class source when there is no file (a notebook cell).
    """
    cls = spec.transformer_class
    try:
        path = inspect.getsourcefile(cls)
        if path:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
    except (OSError, TypeError):
        pass
    try:
        return inspect.getsource(cls)
    except (OSError, TypeError):
        return repr(cls)

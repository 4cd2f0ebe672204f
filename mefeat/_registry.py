"""The descriptor registry: one declaration per descriptor, read by every part of mefeat.

A descriptor is declared once, by a :class:`DescriptorSpec` that its own module registers (the
built-in ones in ``mefeat/descriptors/_<name>.py``, beside their front function; a user's from a
notebook with :func:`mefeat.catalogue.register`). The declaration carries the front function, the
scikit-learn transformer, the prepared input, the label and paper order of the results tables, the
reference, and how to compile its numba kernels ahead of the first clip (:class:`WarmUp`). Everything
else derives from the registry:

- :func:`mefeat.descriptors.warm_up` and the extraction's compile-ahead (kernels, compile costs,
  warm-up inputs, the descriptors that share compiled code);
- :mod:`mefeat.evaluation.labels` (labels, spellings and row order of the methods), hence every
  comparison table and figure;
- the lazy exports of :mod:`mefeat` (each built-in's function and transformer);
- the catalogue (:mod:`mefeat.catalogue`: parameters, feature names, ``--list-descriptors``).

Standard library only at import time: the built-in declarations are loaded on first use (importing
:mod:`mefeat.descriptors`, NumPy only) and a transformer named by a ``"module:Class"`` string is
imported when it is needed, so reading labels or the compile plan imports no scikit-learn.
"""

import dataclasses
import importlib

__all__ = ["DescriptorSpec", "WarmUp", "INPUTS", "RUNTIME_PARAMS", "REGISTRY", "KERNEL_WARM_UPS", "register",
           "register_warm_up", "get", "names", "specs", "default_names", "warm_ups", "load_builtins", "resolve_object",
           "suggest", "exports"]

#: Constructor arguments of a transformer that say how to run, not what to compute.
RUNTIME_PARAMS = frozenset({"n_jobs", "verbose", "memory", "flow_method", "flow_params"})

#: The prepared inputs a descriptor can run on (see :mod:`mefeat.catalogue`).
INPUTS = {
    "tim": "aligned, time-normalised clip (uint8)",
    "key_frames": "aligned onset and apex frames",
}

#: Every registered descriptor: name -> :class:`DescriptorSpec` (use :func:`specs` or :func:`get`, which
#: load the built-in declarations first).
REGISTRY = {}

#: Compile units that are no descriptor: warm-up name -> :class:`WarmUp` (``"tvl1"``, the default optical
#: flow's kernel, which every flow descriptor runs first, declared by :mod:`mefeat.flow`).
KERNEL_WARM_UPS = {}

#: The modules whose import registers the built-in declarations (each registers its own).
_BUILTIN_MODULES = ("mefeat.descriptors", "mefeat.flow")


def resolve_object(ref):
    """``ref`` itself, or the object a ``"module:attribute"`` string names (imported now)."""
    if isinstance(ref, str):
        module, _, attr = ref.partition(":")
        return getattr(importlib.import_module(module), attr)
    return ref


def suggest(word, candidates):
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""``."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclasses.dataclass(frozen=True)
class WarmUp:
    """How a descriptor's numba kernels are compiled ahead of its first clip.

    Parameters
    ----------
    call : callable
        Runs the descriptor's front function once on a tiny input of the argument types the
        extraction passes (uint8 clips, float32 flows), so that numba compiles (or loads from its
        disk cache) exactly the specialisations the run uses. Takes no argument.
    kernels : tuple of str
        The numba kernels that call compiles, as ``"module.function"`` of :mod:`mefeat._kernels` or
        ``"package.module:function"`` for a kernel outside mefeat: what
        :func:`mefeat.descriptors._warm_up.kernels_cached` looks up in numba's disk cache.
    seconds : float
        Typical cold compile seconds (quoted by the compile notice and used to balance the compile
        over worker processes).
    shared : str, optional
        Code compiled together with another descriptor's (e.g. ``"flow._strain_row"``, a helper both
        kernels inline): descriptors with the same ``shared``, or with a kernel in common, compile in
        one process and count their cost once.
    """

    call: object
    kernels: tuple = ()
    seconds: float = 1.0
    shared: str = ""

    def __post_init__(self):
        if not callable(self.call):
            raise TypeError(f"WarmUp.call must be callable, got {type(self.call).__name__}")
        if isinstance(self.kernels, str):
            raise TypeError(f"WarmUp.kernels must be a tuple of names, got the string {self.kernels!r}")
        object.__setattr__(self, "kernels", tuple(self.kernels))


@dataclasses.dataclass(frozen=True)
class DescriptorSpec:
    """The declaration of one descriptor (one table of the extraction).

    Parameters
    ----------
    name : str
        Identifier used on the command line, in table file names and in parameter keys
        (``--param lbp_top.radii=1,1,4``).
    transformer : type or str
        A scikit-learn transformer class mapping a list of :class:`mefeat.Clip` to an
        ``(n_clips, n_features)`` matrix with ``get_feature_names_out`` (or ``"module:Class"``).
        Its keyword arguments minus :data:`RUNTIME_PARAMS` are the descriptor's parameters, and
        its ``get_feature_names_out`` gives the feature names.
    input : {"tim", "key_frames"}
        The prepared clip it runs on (:data:`INPUTS`).
    label : str, optional
        Human label for tables and figures (default: the name); results tables and figures print it
        (:func:`mefeat.evaluation.labels.method_label`).
    summary : str
    reference : str
        Citation with DOI.
    default : bool, default True
        Part of the default descriptor set.
    params : dict, optional
        Parameters of this entry that differ from the transformer's defaults (a named
        configuration such as the MEGC 2019 LBP-TOP baseline).
    kernels : tuple of str, optional
        The warm-up names (:func:`mefeat.descriptors.warm_up`) whose kernels its run compiles: its own
        (default, when it declares ``warm_up``) or another entry's (a named configuration), and
        ``"tvl1"``, the default flow's kernel, for a flow descriptor (a run with another
        ``flow.method`` skips it).
    function : callable or str, optional
        The front function (array in, feature vector out) that the transformer maps over the clips
        (``"module:function"`` or the function); exported by :mod:`mefeat` for a built-in.
    order : float, optional
        Position in the paper's row order of the results tables; None (a user's descriptor): after the
        built-in ones, by name.
    aliases : tuple of str, optional
        Other spellings the labels accept (a short form such as ``"strain"``).
    warm_up : WarmUp, optional
        How to compile its numba kernels ahead of time; None when it has none of its own.
    """

    name: str
    transformer: object
    input: str
    label: str = ""
    summary: str = ""
    reference: str = ""
    default: bool = True
    params: dict = dataclasses.field(default_factory=dict)
    kernels: tuple = ()
    function: object = None
    order: float = None
    aliases: tuple = ()
    warm_up: WarmUp = None

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"descriptor name must be an identifier (letters, digits, _), got {self.name!r}")
        if self.input not in INPUTS:
            raise ValueError(f"descriptor {self.name!r}: input must be one of {sorted(INPUTS)}, got {self.input!r}")
        if self.warm_up is not None and not isinstance(self.warm_up, WarmUp):
            raise TypeError(f"descriptor {self.name!r}: warm_up must be a WarmUp, got {type(self.warm_up).__name__}")
        for field in ("kernels", "aliases"):
            if isinstance(getattr(self, field), str):
                raise TypeError(f"descriptor {self.name!r}: {field} must be a tuple of names, got a string")
        if not self.label:
            object.__setattr__(self, "label", self.name)
        if not self.kernels and self.warm_up is not None:
            object.__setattr__(self, "kernels", (self.name,))
        object.__setattr__(self, "kernels", tuple(self.kernels))
        object.__setattr__(self, "aliases", tuple(self.aliases))

    @property
    def transformer_class(self):
        """The transformer class (imported on first use)."""
        return resolve_object(self.transformer)

    @property
    def front_function(self):
        """The front function (imported on first use), or None when none is declared."""
        return resolve_object(self.function)

    @property
    def uses_flow(self):
        """True when the transformer computes optical flows (takes ``flow_method``)."""
        return "flow_method" in self.transformer_class().get_params(deep=False)

    def parameters(self):
        """The tunable parameters and their defaults, ``{name: default}``."""
        params = self.transformer_class().get_params(deep=False)
        out = {k: v for k, v in params.items() if k not in RUNTIME_PARAMS}
        unknown = sorted(set(self.params) - set(out))
        if unknown:
            raise ValueError(f"descriptor {self.name!r}: {self.transformer_class.__name__} has no parameter "
                             f"{', '.join(unknown)}")
        return {**out, **self.params}

    def make_transformer(self, params=None, *, flow=None, **runtime):
        """The transformer with ``params`` (descriptor parameters) and the shared ``flow`` settings.

        Parameters
        ----------
        params : dict, optional
        flow : dict, optional
            ``{"method": ..., <backend parameter>: ...}`` (flow descriptors only).
        **runtime
            ``n_jobs``, ``verbose``, ``memory``.
        """
        kwargs = dict(params or {})
        if flow is not None and self.uses_flow:
            flow = dict(flow)
            method = flow.pop("method", None)
            if method is not None:
                kwargs["flow_method"] = method
            kwargs["flow_params"] = flow or None
        cls = self.transformer_class
        valid = cls().get_params(deep=False)
        kwargs.update({k: v for k, v in runtime.items() if k in valid})
        return cls(**kwargs)

    def feature_names(self, params=None):
        """Feature names for ``params`` (default: the entry's parameters)."""
        params = self.parameters() if params is None else params
        return [str(n) for n in self.make_transformer(params).get_feature_names_out()]


def register(spec, *, replace=False, reserved=()):
    """Add a descriptor to the registry and return it (:func:`mefeat.catalogue.register` is the public door).

    Parameters
    ----------
    spec : DescriptorSpec
    replace : bool, default False
        Replace an entry of the same name (otherwise that is an error).
    reserved : collection of str
        Names that are taken by something else (the catalogue's preprocessing stages).
    """
    if not isinstance(spec, DescriptorSpec):
        raise TypeError(f"register takes a DescriptorSpec, got {type(spec).__name__}")
    if spec.name in REGISTRY and not replace:
        raise ValueError(f"descriptor {spec.name!r} is already registered; pass replace=True to replace it")
    if spec.name in reserved:
        raise ValueError(f"{spec.name!r} is the name of a preprocessing stage; choose another name")
    if spec.name in KERNEL_WARM_UPS:
        raise ValueError(f"{spec.name!r} is the warm-up name of the kernels of {spec.name}; choose another name")
    REGISTRY[spec.name] = spec
    return spec


def register_warm_up(name, warm_up):
    """Declare a compile unit that is no descriptor (:data:`KERNEL_WARM_UPS`) and return ``warm_up``."""
    if not isinstance(warm_up, WarmUp):
        raise TypeError(f"register_warm_up takes a WarmUp, got {type(warm_up).__name__}")
    if name in KERNEL_WARM_UPS or name in REGISTRY:
        raise ValueError(f"warm-up name {name!r} is already declared")
    KERNEL_WARM_UPS[name] = warm_up
    return warm_up


def load_builtins():
    """Register the built-in declarations (imports :mod:`mefeat.descriptors` and :mod:`mefeat.flow` once;
    NumPy only)."""
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


def _order(spec):
    return (spec.order is None, spec.order if spec.order is not None else 0, spec.name)


def specs():
    """Every registered :class:`DescriptorSpec`, in the paper's row order (a user's after, by name)."""
    load_builtins()
    return sorted(REGISTRY.values(), key=_order)


def names():
    """Names of every registered descriptor, in the paper's row order (a user's last, by name)."""
    return [s.name for s in specs()]


def default_names():
    """Names of the default descriptors, in the paper's row order."""
    return [s.name for s in specs() if s.default]


def warm_ups():
    """``{warm-up name: WarmUp}``: each registered descriptor's that declares one, in the paper's order, then
    the compile units that are no descriptor (:data:`KERNEL_WARM_UPS`)."""
    out = {spec.name: spec.warm_up for spec in specs() if spec.warm_up is not None}
    out.update(KERNEL_WARM_UPS)
    return out


def get(name):
    """The :class:`DescriptorSpec` named ``name``.

    Raises
    ------
    ValueError
        Unknown name (the message suggests the closest and lists the known ones).
    """
    load_builtins()
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown descriptor {name!r}{suggest(name, REGISTRY)} "
                         f"(known: {', '.join(REGISTRY)})") from None


def exports():
    """``{public name: module}`` of the built-in descriptors' front functions and transformers.

    What :mod:`mefeat` exports lazily (``mefeat.<function>``, ``mefeat.<Transformer>``): the functions from
    :mod:`mefeat.descriptors`, the transformers from :mod:`mefeat.transformers`. Only built-in
    declarations (a function defined in :mod:`mefeat.descriptors`, a transformer named
    ``"mefeat.transformers:Class"``) count; a user's descriptor is reached through its own module.
    """
    out = {}
    for spec in specs():
        function = spec.function
        if callable(function) and getattr(function, "__module__", "").startswith("mefeat.descriptors."):
            out[function.__name__] = "mefeat.descriptors"
        if isinstance(spec.transformer, str) and spec.transformer.startswith("mefeat.transformers:"):
            out[spec.transformer.partition(":")[2]] = "mefeat.transformers"
    return out

"""Descriptor front functions: array in, 1-D float64 feature vector out.

Each function validates its input, maps string options to integer codes and calls a
private numba kernel from :mod:`mefeat._kernels`. The descriptor modules import only
numpy at module level (kernels are imported inside the functions), so importing this
package compiles nothing and loads no numba.

Each descriptor module also declares its descriptor (:class:`mefeat.catalogue.DescriptorSpec`:
its function, transformer, label and paper order, reference, kernels and warm-up input) and
registers it when imported: importing this package registers the built-in descriptors, and every
other part of mefeat (the catalogue, the warm-up, the labels of the results tables, the lazy exports
of :mod:`mefeat`) reads them from that registry.

The functions live in private modules (``_lbp_top.py`` ...), as skimage keeps ``hog`` in
``_hog.py``: a public module named like its function would shadow the function
(``import mefeat.descriptors.lbp_top`` sets the package attribute to the module).

The kernels are compiled by numba at their first call and cached on disk, once per environment;
:func:`warm_up` compiles them ahead of time (call it before starting worker processes).
"""

from mefeat.descriptors._bi_woof import bi_woof, bi_woof_feature_names, bi_woof_n_features
from mefeat.descriptors._fdm import fdm, fdm_feature_names, fdm_n_features
from mefeat.descriptors._hog_top import higo_top, hog_top, hog_top_feature_names, hog_top_n_features
from mefeat.descriptors._lbp_top import lbp_top, lbp_top_feature_names, lbp_top_n_features
from mefeat.descriptors._mdmo import mdmo, mdmo_feature_names
from mefeat.descriptors._strain import optical_strain, optical_strain_feature_names, optical_strain_features
from mefeat.descriptors._warm_up import warm_up

__all__ = [
    "bi_woof",
    "bi_woof_feature_names",
    "bi_woof_n_features",
    "fdm",
    "fdm_feature_names",
    "fdm_n_features",
    "higo_top",
    "hog_top",
    "hog_top_feature_names",
    "hog_top_n_features",
    "lbp_top",
    "lbp_top_feature_names",
    "lbp_top_n_features",
    "mdmo",
    "mdmo_feature_names",
    "optical_strain",
    "optical_strain_feature_names",
    "optical_strain_features",
    "warm_up",
]

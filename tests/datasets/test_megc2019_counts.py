"""MEGC 2019 composite on realistic-size synthetic sheets shaped like the real ones (issue 10)."""

import pytest

from mefeat.datasets import load_megc2019, load_smic
from mefeat.datasets.megc2019 import subject_key
from tests.datasets import _fixtures as fx


@pytest.fixture(scope="module")
def real_like(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("megc")
    c_root, c_ann, c_gt = fx.megc_casme2(tmp)
    s_root, s_ann, s_gt = fx.megc_samm(tmp)
    m_root, m_ann, m_gt = fx.megc_smic(tmp)
    kw = dict(casme2_root=c_root, casme2_annotations=c_ann, samm_root=s_root, samm_annotations=s_ann,
              smic_root=m_root, smic_annotations=m_ann)
    return tmp, kw, c_gt + s_gt + m_gt


def _counts(ds):
    return ds.table["emotion"].value_counts().to_dict()


def test_fixture_is_shaped_like_the_real_gt(real_like):
    _, _, gt = real_like
    assert len(gt) == 442 and len({(db, subject_key(s)) for db, s, _, _ in gt}) == 68
    assert sum(1 for g in gt if g[0] == "samm" and g[2] == "032_3_1") == 1


def test_gt_gives_442_clips_68_groups(real_like):
    tmp, kw, gt = real_like
    ds = load_megc2019(**kw, gt=fx.write_gt(tmp / "combined_3class_gt.csv", gt))
    assert len(ds) == 442
    assert _counts(ds) == {"negative": 250, "positive": 109, "surprise": 83}
    assert len(set(ds.groups)) == 68
    assert ds.table["dataset"].value_counts().to_dict() == {"smic": 164, "casme2": 145, "samm": 133}
    rep = ds.validation_report
    gt_rows = rep[rep["field"] == "gt"]
    # every GT row found its clip: only the clips outside the GT are reported
    assert (gt_rows["reason"] == "clip not in the MEGC 2019 ground truth").all()
    assert len(gt_rows) == (255 - 145) + (159 - 133)


def test_second_gt_copy_with_blank_lines_gives_441(real_like):
    tmp, kw, gt = real_like
    rows = [g for g in gt if not (g[0] == "samm" and g[2] == "032_3_1")]
    path = fx.write_gt(tmp / "combined_3class_gt-2.csv", rows, header=False, blank_lines=(0, 100, 300))
    assert path.read_text().count(",,,\n") == 3
    ds = load_megc2019(**kw, gt=path)
    assert len(ds) == 441 and _counts(ds) == {"negative": 249, "positive": 109, "surprise": 83}
    assert "032_3_1" not in set(ds.table["clip"])


def test_merge_rule_without_gt_drops_every_others_clip(real_like):
    """Under pandas 3 the dropped class used to come back as NaN (not None) and was kept."""
    _, kw, _ = real_like
    ds = load_megc2019(**kw)
    assert ds.table["emotion"].isin(["negative", "positive", "surprise"]).all()
    assert all(isinstance(e, str) for e in ds.y)
    merged_out = ds.validation_report.query("reason == 'class not in the MEGC 2019 merge'")
    assert len(merged_out) == 125 and set(merged_out["raw"]) == {"others"}
    # 255 - 99 CASME II (fear/sadness/repression are negative), 159 - 26 SAMM, 164 SMIC
    assert len(ds) == 156 + 133 + 164


def test_official_smic_sheet_in_the_composite(real_like, tmp_path):
    """The official HS sheet names 157 of the 164 GT clips, some with a second segment: 157 SMIC clips match."""
    tmp, kw, gt = real_like
    smic = load_smic(kw["smic_root"], kw["smic_annotations"])
    rows = []
    for k, r in enumerate(smic.table.itertuples()):
        if k >= 157:
            break
        n = int(r.subject[1:])
        seg2 = (int(r.onset) + 22, int(r.onset) + 28) if k < 8 else None
        rows.append(fx.smic_hs_row(n, r.clip, int(r.onset), int(r.onset) + 20, r.emotion, seg2=seg2))
    book = fx.write_workbook(tmp_path / "SMIC-HS-E_annotation.xlsx", {
        "HS": (fx.SMIC_HS_COLUMNS, rows), "VIS": (fx.SMIC_VIS_COLUMNS, []), "Sheet2": (None, []),
        "Sheet3": (None, [])})
    ds = load_megc2019(**dict(kw, smic_annotations=book), gt=fx.write_gt(tmp_path / "gt.csv", gt))
    assert ds.table["dataset"].value_counts().to_dict() == {"casme2": 145, "samm": 133, "smic": 157}
    rep = ds.validation_report
    assert (rep["field"] == "gt").sum() >= 7 + 8  # 7 GT rows without a clip, 8 second segments not in the GT
    assert rep[(rep["field"] == "gt") & rep["clip"].str.endswith("_seg2")].shape[0] == 8

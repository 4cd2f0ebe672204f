"""Subject-level statistics against hand-computed cases, exact enumerations and independent computations."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from mefeat.evaluation import metrics, stats
from mefeat.evaluation.stats import (
    bootstrap_ci,
    bootstrap_distribution,
    chance_level,
    holm,
    leak_audit,
    paired_test,
    paired_test_results,
    permutation_chance,
    subject_scores,
)

METRICS = list(metrics.METRICS)


def _scores(y, p, labels=None):
    s = metrics.mer_scores(y, p, labels=labels)
    return np.array([s[m] for m in METRICS])


# --------------------------------------------------------------------------- the batch scores
@pytest.mark.parametrize("seed", range(30))
def test_batch_scores_agree_with_metrics(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 8))
    cm = rng.integers(0, 6, size=(k, k))
    cm[rng.random(k) < 0.3] = 0  # classes without a true sample
    cm[:, rng.random(k) < 0.3] = 0  # classes never predicted
    ref = metrics.scores_from_confusion(cm)
    np.testing.assert_allclose(stats._scores_batch(cm), [ref[m] for m in METRICS], rtol=0, atol=1e-12)
    # and many at once
    many = rng.integers(0, 4, size=(5, k, k))
    np.testing.assert_allclose(stats._scores_batch(many),
                               [[metrics.scores_from_confusion(c)[m] for m in METRICS] for c in many],
                               rtol=0, atol=1e-12)


def test_batch_scores_empty_matrix_is_nan():
    assert np.isnan(stats._scores_batch(np.zeros((3, 3)))).all()


# --------------------------------------------------------------------------- bootstrap
# three subjects with clips of classes 0/1/2; subject "c" carries the only class-2 clips
TOY_Y = [0, 1, 0, 1, 2, 2, 0]
TOY_P = [0, 1, 0, 0, 2, 1, 1]
TOY_G = ["a", "a", "b", "b", "c", "c", "c"]


def _exact_bootstrap(y, p, g, labels):
    """Every ordered draw of n subjects from n, scored by metrics.mer_scores: {score tuple: probability}."""
    y, p, g = map(np.asarray, (y, p, g))
    subjects = sorted(set(g.tolist()))
    n = len(subjects)
    dist = {}
    for draw in itertools.product(subjects, repeat=n):
        idx = np.concatenate([np.flatnonzero(g == s) for s in draw])
        key = tuple(np.round(_scores(y[idx], p[idx], labels), 12))
        dist[key] = dist.get(key, 0) + 1 / n ** n
    return dist


def test_bootstrap_matches_exact_enumeration():
    exact = _exact_bootstrap(TOY_Y, TOY_P, TOY_G, [0, 1, 2])
    assert sum(exact.values()) == pytest.approx(1)
    b = 40000
    d = bootstrap_distribution(TOY_Y, TOY_P, TOY_G, n_resamples=b, random_state=1)
    got = {}
    for row in np.round(d, 12):
        got[tuple(row)] = got.get(tuple(row), 0) + 1 / b
    assert set(got) <= set(exact)  # every resample is a possible resample, scored like metrics.py
    for key, prob in exact.items():
        se = math.sqrt(prob * (1 - prob) / b)
        assert got.get(key, 0) == pytest.approx(prob, abs=5 * se + 1e-12), key
    # the percentile interval equals the quantiles of the exact distribution (levels inside atoms)
    ci = bootstrap_ci(TOY_Y, TOY_P, TOY_G, n_resamples=b, random_state=1, confidence_level=0.9)
    for j, m in enumerate(METRICS):
        atoms = sorted({k[j] for k in exact})
        cdf = np.cumsum([sum(pr for k, pr in exact.items() if k[j] == a) for a in atoms])
        lo = atoms[int(np.searchsorted(cdf, 0.05))]
        hi = atoms[int(np.searchsorted(cdf, 0.95))]
        assert min(abs(cdf - 0.05).min(), abs(cdf - 0.95).min()) > 0.01  # not on a jump
        assert ci.loc[m, "ci_low"] == pytest.approx(lo, abs=1e-12)
        assert ci.loc[m, "ci_high"] == pytest.approx(hi, abs=1e-12)


def test_bootstrap_accuracy_by_hand():
    # a: 2/2 right, b: 1/2, c: 1/2 -> ACC* = (3 + X) / 6, X ~ Bin(3, 1/3):
    # P = 8/27 (1/2), 12/27 (2/3), 6/27 (5/6), 1/27 (1)
    y, p, g = [0, 1, 0, 1, 0, 1], [0, 1, 0, 0, 1, 1], ["a", "a", "b", "b", "c", "c"]
    d = bootstrap_distribution(y, p, g, n_resamples=30000, random_state=3)[:, METRICS.index("acc")]
    for value, prob in [(1 / 2, 8 / 27), (2 / 3, 12 / 27), (5 / 6, 6 / 27), (1.0, 1 / 27)]:
        assert np.mean(np.isclose(d, value)) == pytest.approx(prob, abs=0.01)
    ci = bootstrap_ci(y, p, g, n_resamples=30000, random_state=3)
    assert ci.loc["acc", "estimate"] == pytest.approx(4 / 6)
    assert (ci.loc["acc", "ci_low"], ci.loc["acc", "ci_high"]) == pytest.approx((0.5, 1.0))
    se = math.sqrt(sum(pr * ((3 + x) / 6 - (3 + 1) / 6) ** 2 for x, pr in enumerate([8 / 27, 12 / 27, 6 / 27, 1 / 27])))
    assert ci.loc["acc", "se"] == pytest.approx(se, rel=0.03)


def test_absent_class_rule_and_share():
    # class 2 only in subject c: resamples without c (prob (2/3)^3 = 8/27) miss it; c has no class 1,
    # so the resample (c, c, c) (prob 1/27) misses class 1: 9/27 in all
    ci = bootstrap_ci(TOY_Y, TOY_P, TOY_G, n_resamples=30000, random_state=0)
    assert ci.loc["uf1", "share_class_absent"] == pytest.approx(9 / 27, abs=0.01)
    d = bootstrap_distribution(TOY_Y, TOY_P, TOY_G, n_resamples=200, random_state=0)
    # a resample of a and b only (twice a, once b): metrics.py on those clips, class 2 left out
    y, p, g = map(np.asarray, (TOY_Y, TOY_P, TOY_G))
    idx = np.concatenate([np.flatnonzero(g == s) for s in ("a", "a", "b")])
    expected = _scores(y[idx], p[idx], [0, 1, 2])
    assert expected[0] != pytest.approx(_scores_fixed_class_list(y[idx], p[idx], 3)[0])  # the rules differ here
    assert any(np.allclose(row, expected) for row in d)


def _scores_fixed_class_list(y, p, k):
    from sklearn.metrics import f1_score

    return [f1_score(y, p, labels=list(range(k)), average="macro", zero_division=0)]


def test_bootstrap_degenerate_interval_is_exact():
    # every subject identical: every resample equals the full set
    y = [0, 1, 1] * 4
    p = [0, 1, 0] * 4
    g = np.repeat(["s1", "s2", "s3", "s4"], 3)
    for method in ("percentile", "bca"):
        ci = bootstrap_ci(y, p, g, method=method, n_resamples=500)
        np.testing.assert_allclose(ci["ci_low"], ci["estimate"], atol=1e-12)
        np.testing.assert_allclose(ci["ci_high"], ci["estimate"], atol=1e-12)
        np.testing.assert_allclose(ci["se"], 0, atol=1e-12)


def test_bootstrap_agrees_with_scipy_percentile_and_bca():
    from scipy.stats import bootstrap

    rng = np.random.default_rng(0)
    n_subj = 40
    n_clips = rng.integers(1, 15, size=n_subj)
    skill = rng.uniform(0.2, 0.9, size=n_subj)
    correct = rng.binomial(n_clips, skill)
    # clip-level data for stats: class labels with the same correct counts
    y, p, g = [], [], []
    for s in range(n_subj):
        for i in range(n_clips[s]):
            y.append(i % 3)
            p.append(i % 3 if i < correct[s] else (i + 1) % 3)
            g.append(f"s{s:02d}")

    def pooled_acc(idx, axis=-1):  # independent of mefeat: correct counts over clip counts
        return correct[idx].sum(axis=axis) / n_clips[idx].sum(axis=axis)

    for method, sp_method in (("percentile", "percentile"), ("bca", "BCa")):
        ours = bootstrap_ci(y, p, g, method=method, n_resamples=20000, random_state=1).loc["acc"]
        ref = bootstrap((np.arange(n_subj),), pooled_acc, n_resamples=20000, method=sp_method,
                        random_state=np.random.default_rng(2), vectorized=True).confidence_interval
        assert ours["estimate"] == pytest.approx(correct.sum() / n_clips.sum())
        assert ours["ci_low"] == pytest.approx(ref.low, abs=0.006)
        assert ours["ci_high"] == pytest.approx(ref.high, abs=0.006)


def test_bca_formula_by_hand():
    # BCa from Efron & Tibshirani (1993) eqs. 14.9-14.15, written out here on the same resamples,
    # with the jackknife computed by metrics.py on the clips left after dropping each subject
    from scipy.stats import norm

    rng = np.random.default_rng(7)
    n_subj = 12
    sizes = rng.integers(1, 12, n_subj)
    g = np.repeat([f"s{i:02d}" for i in range(n_subj)], sizes)
    y = rng.integers(0, 3, len(g))
    p = np.where(rng.random(len(g)) < np.repeat(rng.uniform(0.1, 0.95, n_subj), sizes), y, (y + 1) % 3)
    theta = bootstrap_distribution(y, p, g, n_resamples=4000, random_state=11)
    ci = bootstrap_ci(y, p, g, method="bca", confidence_level=0.9, n_resamples=4000, random_state=11)
    est = _scores(y, p)
    jack = np.array([_scores(y[g != s], p[g != s]) for s in np.unique(g)])
    accel = []
    for j, m in enumerate(METRICS):
        th = theta[:, j]
        z0 = norm.ppf((np.sum(th < est[j] - 1e-12) + 0.5 * np.sum(np.abs(th - est[j]) <= 1e-12)) / len(th))
        d = jack[:, j].mean() - jack[:, j]
        a = np.sum(d ** 3) / (6 * np.sum(d ** 2) ** 1.5)
        accel.append(a)
        lo = norm.cdf(z0 + (z0 + norm.ppf(0.05)) / (1 - a * (z0 + norm.ppf(0.05))))
        hi = norm.cdf(z0 + (z0 + norm.ppf(0.95)) / (1 - a * (z0 + norm.ppf(0.95))))
        assert ci.loc[m, "ci_low"] == pytest.approx(np.quantile(th, lo), abs=1e-12)
        assert ci.loc[m, "ci_high"] == pytest.approx(np.quantile(th, hi), abs=1e-12)
    assert max(abs(a) for a in accel) > 0.01  # the acceleration matters in this case


def test_bootstrap_seed_and_strata():
    a = bootstrap_ci(TOY_Y, TOY_P, TOY_G, n_resamples=300, random_state=5)
    b = bootstrap_ci(TOY_Y, TOY_P, TOY_G, n_resamples=300, random_state=5)
    c = bootstrap_ci(TOY_Y, TOY_P, TOY_G, n_resamples=300, random_state=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["se"].equals(c["se"])
    # one subject per stratum: every stratified resample is the full set
    ci = bootstrap_ci(TOY_Y, TOY_P, TOY_G, strata=TOY_G, n_resamples=300)
    np.testing.assert_allclose(ci["ci_low"], ci["estimate"], atol=1e-12)
    assert ci["share_class_absent"].eq(0).all()
    with pytest.raises(ValueError, match="strata must be constant within a subject"):
        bootstrap_ci(TOY_Y, TOY_P, TOY_G, strata=[0, 1, 0, 0, 0, 0, 0])


def test_bootstrap_errors():
    with pytest.raises(ValueError, match="method must be"):
        bootstrap_ci(TOY_Y, TOY_P, TOY_G, method="bc")
    with pytest.raises(ValueError, match="confidence_level"):
        bootstrap_ci(TOY_Y, TOY_P, TOY_G, confidence_level=95)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ci(TOY_Y, TOY_P, TOY_G, n_resamples=0)
    with pytest.raises(ValueError, match="groups has 2 entries but y_true has 7"):
        bootstrap_ci(TOY_Y, TOY_P, ["a", "b"])
    with pytest.raises(ValueError, match="groups has 1 missing"):
        bootstrap_ci(TOY_Y, TOY_P, ["a", None, "b", "b", "c", "c", "c"])
    with pytest.raises(ValueError, match="at least 2 subjects"):
        bootstrap_ci([0, 1], [0, 1], ["a", "a"], method="bca")


# --------------------------------------------------------------------------- chance
P3 = (0.6, 0.3, 0.1)


@pytest.mark.parametrize("strategy, expected", [
    # by hand from the closed forms of chance_level's Notes, K = 3
    ("uniform", {"acc": 1 / 3, "uar": 1 / 3, "uf1": (1.2 / 2.8 + 0.6 / 1.9 + 0.2 / 1.3) / 3}),
    ("prior", {"acc": 0.36 + 0.09 + 0.01, "uar": 1 / 3, "uf1": 1 / 3}),
    ("majority", {"acc": 0.6, "uar": 1 / 3, "uf1": 2 * 0.6 / (3 * 1.6)}),
])
def test_chance_level_imbalanced_by_hand_and_by_simulation(strategy, expected):
    y = np.repeat([0, 1, 2], [60, 30, 10])
    got = chance_level(y, strategy=strategy)
    for m in METRICS:
        assert got[m] == pytest.approx(expected[m], abs=1e-12)
    # a large simulation of the uninformed classifier
    rng = np.random.default_rng(0)
    big = np.repeat([0, 1, 2], [60000, 30000, 10000])
    q = {"uniform": [1 / 3] * 3, "prior": list(P3), "majority": [1, 0, 0]}[strategy]
    sims = np.array([_scores(big, rng.choice(3, size=len(big), p=q)) for _ in range(5)])
    np.testing.assert_allclose(sims.mean(axis=0), [expected[m] for m in METRICS], atol=0.004)


@pytest.mark.parametrize("strategy", ["uniform", "prior", "majority"])
def test_chance_level_balanced(strategy):
    got = chance_level(np.repeat(np.arange(4), 5), strategy=strategy)
    if strategy == "majority":  # always class 0: F1_0 = 2 * 0.25 / 1.25
        assert got == pytest.approx({"acc": 0.25, "uar": 0.25, "uf1": 0.4 / 4})
    else:
        assert got == pytest.approx({"acc": 0.25, "uar": 0.25, "uf1": 0.25})


def test_no_uninformed_marginal_beats_one_over_k():
    # the Notes' claim: 1/K bounds the chance UF1 and UAR of any prediction marginal, max p bounds ACC
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2, 3], [50, 25, 15, 10])
    for _ in range(200):
        pred = rng.choice(4, size=100, p=rng.dirichlet(np.full(4, 0.5)))
        c = chance_level(y, strategy="predictions", y_pred=pred)
        assert c["uf1"] <= 0.25 + 1e-12 and c["uar"] == pytest.approx(0.25) and c["acc"] <= 0.5 + 1e-12


def test_chance_level_errors():
    with pytest.raises(ValueError, match="strategy must be one of"):
        chance_level([0, 1], strategy="stratified")
    with pytest.raises(ValueError, match="needed by strategy='predictions'"):
        chance_level([0, 1], strategy="predictions")
    with pytest.raises(ValueError, match="only used by strategy='predictions'"):
        chance_level([0, 1], y_pred=[0, 1])


def _exact_permutation_null(y, p):
    """Every distinct arrangement of y (multiset permutations), scored by metrics.mer_scores."""
    arrangements = sorted(set(itertools.permutations(y)))
    return np.array([_scores(list(a), p, [0, 1, 2]) for a in arrangements])


def test_permutation_chance_exact_small_case():
    y = [0, 0, 0, 1, 1, 2, 2]
    p = [0, 1, 1, 1, 2, 0, 2]
    exact = _exact_permutation_null(y, p)  # 7! / (3! 2! 2!) = 210 equally likely arrangements
    assert len(exact) == 210
    res = permutation_chance(y, p, n_resamples=40000, random_state=0)
    for j, m in enumerate(METRICS):
        assert res.loc[m, "expected"] == pytest.approx(exact[:, j].mean(), abs=1e-12)
        assert res.loc[m, "chance_mean"] == pytest.approx(exact[:, j].mean(), abs=4 * exact[:, j].std() / 200)
        obs = _scores(y, p)[j]
        assert res.loc[m, "observed"] == pytest.approx(obs)
        assert res.loc[m, "p_value"] == pytest.approx(np.mean(exact[:, j] >= obs - 1e-12), abs=0.01)
    # without strata the exact mean is the analytic chance level of the prediction marginal
    analytic = chance_level(y, strategy="predictions", y_pred=p)
    for m in METRICS:
        assert res.loc[m, "expected"] == pytest.approx(analytic[m], abs=1e-12)


def test_permutation_chance_within_strata():
    # stratum A: labels (0, 0, 1, 1), predictions (0, 1, 0, 1); stratum B: one class only (fixed table)
    y = [0, 0, 1, 1, 2, 2, 2]
    p = [0, 1, 0, 1, 2, 0, 2]
    h = ["A"] * 4 + ["B"] * 3
    res = permutation_chance(y, p, strata=h, n_resamples=20000, random_state=0)
    # by hand: E[TP_0] = 2*2/4 = 1, E[TP_1] = 1; TP_2 = 2 always; N = (2, 2, 3); P = (3, 2, 2)
    e_uf1 = (2 * 1 / 5 + 2 * 1 / 4 + 2 * 2 / 5) / 3
    e_uar = (1 / 2 + 1 / 2 + 2 / 3) / 3
    assert res.loc["uf1", "expected"] == pytest.approx(e_uf1)
    assert res.loc["uar", "expected"] == pytest.approx(e_uar)
    assert res.loc["acc", "expected"] == pytest.approx(4 / 7)
    assert res.loc["acc", "chance_mean"] == pytest.approx(4 / 7, abs=0.01)
    # stratum A's TP_0 is hypergeometric(4, 2, 2): 0, 1, 2 with 1/6, 4/6, 1/6 -> ACC* = (2 + 2 TP_0) / 7
    d = res.loc["acc", "chance_q95"]
    assert d == pytest.approx(6 / 7)


def test_permutation_chance_perfect_predictions():
    y = np.repeat([0, 1, 2], 20)
    res = permutation_chance(y, y, n_resamples=999)
    np.testing.assert_allclose(res["p_value"], 1 / 1000)
    np.testing.assert_allclose(res["observed"], 1)
    assert res.loc["uar", "expected"] == pytest.approx(1 / 3)


# --------------------------------------------------------------------------- per subject
def test_subject_scores_by_hand_and_against_metrics():
    t = subject_scores(TOY_Y, TOY_P, TOY_G)
    assert t.index.tolist() == ["a", "b", "c"]
    assert t["n_clips"].tolist() == [2, 2, 3]
    assert t["n_correct"].tolist() == [2, 1, 1]
    assert t["n_classes"].tolist() == [2, 2, 2]
    # b: true (0, 1) predicted (0, 0): F1_0 = 2/3, F1_1 = 0; recall 1, 0
    assert t.loc["b", "uf1"] == pytest.approx(1 / 3) and t.loc["b", "uar"] == pytest.approx(0.5)
    # c: true (2, 2, 0) predicted (2, 1, 1): class 1 predicted but absent
    assert t.loc["c", "uf1"] == pytest.approx((0 + 2 / 3) / 2) and t.loc["c", "uar"] == pytest.approx(0.25)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    p = np.where(rng.random(200) < 0.5, y, rng.integers(0, 4, 200))
    g = rng.integers(0, 15, 200).astype(str)
    t = subject_scores(y, p, g, labels=[0, 1, 2, 3])
    for s in t.index:
        m = g == s
        ref = metrics.mer_scores(y[m], p[m], labels=[0, 1, 2, 3])
        for k in METRICS:
            assert t.loc[s, k] == pytest.approx(ref[k], abs=1e-12)


# --------------------------------------------------------------------------- paired tests
def test_paired_five_subjects_all_better():
    y = [0, 1, 0, 1, 0]
    a = y
    b = [1, 0, 1, 0, 1]
    g = ["s1", "s2", "s3", "s4", "s5"]
    one = paired_test(y, {"A": a, "B": b}, g, alternative="greater").set_index("metric")
    two = paired_test(y, {"A": a, "B": b}, g).set_index("metric")
    less = paired_test(y, {"A": a, "B": b}, g, alternative="less").set_index("metric")
    for m in METRICS:
        assert one.loc[m, "p"] == 1 / 32
        assert two.loc[m, "p"] == 2 / 32
        assert less.loc[m, "p"] == 1.0
    assert one["exact"].all() and (one["n_subjects"] == 5).all() and (one["n_discordant"] == 5).all()
    assert one.loc["acc", "diff"] == 1.0


def _exact_sign_flip(d, alternative):
    """Exact sign-flip p of sum(d) over every sign vector (independent of mefeat)."""
    n = len(d)
    signs = 1 - 2 * ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1)
    t = signs @ d
    obs = d.sum()
    if alternative == "greater":
        return np.mean(t >= obs - 1e-9)
    return np.mean(np.abs(t) >= abs(obs) - 1e-9)


def _two_methods(n_subj, seed):
    rng = np.random.default_rng(seed)
    y, a, b, g = [], [], [], []
    for s in range(n_subj):
        n = int(rng.integers(1, 6))
        ys = rng.integers(0, 3, n)
        y += ys.tolist()
        a += np.where(rng.random(n) < 0.7, ys, (ys + 1) % 3).tolist()
        b += np.where(rng.random(n) < 0.5, ys, (ys + 2) % 3).tolist()
        g += [f"s{s:02d}"] * n
    y, a, b, g = map(np.asarray, (y, a, b, g))
    d = np.array([np.sum(a[g == s] == y[g == s]) - np.sum(b[g == s] == y[g == s]) for s in np.unique(g)], float)
    return y, a, b, g, d


@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
def test_paired_acc_is_the_sign_flip_test_exact(alternative):
    y, a, b, g, d = _two_methods(12, 1)
    res = paired_test(y, {"A": a, "B": b}, g, alternative=alternative).set_index("metric")
    disc = d != 0
    assert res.loc["acc", "exact"]
    assert res.loc["acc", "p"] == pytest.approx(_exact_sign_flip(d[disc], alternative), abs=1e-12)


def test_paired_monte_carlo_close_to_exact():
    y, a, b, g, d = _two_methods(22, 0)
    disc = d[d != 0]
    assert 2 ** len(disc) > 20000  # 17 discordant subjects: Monte Carlo
    res = paired_test(y, {"A": a, "B": b}, g, n_resamples=20000, random_state=0).set_index("metric")
    exact = _exact_sign_flip(disc, "two-sided")
    assert not res.loc["acc", "exact"]
    assert res.loc["acc", "p"] == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / 20000) + 1e-4)


def test_paired_symmetry_identity_and_holm():
    y, a, b, g, _ = _two_methods(10, 2)
    ab = paired_test(y, {"A": a, "B": b}, g).set_index("metric")
    ba = paired_test(y, {"B": b, "A": a}, g).set_index("metric")
    np.testing.assert_allclose(ab["p"], ba["p"])
    np.testing.assert_allclose(ab["diff"], -ba["diff"])
    same = paired_test(y, {"A": a, "A2": a.copy()}, g)
    assert (same["p"] == 1).all() and (same["n_discordant"] == 0).all() and (same["diff"] == 0).all()
    three = paired_test(y, {"A": a, "B": b, "Y": y}, g)
    assert three[["method_a", "method_b"]].drop_duplicates().values.tolist() == [["A", "B"], ["A", "Y"], ["B", "Y"]]
    for m in METRICS:
        sel = three[three["metric"] == m]
        np.testing.assert_allclose(sel["p_holm"], holm(sel["p"].to_numpy()))
    only = paired_test(y, {"A": a, "B": b, "Y": y}, g, pairs=[("Y", "A")])
    assert only["method_a"].eq("Y").all() and len(only) == 3


def test_paired_errors():
    y, a, b, g, _ = _two_methods(4, 0)
    with pytest.raises(ValueError, match="at least 2 methods"):
        paired_test(y, {"A": a}, g)
    with pytest.raises(ValueError, match="names 'C'"):
        paired_test(y, {"A": a, "B": b}, g, pairs=[("A", "C")])
    with pytest.raises(ValueError, match="with itself"):
        paired_test(y, {"A": a, "B": b}, g, pairs=[("A", "A")])
    with pytest.raises(ValueError, match="alternative"):
        paired_test(y, {"A": a, "B": b}, g, alternative="bigger")
    with pytest.raises(ValueError, match=r"predictions\['B'\] has 2 samples"):
        paired_test(y, {"A": a, "B": b[:2]}, g)


def test_holm_known_vector():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4*0.005, 3*0.01, 2*0.03, 1*0.04 -> 0.02, 0.03, 0.06, max(0.06, 0.04)
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.5, np.nan, 0.2]), [0.5, np.nan, 0.4])
    np.testing.assert_allclose(holm([0.6, 0.9]), [1.0, 1.0])
    assert holm([]).shape == (0,)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm([0.2, 1.5])


def test_paired_test_results_aligns_and_refuses_other_folds():
    from sklearn.dummy import DummyClassifier
    from sklearn.neighbors import KNeighborsClassifier

    from mefeat.evaluation import evaluate

    rng = np.random.default_rng(0)
    y = np.tile([0, 1, 2], 30)
    groups = np.repeat(np.arange(15), 6)
    X = rng.normal(size=(90, 2)) + y[:, None]
    kw = dict(cv="dfme-10fold", verbose=False)
    knn = evaluate(KNeighborsClassifier(3), X, y, groups, **kw)
    dummy = evaluate(DummyClassifier(), X, y, groups, **kw)
    res = paired_test_results({"knn": knn, "dummy": dummy}, n_resamples=2000)
    direct = paired_test(knn.predictions["y_true"], {"knn": knn.predictions["y_pred"],
                                                    "dummy": dummy.predictions["y_pred"]},
                         knn.predictions["group"], n_resamples=2000)
    pd.testing.assert_frame_equal(res, direct)
    assert res.loc[res.metric == "uf1", "diff"].iloc[0] == pytest.approx(knn.scores["uf1"] - dummy.scores["uf1"])
    other = evaluate(DummyClassifier(), X, y, groups, random_state=1, **kw)
    with pytest.raises(ValueError, match="not evaluated on the same folds"):
        paired_test_results({"knn": knn, "other": other})


# --------------------------------------------------------------------------- leak audit
def test_leak_audit_clean_subject_folds():
    from mefeat.evaluation import SubjectKFold

    groups = np.repeat(np.arange(12), 3).astype(str)
    y = np.tile([0, 1, 2], 12)
    folds = list(SubjectKFold(n_splits=4).split(np.zeros((36, 1)), y, groups))
    audit = leak_audit(folds, groups)
    assert audit.empty and audit.columns.tolist() == ["fold", "key", "value", "n_train", "n_test"]


def test_leak_audit_finds_subjects_clips_and_events():
    from sklearn.model_selection import KFold

    groups = np.repeat(["s1", "s2", "s3"], 4)
    folds = list(KFold(n_splits=2).split(np.zeros((12, 1))))  # clips 0-5 | 6-11: s2 is split
    audit = leak_audit(folds, groups)
    assert audit[["fold", "key", "value", "n_train", "n_test"]].values.tolist() == [
        [0, "subject", "s2", 2, 2], [1, "subject", "s2", 2, 2]]
    # a clip index on both sides
    audit = leak_audit([([0, 1, 4], [4, 5])], groups)
    assert audit[audit.key == "clip"][["value", "n_train", "n_test"]].values.tolist() == [[4, 1, 1]]
    # SMIC-like: one person filmed by two cameras, subjects qualified per modality, events shared
    subj = np.array(["hs/s1", "hs/s1", "vis/s1", "vis/s1", "hs/s2", "vis/s2"])
    event = np.array(["s1/ne_01", "s1/po_02", "s1/ne_01", "s1/po_02", "s2/su_01", "s2/su_01"])
    person = np.array(["s1", "s1", "s1", "s1", "s2", "s2"])
    fold = [(np.array([0, 1, 4, 5]), np.array([2, 3]))]  # HS of s1 (and s2) in training, VIS of s1 tested
    audit = leak_audit(fold, subj, extra={"person": person, "event": event})
    assert not (audit.key == "subject").any()  # the subject labels alone do not see it
    assert audit[audit.key == "event"]["value"].tolist() == ["s1/ne_01", "s1/po_02"]
    assert audit[audit.key == "person"]["value"].tolist() == ["s1"]
    same = leak_audit(fold, subj, extra=pd.DataFrame({"person": person, "event": event}))
    pd.testing.assert_frame_equal(audit, same)


def test_leak_audit_errors():
    with pytest.raises(ValueError, match="out of range for 3 samples"):
        leak_audit([([0, 1], [3])], ["a", "b", "c"])
    with pytest.raises(ValueError, match="event has 2 entries but groups has 3"):
        leak_audit([([0], [1])], ["a", "b", "c"], extra={"event": ["x", "y"]})
    with pytest.raises(ValueError, match="reserved"):
        leak_audit([([0], [1])], ["a", "b", "c"], extra={"subject": ["x", "y", "z"]})


# --------------------------------------------------------------------------- one evaluation
def test_result_statistics_parts_and_strata():
    from sklearn.neighbors import KNeighborsClassifier

    from mefeat.evaluation import evaluate, result_statistics

    rng = np.random.default_rng(0)
    y = np.tile([0, 1, 2], 32)
    subjects = np.repeat(np.arange(16), 6)
    dbs = np.where(subjects < 8, "casme2", "samm")
    X = rng.normal(size=(96, 2)) + y[:, None]
    res = evaluate(KNeighborsClassifier(3), X, y, subjects, cv="loso", datasets=dbs, verbose=False)
    st = result_statistics(res, n_resamples=300, random_state=2)
    assert list(dict.fromkeys(st.index.get_level_values("part"))) == ["full", "casme2", "samm"]
    pr = res.predictions
    full = bootstrap_ci(pr["y_true"], pr["y_pred"], pr["group"], strata=pr["dataset"], n_resamples=300,
                        random_state=2, labels=res.labels)
    pd.testing.assert_series_equal(st.loc["full"]["ci_low"], full["ci_low"])
    np.testing.assert_allclose(st.loc["full"]["estimate"], [res.scores[m] for m in METRICS])
    samm = res.parts["samm"].predictions
    null = permutation_chance(samm["y_true"], samm["y_pred"], n_resamples=300, random_state=2, labels=res.labels)
    np.testing.assert_allclose(st.loc["samm"]["p_chance"], null["p_value"])
    # the DFME split: the two test sets only
    split = np.where(subjects < 10, "train", np.where(subjects < 13, "testA", "testB"))
    res = evaluate(KNeighborsClassifier(3), X, y, subjects, cv="dfme-split", split=split, verbose=False)
    st = result_statistics(res, n_resamples=200)
    assert list(dict.fromkeys(st.index.get_level_values("part"))) == ["testA", "testB"]
    assert (st.loc["testA"]["n_subjects"] == 3).all()

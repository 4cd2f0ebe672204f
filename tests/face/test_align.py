"""Alignment on the real astronaut photo warped by known similarity transforms, streaming, motion."""

import warnings

import numpy as np
import pytest

from mefeat import Clip
from mefeat.face import (
    FaceNotFoundError,
    MultipleFacesWarning,
    align_clip,
    align_frames,
    template_landmarks,
    warp_face,
)

# (rotation deg, scale, tx, ty) about the face centre; rotations up to +-20 deg, scales 0.7-1.4
WARPS = [(-20, 1.0, 0, 0), (20, 1.0, 10, -15), (10, 0.7, -30, 20), (-10, 1.4, -60, -40),
         (0, 0.8, 40, 30), (15, 1.2, -20, 10), (-15, 0.9, 25, -25), (5, 1.3, -50, -30)]
FACE_CENTRE = (220.0, 125.0)


def _warped(gray, ang, scale, tx, ty):
    import cv2

    A = cv2.getRotationMatrix2D(FACE_CENTRE, ang, scale)
    A[:, 2] += (tx, ty)
    return cv2.warpAffine(gray, A, gray.shape[::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), A


@pytest.fixture(scope="module")
def aligned_reference(request):
    import cv2
    from skimage import data

    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    return gray, align_clip(Clip(gray[None], name="astro"))


def test_reference_alignment_matches_template(aligned_reference):
    gray, ref = aligned_reference
    meta = ref.meta["alignment"]
    assert ref.frames.shape == (1, 128, 128) and ref.frames.dtype == np.uint8
    assert meta["n_faces"] == 1 and meta["reference_index"] == 0 and meta["reference"] == "onset"
    err = np.linalg.norm(ref.landmarks - template_landmarks(128, 0.1), axis=1)
    # measured 0.6 px mean: the template is this face symmetrised, so only its asymmetry remains
    assert err.mean() < 1.5 and meta["fit_rmse_px"] < 2.0


@pytest.mark.parametrize("ang, scale, tx, ty", WARPS)
def test_alignment_undoes_known_similarity(aligned_reference, astronaut_landmarks, ang, scale, tx, ty):
    gray, ref = aligned_reference
    warped, A = _warped(gray, ang, scale, tx, ty)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MultipleFacesWarning)  # rotated borders can fake a tiny 2nd face
        out = align_clip(Clip(warped[None], name="w"))
    meta = out.meta["alignment"]
    Mk, M0 = np.array(meta["transform"]), np.array(ref.meta["alignment"]["transform"])
    # the fitted transform composed with the known warp must equal the reference's transform
    comp = np.hstack([Mk[:, :2] @ A[:, :2], (Mk[:, :2] @ A[:, 2] + Mk[:, 2])[:, None]])
    pts = astronaut_landmarks
    transform_err = np.linalg.norm((pts @ comp[:, :2].T + comp[:, 2]) - (pts @ M0[:, :2].T + M0[:, 2]), axis=1)
    # landmark agreement in the 128 px crop (dlib returns integer pixels: ~0.5 px quantisation at source scale)
    lm_err = np.linalg.norm(out.landmarks - ref.landmarks, axis=1)
    tmpl_err = np.linalg.norm(out.landmarks - template_landmarks(), axis=1)
    # measured over the 8 warps: transform 0.10-0.41 px, landmarks 0.61-0.83 px, template 0.65-0.90 px
    assert transform_err.mean() < 1.0
    assert lm_err.mean() < 1.5
    assert tmpl_err.mean() < 2.0
    assert abs(meta["scale"] * scale - ref.meta["alignment"]["scale"]) < 0.02 * ref.meta["alignment"]["scale"]
    assert abs(((meta["rotation_deg"] - ang) - ref.meta["alignment"]["rotation_deg"] + 180) % 360 - 180) < 1.5
    # image-level agreement of the crops (measured 0.996-0.999)
    a, b = out.frames[0].astype(float).ravel(), ref.frames[0].astype(float).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.98


def _fourier_shift(img, dx, dy):
    from scipy.ndimage import fourier_shift

    return np.real(np.fft.ifft2(fourier_shift(np.fft.fft2(img), (dy, dx))))


def _lk_shift(a, b, n_iter=6):
    """Global translation d = (dx, dy) with b(x) ~ a(x - d), by iterated Lucas-Kanade (borders excluded).

    (cv2.phaseCorrelate and skimage's phase_cross_correlation underestimate sub-pixel shifts by 10-50 %
    on these crops; this gradient estimator recovers Fourier-shifted sources to ~0.005 px.)
    """
    from scipy.ndimage import shift as nd_shift

    d = np.zeros(2)
    inner = (slice(12, -12), slice(12, -12))
    for _ in range(n_iter):
        aw = nd_shift(a, (d[1], d[0]), order=3, mode="nearest")
        gy, gx = np.gradient(aw)
        r, gx, gy = (b - aw)[inner], gx[inner], gy[inner]
        A = np.array([[np.sum(gx * gx), np.sum(gx * gy)], [np.sum(gx * gy), np.sum(gy * gy)]])
        d = d - np.linalg.solve(A, [np.sum(gx * r), np.sum(gy * r)])
    return d


@pytest.mark.parametrize("upscale", [1, 3], ids=["scale1.1", "scale0.37-antialias"])
def test_one_transform_preserves_subpixel_motion(astronaut_gray, upscale):
    import cv2

    if upscale == 1:
        base = astronaut_gray.astype(np.float64)
        check = (slice(60, 200), slice(150, 290))
    else:  # a DFME-sized face (~270 px) shrunk to the 128 px crop: the area pre-filter path of warp_face
        base = cv2.resize(astronaut_gray[:300, 80:380], (900, 900), interpolation=cv2.INTER_CUBIC).astype(np.float64)
        check = (slice(180, 600), slice(210, 630))
    shifts = [(0.0, 0.0), (0.25, 0.0), (0.0, -0.4), (0.5, 0.3), (-0.35, 0.6), (0.8, -0.2)]
    shifts = [(upscale * dx, upscale * dy) for dx, dy in shifts]
    frames = np.stack([_fourier_shift(base, dx, dy) for dx, dy in shifts])
    # the estimator itself, on the source face region
    np.testing.assert_allclose(_lk_shift(frames[0][check], frames[3][check]), shifts[3], atol=0.02 * upscale)
    out = align_clip(Clip(frames, name="shifted"))
    assert out.frames.dtype == np.float64 and out.frames.shape == (6, 128, 128)
    M = np.array(out.meta["alignment"]["transform"])
    assert (out.meta["alignment"]["scale"] < 1) == (upscale == 3)
    for (dx, dy), f in zip(shifts[1:], out.frames[1:]):
        expected = M[:, :2] @ np.array([dx, dy])  # the source shift, rotated and scaled by the one transform
        # measured error <= 0.004 px
        np.testing.assert_allclose(_lk_shift(out.frames[0], f), expected, atol=0.02)


def test_per_frame_follows_head_motion(astronaut_gray):
    frames = np.stack([_warped(astronaut_gray, a, 1.0, tx, 0)[0] for a, tx in [(0, 0), (6, 15), (-6, -20)]])
    one = align_clip(Clip(frames, name="head"))
    per = align_clip(Clip(frames, name="head"), per_frame=True)
    meta = per.meta["alignment"]
    assert np.array(meta["transforms"]).shape == (3, 2, 3) and np.array(meta["landmarks_per_frame"]).shape == (3, 68, 2)
    ref = per.frames[0].astype(float).ravel()
    corr_per = [np.corrcoef(ref, f.astype(float).ravel())[0, 1] for f in per.frames[1:]]
    corr_one = [np.corrcoef(ref, f.astype(float).ravel())[0, 1] for f in one.frames[1:]]
    assert min(corr_per) > 0.97 and max(corr_one) < min(corr_per)
    lms = np.array(meta["landmarks_per_frame"])
    np.testing.assert_allclose(lms[1:], lms[:1].repeat(2, 0), atol=3)  # each frame's face lands on the same spot


def test_streaming_paths_callable_and_array_agree(tmp_path, astronaut_gray):
    import cv2

    frames = np.stack([np.roll(astronaut_gray, k, axis=1) for k in range(4)])
    paths = []
    for i, f in enumerate(frames):
        p = tmp_path / f"{i:05d}.png"
        cv2.imwrite(str(p), f)
        paths.append(p)
    from_paths = align_frames(paths, reference_index=1, clip_name="files")
    from_arrays = align_frames(list(frames), reference_index=1)
    from_callable = align_frames(lambda i: frames[i], n_frames=4, reference_index=1)
    clip = align_clip(Clip(frames, onset=1, apex=2, offset=3, name="c", meta={"k": "v"}))
    for res in (from_arrays, from_callable):
        np.testing.assert_array_equal(res.frames, from_paths.frames)
    np.testing.assert_array_equal(clip.frames, from_paths.frames)
    np.testing.assert_allclose(clip.landmarks, from_paths.landmarks)
    assert (clip.onset, clip.apex, clip.offset, clip.name, clip.meta["k"]) == (1, 2, 3, "c", "v")
    assert from_paths.meta["reference_index"] == 1 and from_paths.meta["input_shape"] == (512, 512)
    # given landmarks skip detection
    given = align_frames(paths, reference_index=1, landmarks=from_paths.meta["source_landmarks"])
    np.testing.assert_array_equal(given.frames, from_paths.frames)
    assert given.meta["n_faces"] is None


def test_size_margin_and_reference_options(astronaut_gray):
    clip = Clip(np.stack([astronaut_gray, np.flipud(astronaut_gray)]), onset=0, apex=1, name="x")
    out = align_clip(clip, size=64, margin=0.2)
    assert out.frames.shape == (2, 64, 64)
    tl = template_landmarks(64, 0.2)
    assert tl.min() >= 0.2 * 64 - 0.5 - 1e-9 and tl.max() <= 0.8 * 64 - 0.5 + 1e-9
    assert np.linalg.norm(out.landmarks - tl, axis=1).mean() < 1.0
    with pytest.raises(FaceNotFoundError, match="frame 1 of clip 'x'"):
        align_clip(clip, reference="apex")  # the upside-down frame has no frontal face
    with pytest.raises(ValueError, match="size"):
        align_clip(clip, size=8)
    with pytest.raises(ValueError, match="margin"):
        align_clip(clip, margin=0.5)
    with pytest.raises(ValueError, match="reference_index=5"):
        align_clip(clip, reference=5)
    with pytest.raises(ValueError, match="reference must be"):
        align_clip(clip, reference="middle")


def test_no_face_in_clip_names_clip_and_frame():
    import cv2
    from skimage import data

    coffee = cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2GRAY)
    with pytest.raises(FaceNotFoundError, match="no face found in frame 2 of clip 'cof'"):
        align_clip(Clip(np.stack([coffee] * 3), onset=2, name="cof"))
    with pytest.raises(FaceNotFoundError):
        align_clip(Clip(np.zeros((2, 100, 100), np.uint8), name="flat"))


def test_bad_frame_sources(tmp_path, astronaut_gray):
    with pytest.raises(ValueError, match="could not read frame 0"):
        align_frames([tmp_path / "missing.png"])
    with pytest.raises(ValueError, match="n_frames"):
        align_frames(lambda i: astronaut_gray)
    with pytest.raises(ValueError, match="frame 1 of clip 'm' is 100x100"):
        align_frames([astronaut_gray, astronaut_gray[:100, :100]], clip_name="m")
    with pytest.raises(TypeError, match="single path"):
        align_frames("frames/00000.png")


def test_warp_face_antialias_and_dtypes(rng):
    # a fine checkerboard shrunk by 4: with area pre-filtering it averages to grey instead of aliasing
    board = ((np.indices((512, 512)).sum(0) % 2) * 255).astype(np.uint8)
    M = np.array([[0.25, 0.0, 0.0], [0.0, 0.25, 0.0]])
    smooth = warp_face(board, M, 100, antialias=True)
    alias = warp_face(board, M, 100, antialias=False)
    assert abs(smooth.mean() - 127.5) < 2 and smooth.std() < 5
    assert abs(alias.mean() - 127.5) > 60  # point sampling hits one colour of the board
    for dt in (np.uint8, np.float32, np.float64):
        assert warp_face(board.astype(dt), M, 32).dtype == dt
    # identity transform on a crop inside the frame reproduces the pixels
    img = rng.integers(0, 255, (60, 60)).astype(np.uint8)
    np.testing.assert_array_equal(warp_face(img, np.array([[1.0, 0, -10], [0, 1.0, -20]]), 32), img[20:52, 10:42])
    # a transposed (column-strided) frame gives what its contiguous copy gives, shrunk or not
    for M in (np.array([[1.0, 0, -10], [0, 1.0, -20]]), np.array([[0.4, 0.05, -3], [-0.05, 0.4, -5]])):
        np.testing.assert_array_equal(warp_face(img.T, M, 32), warp_face(np.ascontiguousarray(img.T), M, 32))


def test_mixed_frame_dtypes_are_refused(astronaut_gray):
    frames = [astronaut_gray, astronaut_gray.astype(np.uint16) * 4]  # a later frame above 255 would wrap in uint8
    with pytest.raises(ValueError, match="frame 1 of clip 'mixed' has dtype uint16, the reference frame uint8"):
        align_frames(frames, reference_index=0, clip_name="mixed")


@pytest.mark.parametrize("tight", [False, True], ids=["dfme-frame", "tight-crop-fitted"])
def test_every_frame_is_warp_face_with_the_clip_transform(render_face, tight):
    # align_frames plans the sampling once per clip; each crop must be exactly warp_face's with that transform
    rng = np.random.default_rng(3)
    frame = render_face(768, 1024, 350)
    if tight:  # a database's tight face crop: the template crop reaches past it, the crop is fitted inside
        frame = np.ascontiguousarray(frame[180:560, 350:690])
    frames = [np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8) for _ in range(4)]
    for dtype in (np.uint8, np.float32):
        clip = [f.astype(dtype) for f in frames]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tight crop's fitting may warn
            res = align_frames(clip, reference_index=1)
        M = np.array(res.meta["transform"])
        assert (res.meta["fit_zoom"] > 1.0) == tight and res.meta["scale"] < 1  # the antialias path
        for i, f in enumerate(clip):
            w = warp_face(f, M)
            np.testing.assert_array_equal(res.frames[i], w if dtype == np.uint8 else w.astype(np.float64))

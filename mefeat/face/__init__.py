"""Face detection, 68-point landmarks, alignment and cropping (dlib and cv2 imported lazily).

Importing :mod:`mefeat.face` imports numpy only; dlib loads on the first detection and cv2 on
the first warp. The detector and the landmark model are cached per process. Large frames are
searched for the face on a shrunken copy and the landmarks fitted at full resolution
(``detect_scale="auto"``, see :func:`find_face`).
"""

from mefeat.face.align import (
    AlignedFrames,
    align_clip,
    align_frames,
    fit_similarity,
    template_landmarks,
    warp_face,
)
from mefeat.face.landmarks import (
    FaceDetection,
    FaceNotFoundError,
    MultipleFacesWarning,
    detect_faces,
    detect_landmarks,
    detection_factor,
    find_face,
    predictor_path,
)

__all__ = [
    "AlignedFrames",
    "FaceDetection",
    "FaceNotFoundError",
    "MultipleFacesWarning",
    "align_clip",
    "align_frames",
    "detect_faces",
    "detect_landmarks",
    "detection_factor",
    "find_face",
    "fit_similarity",
    "predictor_path",
    "template_landmarks",
    "warp_face",
]

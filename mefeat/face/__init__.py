"""Face detection, 68-point landmarks, alignment and cropping (dlib and cv2 imported lazily).

Importing :mod:`mefeat.face` imports numpy only; dlib loads on the first detection and cv2 on
the first warp. The detector and the landmark model are cached per process. Large frames are
searched for the face on a shrunken copy and the landmarks fitted at full resolution
(``detect_scale="auto"``, see :func:`find_face`); a face filling the frame (a database's tight
crop) is found on a padded copy when the first attempt misses it. The aligned crop never samples
outside the frame by default (``border="fit"``, see :func:`align_frames`).
"""

from mefeat.face.align import (
    AlignedFrames,
    CropFittedWarning,
    align_clip,
    align_frames,
    fit_inside,
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
    "CropFittedWarning",
    "FaceDetection",
    "FaceNotFoundError",
    "MultipleFacesWarning",
    "align_clip",
    "align_frames",
    "detect_faces",
    "detect_landmarks",
    "detection_factor",
    "find_face",
    "fit_inside",
    "fit_similarity",
    "predictor_path",
    "template_landmarks",
    "warp_face",
]

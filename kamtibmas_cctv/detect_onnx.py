"""The pluggable ONNX object detector (YOLO-style exports), run with onnxruntime.

onnxruntime is imported only when an ``onnx`` detector is configured: it is not a dependency
of the worker (``pip install 'kamtibmas[onnx]'`` adds it).

The model contract (docs/cctv.md, "ONNX detector"):

- Input: the model's first input, ``1x3xHxW`` float32 (or float16), RGB, values 0..1. H and W
  come from the model; a dynamic size takes ``input_size``, else the model's ``imgsz``
  metadata, else 640. The frame is letterboxed into it (scaled with its aspect ratio kept,
  centred, padded with grey 114) like Ultralytics does, and boxes are mapped back to frame
  pixels by undoing that.
- Output: the model's first output, in one of these layouts (found from its shape on a
  warm-up run at start, or forced with ``layout``):

  - ``yolo``: ``(1, 4+C, N)``, rows cx, cy, w, h in input pixels then C class scores
    (YOLOv8/v11 raw export); ``yolo_t``: the same transposed, ``(1, N, 4+C)``;
  - ``yolov5``: ``(1, N, 5+C)``, rows cx, cy, w, h, objectness, C class scores (the score is
    objectness times the best class score);
  - ``boxes6``: ``(1, N, 6)`` or ``(N, 6)``, rows x1, y1, x2, y2, score, class (Ultralytics
    ``nms=True`` and end-to-end exports such as YOLOv10);
  - ``boxes7``: ``(N, 7)``, rows batch, x1, y1, x2, y2, class, score (YOLOv7 ``--end2end``).

- Class names: ``class_names``, else the model's ``names`` metadata (Ultralytics writes it),
  else the 80 COCO names when the model has 80 classes, else ``class<N>``.

The whole frame goes through the model once (one inference per frame however many motion
blobs there are). Detections below ``min_score`` or whose label is not in ``labels`` are
dropped, the rest pass class-wise non-maximum suppression, and a detection counts only where
at least ``min_overlap`` of its box moved (a parked car beside a walker is not an object). A
motion blob that no kept detection overlaps stays an unlabelled object, as with HOG.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kamtibmas_cctv.config import ConfigError
from kamtibmas_cctv.detect import Detection, suppress
from kamtibmas_cctv.motion import Box

log = logging.getLogger(__name__)

LAYOUTS = ("auto", "yolo", "yolo_t", "yolov5", "boxes6", "boxes7")
ROW_LAYOUTS = {"yolo": 4, "yolo_t": 4, "yolov5": 5}  # columns before the class scores
PAD_GREY = 114
DEFAULT_SIZE = 640
MAX_CANDIDATES = 300  # best-scoring boxes that reach NMS (bounds its cost on noisy frames)

_COCO = """
person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant stop_sign
parking_meter bench bird cat dog horse sheep cow elephant bear zebra giraffe backpack umbrella
handbag tie suitcase frisbee skis snowboard sports_ball kite baseball_bat baseball_glove
skateboard surfboard tennis_racket bottle wine_glass cup fork knife spoon bowl banana apple
sandwich orange broccoli carrot hot_dog pizza donut cake chair couch potted_plant bed
dining_table toilet tv laptop mouse remote keyboard cell_phone microwave oven toaster sink
refrigerator book clock vase scissors teddy_bear hair_drier toothbrush
"""
COCO_NAMES = [name.replace("_", " ") for name in _COCO.split()]  # the 80 classes, in order


class OnnxUnavailable(ConfigError, RuntimeError):
    """onnxruntime is not installed: a config the worker cannot serve as installed."""


class Letterbox:
    """Fit a ``width`` x ``height`` frame into the model input and map boxes back.

    >>> lb = Letterbox(320, 240, 160, 160)
    >>> lb.scale, lb.left, lb.top
    (0.5, 0, 20)
    >>> lb.to_frame(np.array([[10.0, 30.0, 22.0, 60.0]])).tolist()
    [[20.0, 20.0, 44.0, 80.0]]
    """

    def __init__(self, width: int, height: int, in_w: int, in_h: int) -> None:
        self.width, self.height = width, height
        self.in_w, self.in_h = in_w, in_h
        self.scale = min(in_w / width, in_h / height)
        self.new_w = max(1, min(in_w, round(width * self.scale)))
        self.new_h = max(1, min(in_h, round(height * self.scale)))
        self.left = (in_w - self.new_w) // 2
        self.top = (in_h - self.new_h) // 2

    def apply(self, image: np.ndarray) -> np.ndarray:
        """The BGR frame scaled and padded to the input size (still BGR, uint8)."""
        canvas = np.full((self.in_h, self.in_w, 3), PAD_GREY, dtype=np.uint8)
        resized = cv2.resize(image, (self.new_w, self.new_h), interpolation=cv2.INTER_LINEAR)
        canvas[self.top : self.top + self.new_h, self.left : self.left + self.new_w] = resized
        return canvas

    def to_frame(self, boxes: np.ndarray) -> np.ndarray:
        """``(N, 4)`` x1, y1, x2, y2 in input pixels as frame pixels, clipped to the frame."""
        out = boxes.astype(np.float64).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.left) / self.scale
        out[:, [1, 3]] = (out[:, [1, 3]] - self.top) / self.scale
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.height)
        return out


def to_blob(image: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
    """A letterboxed BGR uint8 image as the ``1x3xHxW`` RGB 0..1 tensor the model takes
    (the per-frame cost of the plumbing, so done in place where numpy allows)."""
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32)
    rgb *= 1.0 / 255.0
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)[np.newaxis], dtype=dtype)


def find_layout(shape: tuple[int, ...], classes: int | None = None) -> str:
    """The output layout a concrete output ``shape`` most likely has (``classes``: the number
    of class names, when known, settles the ambiguous shapes).

    >>> find_layout((1, 84, 8400)), find_layout((1, 8400, 84)), find_layout((1, 300, 6))
    ('yolo', 'yolo_t', 'boxes6')
    >>> find_layout((1, 25200, 85)), find_layout((1, 25200, 8), 3), find_layout((1, 25200, 8))
    ('yolov5', 'yolov5', 'yolo_t')
    >>> find_layout((0, 7)), find_layout((5, 6)), find_layout((1, 5, 1)), find_layout((1, 3, 7), 3)
    ('boxes7', 'boxes6', 'yolo', 'yolo_t')
    >>> find_layout((1, 1, 6)), find_layout((1, 1, 6), 1)
    ('yolo_t', 'boxes6')
    """
    if len(shape) == 2 and shape[1] in (6, 7):
        return "boxes6" if shape[1] == 6 else "boxes7"
    if len(shape) == 3 and shape[0] == 1:
        rows, cols = shape[1], shape[2]
        if cols == 6 and (rows > cols or (classes and classes != 2)):
            return "boxes6"
        if classes and 4 + classes in (rows, cols):
            return "yolo" if rows == 4 + classes else "yolo_t"
        if (classes and cols == 5 + classes) or (not classes and cols == 85 and rows > cols):
            return "yolov5"  # 85: YOLOv5's COCO head (YOLOv8's has 84)
        if rows >= 5 and (rows <= cols or cols < 5):
            return "yolo"
        if cols >= 5:
            return "yolo_t"
    raise ConfigError(
        f"onnx detector: cannot read a model output of shape {list(shape)}; expected "
        "(1, 4+classes, N) YOLO rows, (1, N, 5+classes) YOLOv5 rows, (1, N, 6) or (N, 6) "
        "x1 y1 x2 y2 score class, or (N, 7) batch x1 y1 x2 y2 class score (set the "
        "detector's layout to force one)"
    )


def decode(out: np.ndarray, layout: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes ``(N, 4)`` x1, y1, x2, y2 in input pixels, scores ``(N,)`` and class ids ``(N,)``
    of one raw model output in ``layout``."""
    if layout in ROW_LAYOUTS:
        first = ROW_LAYOUTS[layout]
        if out.ndim < 2 or min(out.shape[-2:]) == 0:
            raise ConfigError(f"onnx detector: a {layout} output needs rows of boxes and scores")
        rows: np.ndarray = out.reshape(out.shape[-2:])
        rows = rows.T if layout == "yolo" else rows
        if rows.shape[1] < first + 1:
            raise ConfigError(f"onnx detector: a {layout} output needs {first}+classes columns")
        scores_all = rows[:, first:]
        classes = scores_all.argmax(axis=1)
        scores = scores_all[np.arange(len(rows)), classes]
        if layout == "yolov5":
            scores = scores * rows[:, 4]
        cx, cy, w, h = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        return boxes, scores, classes
    width = 6 if layout == "boxes6" else 7
    table: np.ndarray = out.reshape(-1, width)
    if layout == "boxes6":
        return table[:, 0:4], table[:, 4], table[:, 5].astype(np.int64)
    return table[:, 1:5], table[:, 6], table[:, 5].astype(np.int64)


def names_from_metadata(meta: dict[str, str]) -> list[str] | None:
    """Class names from an Ultralytics-style ``names`` metadata entry (``{0: 'person', ...}``).

    >>> names_from_metadata({"names": "{0: 'person', 2: 'car'}"})
    ['person', 'class1', 'car']
    >>> names_from_metadata({"names": "not python"}) is None
    True
    """
    text = meta.get("names")
    if not text:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, int) and k >= 0 for k in value):
        return [str(value.get(i, f"class{i}")) for i in range(max(value) + 1)] if value else None
    return None


def _size_from_metadata(meta: dict[str, str]) -> tuple[int, int] | None:
    try:
        value = ast.literal_eval(meta.get("imgsz", ""))
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, int):
        return value, value
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int) for v in value)
    ):
        return int(value[0]), int(value[1])
    return None


def _input_size(
    shape: list[Any], input_size: int | None, meta: dict[str, str], model: str
) -> tuple[int, int]:
    """(height, width) of the model input; ConfigError when it is not ``1x3xHxW``."""
    channels_ok = len(shape) == 4 and (shape[1] == 3 or not isinstance(shape[1], int))
    if not channels_ok:
        raise ConfigError(
            f"onnx detector: model {model} takes input of shape {shape}; the worker feeds "
            "1x3xHxW (NCHW, RGB 0..1): export the model with channels first"
        )
    fixed = [d if isinstance(d, int) and d > 0 else None for d in shape[2:]]
    if fixed[0] and fixed[1]:
        if input_size:
            log.info("onnx detector: the model's fixed input %s overrides input_size", fixed)
        return int(fixed[0]), int(fixed[1])
    size = (input_size, input_size) if input_size else _size_from_metadata(meta)
    return size or (DEFAULT_SIZE, DEFAULT_SIZE)


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime  # noqa: PLC0415 - optional dependency, only for this detector
    except ImportError:
        raise OnnxUnavailable(
            "the onnx detector needs onnxruntime: pip install onnxruntime "
            "(or the worker's onnx extra, pip install 'kamtibmas[onnx]')"
        ) from None
    return onnxruntime


def _open_session(ort: Any, model: str) -> Any:
    path = Path(model)
    if not path.is_file():
        raise ConfigError(f"onnx detector: model file {model} not found")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: ORT warnings are not the operator's concern
    wanted = ("CUDAExecutionProvider", "CPUExecutionProvider")
    providers = [p for p in wanted if p in ort.get_available_providers()]
    try:
        return ort.InferenceSession(str(path), options, providers=providers or None)
    except Exception as err:  # ORT raises its own Fail/InvalidProtobuf/... types
        raise ConfigError(
            f"onnx detector: cannot load {model} as an ONNX model: {_first_line(err)}"
        ) from None


def _first_line(err: Exception) -> str:
    """The first line of an error's message (ORT's can run to pages), or its type."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


class OnnxDetector:
    """A YOLO-style ONNX model run on whole frames; the contract is the module's docstring."""

    def __init__(
        self,
        model: str,
        labels: list[str] | None = None,
        min_score: float = 0.3,
        *,
        class_names: list[str] | None = None,
        input_size: int | None = None,
        layout: str = "auto",
        max_iou: float = 0.45,
        min_overlap: float = 0.25,
    ) -> None:
        if layout not in LAYOUTS:
            raise ConfigError(f"onnx detector: layout must be one of {', '.join(LAYOUTS)}")
        ort = _import_onnxruntime()
        self.session: Any = _open_session(ort, model)
        self.input = self.session.get_inputs()[0]
        meta = dict(self.session.get_modelmeta().custom_metadata_map or {})
        self.in_h, self.in_w = _input_size(list(self.input.shape), input_size, meta, model)
        if self.input.type not in ("tensor(float)", "tensor(float16)"):
            raise ConfigError(
                f"onnx detector: model {model} takes {self.input.type}; the worker feeds float"
            )
        self.dtype = np.float16 if self.input.type == "tensor(float16)" else np.float32
        self.class_names = class_names or names_from_metadata(meta)
        self.num_classes: int | None = None  # known for the YOLO row layouts after warm-up
        self.labels = set(labels or ["person"])
        self.min_score = min_score
        self.max_iou = max_iou
        self.min_overlap = min_overlap
        self.layout = layout
        self.model = model
        self._warm_up()

    def _warm_up(self) -> None:
        """Run once on a grey frame: a model whose output the worker cannot read fails at
        start as a config error, not on the first person in view."""
        grey = np.full((self.in_h, self.in_w, 3), PAD_GREY, dtype=np.uint8)
        try:
            out = self._run(grey)
        except Exception as err:  # ORT errors on a graph that rejects the input
            raise ConfigError(
                f"onnx detector: model {self.model} fails on a {self.in_h}x{self.in_w} input "
                f"(set input_size?): {_first_line(err)}"
            ) from None
        if self.layout == "auto":
            known = len(self.class_names) if self.class_names else None
            self.layout = find_layout(tuple(out.shape), known)
        try:
            decode(out, self.layout)
        except ValueError as err:  # a forced layout that does not fit: reshape fails
            raise ConfigError(
                f"onnx detector: output {list(out.shape)} is not in layout {self.layout}"
            ) from err
        if self.layout in ROW_LAYOUTS:
            width = out.shape[-2 if self.layout == "yolo" else -1]
            self.num_classes = width - ROW_LAYOUTS[self.layout]
            if self.class_names is None and self.num_classes == len(COCO_NAMES):
                self.class_names = COCO_NAMES
        name, shape = Path(self.model).name, list(out.shape)
        log.info("onnx detector %s: input %dx%d, output %s read as %s",
                 name, self.in_w, self.in_h, shape, self.layout)  # fmt: skip
        self._warn_about_names(name)

    def _warn_about_names(self, name: str) -> None:
        """Say so at start when the labels asked for can never match (a silent detector
        that only ever reports motion is the worst failure to notice)."""
        if self.class_names is None:
            log.warning(
                "onnx detector %s: the model names no classes: labels are class0, class1, ... "
                "(set class_names)",
                name,
            )
            return
        missing = sorted(self.labels - set(self.class_names))
        if missing:
            log.warning("onnx detector %s: labels %s are not among the model's classes (%s)",
                        name, ", ".join(missing), ", ".join(self.class_names[:10]))  # fmt: skip

    def _run(self, boxed: np.ndarray) -> np.ndarray:
        result = self.session.run(None, {self.input.name: to_blob(boxed, self.dtype)})
        return np.asarray(result[0], dtype=np.float32)

    def name_of(self, cls: int) -> str:
        """The label of class id ``cls`` (``class<N>`` when the names do not say)."""
        names = self.class_names
        return names[cls] if names is not None and 0 <= cls < len(names) else f"class{cls}"

    def find(self, image: np.ndarray) -> list[tuple[Box, str, float]]:
        """Every object in ``image`` (frame pixels) with label and score, after the score
        and label filters and class-wise NMS; independent of motion."""
        h, w = image.shape[:2]
        box = Letterbox(w, h, self.in_w, self.in_h)
        out = self._run(box.apply(image))
        boxes, scores, classes = decode(out, self.layout)
        usable = np.isfinite(scores) & np.isfinite(boxes).all(axis=1)  # a NaN is no box
        keep = np.flatnonzero(usable & (scores >= self.min_score))
        keep = keep[np.argsort(-scores[keep], kind="stable")][:MAX_CANDIDATES]
        frame_boxes = box.to_frame(boxes[keep]) if len(keep) else np.zeros((0, 4))
        by_label: dict[str, list[tuple[Box, float]]] = {}
        for i, fb in zip(keep, frame_boxes, strict=True):
            label = self.name_of(int(classes[i]))
            rounded = (round(fb[0]), round(fb[1]), round(fb[2]), round(fb[3]))
            if label in self.labels and rounded[2] > rounded[0] and rounded[3] > rounded[1]:
                by_label.setdefault(label, []).append((rounded, float(scores[i])))
        found = [
            (b, label, s)
            for label, items in by_label.items()
            for b, s in suppress(items, self.max_iou)
        ]
        return sorted(found, key=lambda f: -f[2])

    def detect(self, image: np.ndarray, regions: list[Box]) -> list[Detection]:
        """Detections that moved (``min_overlap`` of the box in motion regions), plus the
        motion regions none of them overlaps, unlabelled."""
        if not regions:
            return []
        moving = [
            Detection(b, label, score)
            for b, label, score in self.find(image)
            if _moving_fraction(b, regions) >= self.min_overlap
        ]
        alone = [r for r in regions if not any(_overlaps(d.box, r) for d in moving)]
        return moving + [Detection(r) for r in alone]


def _area(b: Box) -> int:
    return max(0, b[2] - b[0]) * max(0, b[3] - b[1])


def _moving_fraction(box: Box, regions: list[Box]) -> float:
    """The fraction of ``box`` inside the motion regions (they do not overlap each other)."""
    inside = sum(
        _area((max(box[0], r[0]), max(box[1], r[1]), min(box[2], r[2]), min(box[3], r[3])))
        for r in regions
    )
    return min(1.0, inside / max(1, _area(box)))


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

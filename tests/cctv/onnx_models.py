"""Tiny ONNX models built in the tests with the ``onnx`` helper API (no downloaded weights).

``dark_box_model`` is a real, if simple, detector: it finds the bounding box of the dark pixels
of its input (every channel below 0.25, the dark box of tests/cctv/worker_videos.py; the
letterbox's grey 114 and the videos' background are lighter) and reports it as one object with
score 1 (0 when nothing is dark), in any of the output layouts the worker reads. Constant
``extra`` rows, in the layout's own columns, are appended after it to give the decoder known
boxes for score, class and NMS checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
DARK = 0.25

Dim = int | str


class _Graph:
    """A small builder: ``op`` adds a node and returns the name of its output."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def const(self, value: object, dtype: type = np.float32) -> str:
        self.count += 1
        name = f"c{self.count}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, kind: str, *inputs: str, **attrs: object) -> str:
        self.count += 1
        name = f"t{self.count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [name], **attrs))
        return name


def _first_last(g: _Graph, present: str) -> tuple[str, str]:
    """Index of the first present cell and one past the last, as (1,) floats, of a (1, L)
    0/1 row ``present``."""
    length = g.op("Gather", g.op("Shape", present), g.const(1, np.int64), axis=0)
    ramp = g.op(
        "Cast", g.op("Range", g.const(0, np.int64), length, g.const(1, np.int64)), to=1
    )  # 0 .. L-1 as float
    length_f = g.op("Cast", length, to=1)
    last = g.op("ReduceMax", g.op("Mul", present, g.op("Add", ramp, g.const(1.0))), axes=[1],
                keepdims=0)  # fmt: skip
    from_end = g.op("ReduceMax", g.op("Mul", present, g.op("Sub", length_f, ramp)), axes=[1],
                    keepdims=0)  # fmt: skip
    return g.op("Sub", length_f, from_end), last


def _dark_box(g: _Graph, image: str) -> dict[str, str]:
    """x1, y1, x2, y2 and score, each (1,), of the dark pixels of ``image`` (1, 3, H, W)."""
    brightest = g.op("ReduceMax", image, axes=[1], keepdims=0)  # (1, H, W)
    dark = g.op("Cast", g.op("Less", brightest, g.const(DARK)), to=1)
    cols = g.op("ReduceMax", dark, axes=[1], keepdims=0)  # (1, W)
    rows = g.op("ReduceMax", dark, axes=[2], keepdims=0)  # (1, H)
    x1, x2 = _first_last(g, cols)
    y1, y2 = _first_last(g, rows)
    score = g.op("ReduceMax", cols, axes=[1], keepdims=0)
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "score": score}


def _row(g: _Graph, box: dict[str, str], layout: str, classes: int, cls: int) -> str:
    """The dark box as one row (a 1-D tensor) of ``layout``."""
    zero = g.op("Mul", box["score"], g.const([0.0]))
    if layout in ("yolo", "yolo_t", "yolov5"):
        half = g.const([0.5])
        cx = g.op("Mul", g.op("Add", box["x1"], box["x2"]), half)
        cy = g.op("Mul", g.op("Add", box["y1"], box["y2"]), half)
        w, h = g.op("Sub", box["x2"], box["x1"]), g.op("Sub", box["y2"], box["y1"])
        scores = [box["score"] if k == cls else zero for k in range(classes)]
        objectness = [box["score"]] if layout == "yolov5" else []
        return g.op("Concat", cx, cy, w, h, *objectness, *scores, axis=0)
    cls_col = g.op("Add", zero, g.const([float(cls)]))
    corners = [box["x1"], box["y1"], box["x2"], box["y2"]]
    if layout == "boxes6":
        return g.op("Concat", *corners, box["score"], cls_col, axis=0)
    return g.op("Concat", zero, *corners, cls_col, box["score"], axis=0)


def _table(g: _Graph, row: str, layout: str, extra: Sequence[Sequence[float]], batch: bool) -> str:
    """The output: ``row`` then the ``extra`` rows, shaped as ``layout`` wants."""
    width = len(extra[0]) if extra else None
    table = g.op("Unsqueeze", row, g.const([0], np.int64))  # (1, K)
    if extra:
        assert width is not None
        table = g.op("Concat", table, g.const(np.asarray(extra, np.float32)), axis=0)
    if layout == "yolo":
        return g.op("Unsqueeze", g.op("Transpose", table, perm=[1, 0]), g.const([0], np.int64))
    if layout in ("yolo_t", "yolov5") or (layout == "boxes6" and batch):
        return g.op("Unsqueeze", table, g.const([0], np.int64))
    return table


def dark_box_model(
    path: Path,
    *,
    size: tuple[Dim, Dim] = (160, 160),
    layout: str = "yolo",
    classes: int = 1,
    cls: int = 0,
    extra: Sequence[Sequence[float]] = (),
    names: dict[int, str] | None = None,
    meta: dict[str, str] | None = None,
    batch: bool = True,
    half: bool = False,
) -> Path:
    """Write a dark-box detector to ``path``: input ``images`` (1, 3, H, W) of ``size``
    (a string for a dynamic dimension), output in ``layout`` (yolo, yolo_t, yolov5, boxes6
    with or without the batch axis, boxes7); the dark box is class ``cls`` of ``classes``; ``names``
    becomes Ultralytics-style metadata, ``meta`` more of it; ``half``: float16 in and out."""
    g = _Graph()
    image = "images"
    if half:
        image = g.op("Cast", "images", to=TensorProto.FLOAT)
    row = _row(g, _dark_box(g, image), layout, classes, cls)
    out = _table(g, row, layout, list(extra), batch)
    if half:
        out = g.op("Cast", out, to=TensorProto.FLOAT16)
    g.nodes.append(helper.make_node("Identity", [out], ["output0"]))
    elem = TensorProto.FLOAT16 if half else TensorProto.FLOAT
    rank = 3 if layout in ("yolo", "yolo_t", "yolov5") or (layout == "boxes6" and batch) else 2
    graph = helper.make_graph(
        g.nodes,
        "dark_box",
        [helper.make_tensor_value_info("images", elem, [1, 3, size[0], size[1]])],
        [helper.make_tensor_value_info("output0", elem, [f"d{i}" for i in range(rank)])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    props = dict(meta or {})
    if names is not None:
        props["names"] = repr(names)
    if props:
        helper.set_model_props(model, props)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return path


def constant_model(path: Path, output: np.ndarray, input_shape: Sequence[Dim]) -> Path:
    """A model that ignores its input (of ``input_shape``) and returns ``output``."""
    g = _Graph()
    shape_of = g.op("Shape", "images")  # keeps the input used, as exporters' graphs do
    anchor = g.op("Cast", g.op("ReduceSum", shape_of, keepdims=1), to=1)
    out = g.op("Add", g.const(output), g.op("Mul", anchor, g.const(0.0)))
    g.nodes.append(helper.make_node("Identity", [out], ["output0"]))
    graph = helper.make_graph(
        g.nodes,
        "constant",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return path

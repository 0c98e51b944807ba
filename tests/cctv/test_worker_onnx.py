"""The pluggable ONNX detector, with real onnxruntime inference on tiny models built here.

The models (tests/cctv/onnx_models.py) find the dark pixels of their input, so the expected
boxes are known; constant rows add boxes for the score, class and NMS checks. Skipped where
onnxruntime or onnx is not installed (both are in the dev extra).
"""

from __future__ import annotations

import doctest
import json
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from kamtibmas_cctv.capture import read_file  # noqa: E402
from kamtibmas_cctv.cli import analyze, main  # noqa: E402
from kamtibmas_cctv.config import ConfigError, load_config, parse_config  # noqa: E402
from kamtibmas_cctv.config import Detector as DetectorSection  # noqa: E402
from kamtibmas_cctv.detect import Detection, detector_from_config, make_detector  # noqa: E402
from kamtibmas_cctv.detect_onnx import OnnxDetector, OnnxUnavailable  # noqa: E402
from kamtibmas_cctv.pipeline import CameraPipeline  # noqa: E402
from kamtibmas_cctv.sinks import ListSink  # noqa: E402
from tests.cctv.onnx_models import constant_model, dark_box_model  # noqa: E402
from tests.cctv.worker_videos import OBJ_H, OBJ_W, walk, write_video, zone_config  # noqa: E402

PERSON = {0: "person"}
COCO3 = {0: "person", 1: "bicycle", 2: "car"}


def frame_with_dark_box(box=(50, 100, 74, 160), size=(320, 240)) -> np.ndarray:
    """A light grey frame of ``size`` (w, h) with a black box (x1, y1, x2, y2 exclusive)."""
    image = np.full((size[1], size[0], 3), 200, np.uint8)
    image[box[1] : box[3], box[0] : box[2]] = 20
    return image


def near(a, b, tolerance: float) -> bool:
    return all(abs(p - q) <= tolerance for p, q in zip(a, b, strict=True))


# -- output layouts and the mapping back to frame pixels ------------------------------------


@pytest.mark.parametrize(
    ("layout", "batch", "names"),
    [
        ("yolo", True, PERSON),
        ("yolo_t", True, PERSON),
        ("yolov5", True, COCO3),  # one class would make (1, N, 6): read as boxes6
        ("boxes6", True, PERSON),
        ("boxes6", False, PERSON),
        ("boxes7", False, PERSON),
    ],
)
def test_it_reads_each_output_layout_and_maps_boxes_back_through_the_letterbox(
    tmp_path, layout, batch, names
):
    # 320x240 into 160x160: scale 0.5, 20 px of grey above and below.
    model = dark_box_model(tmp_path / "m.onnx", layout=layout, batch=batch, names=names,
                           classes=len(names))  # fmt: skip
    detector = OnnxDetector(str(model))
    assert detector.layout == layout
    assert (detector.in_w, detector.in_h) == (160, 160)
    assert detector.find(frame_with_dark_box()) == [((50, 100, 74, 160), "person", 1.0)]


def test_a_forced_layout_settles_an_ambiguous_shape(tmp_path):
    model = dark_box_model(tmp_path / "m.onnx", layout="yolov5", names=PERSON)  # (1, 1, 6)
    assert OnnxDetector(str(model)).layout == "boxes6"
    forced = OnnxDetector(str(model), layout="yolov5")
    assert forced.find(frame_with_dark_box()) == [((50, 100, 74, 160), "person", 1.0)]


def test_it_undoes_a_sideways_letterbox_for_a_portrait_frame_and_a_wide_input(tmp_path):
    # 240x320 (portrait) into 192 wide x 128 high: scale 0.4, 48 px of grey left and right.
    model = dark_box_model(tmp_path / "m.onnx", size=(128, 192), names=PERSON)
    detector = OnnxDetector(str(model))
    found = detector.find(frame_with_dark_box((100, 40, 160, 240), size=(240, 320)))
    assert len(found) == 1
    assert near(found[0][0], (100, 40, 160, 240), 3)


def test_it_takes_the_size_of_a_dynamic_input_from_the_config_or_the_metadata(tmp_path):
    dynamic = dark_box_model(tmp_path / "d.onnx", size=("h", "w"), names=PERSON)
    assert (OnnxDetector(str(dynamic), input_size=320).in_w) == 320
    assert (OnnxDetector(str(dynamic)).in_w) == 640  # Ultralytics' default
    meta = dark_box_model(tmp_path / "m.onnx", size=("h", "w"), names=PERSON,
                          meta={"imgsz": "[256, 288]"})  # fmt: skip
    detector = OnnxDetector(str(meta))
    assert (detector.in_h, detector.in_w) == (256, 288)
    (found,) = detector.find(frame_with_dark_box())  # scale 0.9: a pixel of rounding
    assert near(found[0], (50, 100, 74, 160), 1) and found[1:] == ("person", 1.0)


def test_it_feeds_a_float16_model(tmp_path):
    model = dark_box_model(tmp_path / "h.onnx", layout="boxes6", half=True, names=PERSON)
    assert OnnxDetector(str(model)).find(frame_with_dark_box()) == [
        ((50, 100, 74, 160), "person", 1.0)
    ]


# -- labels, scores, NMS ---------------------------------------------------------------------


def test_it_names_classes_from_metadata_config_or_coco_and_keeps_only_the_labels_asked(tmp_path):
    # The dark box is a car (class 2); a constant row is a person at the top left.
    person_row = [20, 20, 10, 20, 0.8, 0.1, 0.0]  # cx cy w h, scores person bicycle car
    model = dark_box_model(tmp_path / "m.onnx", classes=3, cls=2, extra=[person_row],
                           names=COCO3)  # fmt: skip
    frame = frame_with_dark_box()
    labels = [f[1] for f in OnnxDetector(str(model), labels=["car"]).find(frame)]
    assert labels == ["car"]
    both = OnnxDetector(str(model), labels=["person", "car"]).find(frame)
    assert [(f[1], f[2]) for f in both] == [("car", 1.0), ("person", pytest.approx(0.8))]
    assert [f[1] for f in OnnxDetector(str(model)).find(frame)] == ["person"]  # the default
    renamed = OnnxDetector(str(model), labels=["mobil"], class_names=["orang", "sepeda", "mobil"])
    assert [f[1] for f in renamed.find(frame)] == ["mobil"]
    coco = dark_box_model(tmp_path / "coco.onnx", classes=80, cls=3)  # no names: COCO's
    assert [f[1] for f in OnnxDetector(str(coco), labels=["motorcycle"]).find(frame)] == [
        "motorcycle"
    ]
    unnamed = dark_box_model(tmp_path / "u.onnx", classes=3, cls=1)
    assert OnnxDetector(str(unnamed), labels=["class1"]).find(frame)[0][1] == "class1"


def test_it_scores_yolov5_rows_as_objectness_times_class_score(tmp_path):
    rows = [[100, 40, 20, 40, 0.5, 0.9, 0.1], [130, 40, 20, 40, 0.9, 0.2, 0.3]]
    model = dark_box_model(tmp_path / "m.onnx", layout="yolov5", classes=2, extra=rows,
                           names={0: "person", 1: "car"})  # fmt: skip
    detector = OnnxDetector(str(model), labels=["person", "car"], min_score=0.2)
    found = [(label, round(score, 2)) for _, label, score in detector.find(frame_with_dark_box())]
    assert found == [("person", 1.0), ("person", 0.45), ("car", 0.27)]


def test_it_drops_scores_below_min_score(tmp_path):
    rows = [[100, 40, 20, 40, 0.29], [130, 40, 20, 40, 0.31]]  # cx cy w h in input pixels
    model = dark_box_model(tmp_path / "m.onnx", extra=rows, names=PERSON)
    scores = [round(f[2], 2) for f in OnnxDetector(str(model), min_score=0.3).find(
        frame_with_dark_box())]  # fmt: skip
    assert scores == [1.0, 0.31]
    assert OnnxDetector(str(model), min_score=0.5).find(frame_with_dark_box())[1:] == []


def test_it_suppresses_overlapping_boxes_of_one_class_only(tmp_path):
    # boxes6 rows in input pixels (frame = 2 x input, 20 px of letterbox above).
    rows = [
        [100, 30, 120, 70, 0.9, 0],
        [101, 31, 121, 71, 0.8, 0],  # the same person again: suppressed
        [100, 30, 120, 70, 0.7, 2],  # a car in the same place: another class, kept
        [130, 30, 150, 70, 0.6, 0],  # a second person beside: kept
    ]
    model = dark_box_model(tmp_path / "m.onnx", layout="boxes6", extra=rows, names=COCO3)
    found = OnnxDetector(str(model), labels=["person", "car"]).find(frame_with_dark_box())
    assert [(b, label, round(s, 2)) for b, label, s in found] == [
        ((50, 100, 74, 160), "person", 1.0),
        ((200, 20, 240, 100), "person", 0.9),
        ((200, 20, 240, 100), "car", 0.7),
        ((260, 20, 300, 100), "person", 0.6),
    ]


def test_it_keeps_detections_that_moved_and_motion_blobs_nobody_explains(tmp_path):
    rows = [[100, 30, 120, 70, 0.9, 0]]  # a person at (200, 20, 240, 100) in the frame
    model = dark_box_model(tmp_path / "m.onnx", layout="boxes6", extra=rows, names=PERSON)
    detector = OnnxDetector(str(model))
    frame = frame_with_dark_box()
    walker_blob, leaf_blob = (45, 95, 80, 170), (280, 200, 300, 220)
    # The still person (no motion on it) is not an object; the blob without a person stays.
    assert detector.detect(frame, [walker_blob, leaf_blob]) == [
        Detection((50, 100, 74, 160), "person", 1.0),
        Detection(leaf_blob),
    ]
    # A blob grazing the still person's box (under a quarter of it) does not make it move.
    graze = (232, 20, 250, 100)
    assert detector.detect(frame, [graze]) == [Detection(graze)]
    assert detector.detect(frame, []) == []


def test_it_warns_at_start_when_the_labels_can_never_match(tmp_path, caplog):
    unnamed = dark_box_model(tmp_path / "u.onnx", layout="boxes7")
    OnnxDetector(str(unnamed))
    assert "names no classes" in caplog.text and "set class_names" in caplog.text
    caplog.clear()
    named = dark_box_model(tmp_path / "n.onnx", names=COCO3)
    OnnxDetector(str(named), labels=["car", "orang"])
    assert "labels orang are not among the model's classes (person, bicycle, car)" in caplog.text
    caplog.clear()
    OnnxDetector(str(named), labels=["car"])
    assert "WARNING" not in caplog.text


def test_it_ignores_rows_with_nan_or_infinite_values(tmp_path):
    rows = [[np.nan, 30, 120, 70, 0.9, 0], [100, 30, 120, 70, np.nan, 0],
            [100, 30, np.inf, 70, 0.9, 0]]  # fmt: skip
    model = dark_box_model(tmp_path / "m.onnx", layout="boxes6", extra=rows, names=PERSON)
    assert OnnxDetector(str(model)).find(frame_with_dark_box()) == [
        ((50, 100, 74, 160), "person", 1.0)
    ]


# -- clear errors instead of tracebacks ------------------------------------------------------


def test_it_reports_an_unusable_model_as_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="model file .*missing.onnx not found"):
        OnnxDetector(str(tmp_path / "missing.onnx"))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a protobuf")
    with pytest.raises(ConfigError, match="cannot load .*junk.onnx as an ONNX model"):
        OnnxDetector(str(junk))
    nhwc = constant_model(tmp_path / "nhwc.onnx", np.zeros((1, 5, 10), np.float32),
                          [1, 160, 160, 3])  # fmt: skip
    with pytest.raises(ConfigError, match=r"1x3xHxW \(NCHW"):
        OnnxDetector(str(nhwc))
    odd = constant_model(tmp_path / "odd.onnx", np.zeros((1, 10), np.float32), [1, 3, 64, 64])
    with pytest.raises(ConfigError, match=r"cannot read a model output of shape \[1, 10\]"):
        OnnxDetector(str(odd))
    model = dark_box_model(tmp_path / "m.onnx", names=PERSON)  # (1, 5, 1)
    with pytest.raises(ConfigError, match="not in layout boxes7"):
        OnnxDetector(str(model), layout="boxes7")
    with pytest.raises(ConfigError, match="layout must be one of"):
        OnnxDetector(str(model), layout="ssd")


def test_it_reports_a_missing_onnxruntime_as_a_config_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    with pytest.raises(OnnxUnavailable, match="pip install onnxruntime") as caught:
        make_detector("onnx", str(tmp_path / "m.onnx"))
    assert isinstance(caught.value, ConfigError) and isinstance(caught.value, RuntimeError)


def test_a_camera_with_a_bad_model_fails_at_start_with_a_config_error(tmp_path):
    path = camera_yaml(tmp_path, {"kind": "onnx", "model": str(tmp_path / "none.onnx")})
    camera = load_config(path).cameras[0]
    with pytest.raises(ConfigError, match="not found"):
        CameraPipeline(camera)


def test_it_builds_the_detector_from_a_config_section_with_onnx_options(tmp_path):
    model = dark_box_model(tmp_path / "m.onnx", classes=3, cls=2, names=COCO3)
    section = SimpleNamespace(kind="onnx", model=str(model), min_score=0.5, labels=["car"],
                              class_names=None, input_size=320, layout="auto")  # fmt: skip
    detector = detector_from_config(section)
    assert isinstance(detector, OnnxDetector)
    assert (detector.in_w, detector.labels, detector.min_score) == (160, {"car"}, 0.5)
    plain = SimpleNamespace(kind="onnx", model=str(model), min_score=0.3)  # today's config
    assert isinstance(detector_from_config(plain), OnnxDetector)


# -- the whole pipeline from a YAML config ----------------------------------------------------


def camera_yaml(tmp_path, detector: dict[str, object]) -> str:
    config = zone_config([{"kind": "intrusion"}])
    config["cameras"][0]["detector"] = detector
    path = tmp_path / "cctv.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def onnx_camera_yaml(tmp_path, model) -> str:
    return camera_yaml(tmp_path, {"kind": "onnx", "model": str(model), "min_score": 0.5})


def test_the_pipeline_tracks_the_models_boxes_and_fires_an_intrusion(tmp_path):
    # A dark box walks from x=0 to 300 at 50 px/s from t=1 s; the zone is x >= 160.
    where = walk(1.0, 0, 300, 50.0)
    video = write_video(tmp_path / "walk.avi", 9, where)
    model = dark_box_model(tmp_path / "m.onnx", size=(320, 320), names=PERSON)
    camera = load_config(onnx_camera_yaml(tmp_path, model)).cameras[0]
    pipe = CameraPipeline(camera, fps=10)
    assert isinstance(pipe.detector, OnnxDetector)
    events, checked, ids = [], 0, set()
    for frame in read_file(video):
        result = pipe.process(frame.image, frame.t)
        events += result.events
        pos = where(frame.t)
        for track in result.tracks:
            assert track.label == "person" and pos is not None
            x, y = int(pos[0]), int(pos[1])
            # cv2.rectangle fills both end pixels: the box is OBJ_W+1 by OBJ_H+1.
            truth = (x, y, min(320, x + OBJ_W + 1), y + OBJ_H + 1)
            assert near(track.box, truth, 3), (frame.t, track)
            checked += 1
            ids.add(track.id)
    events += pipe.finish()
    assert checked > 30 and len(ids) == 1  # one walker, one track, on most frames of the walk
    new = [e for e in events if e.type == "new"]
    assert [(e.rule, e.zone, e.label, e.score) for e in new] == [
        ("intrusion", "yard", "person", 1.0)
    ]
    assert 160 <= (new[0].box[0] + new[0].box[2]) / 2 <= 320  # its foot is in the zone


def test_the_cli_analyses_a_video_with_an_onnx_detector_from_yaml(tmp_path, capsys):
    video = write_video(tmp_path / "walk.avi", 9, walk(1.0, 0, 300, 50.0))
    model = dark_box_model(tmp_path / "m.onnx", layout="boxes6", names=PERSON)
    config = onnx_camera_yaml(tmp_path, model)
    out = tmp_path / "events.jsonl"
    code = main(["analyze", str(video), "--config", config, "--camera", "test-cam",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    events = [json.loads(line) for line in out.read_text().splitlines()]
    new = [e for e in events if e["type"] == "new"]
    assert [(e["rule"], e["label"]) for e in new] == [("intrusion", "person")]
    assert "frames per second" in capsys.readouterr().err


def test_analyze_with_a_model_that_finds_nothing_keeps_motion_objects(tmp_path):
    # Labels that the model never reports: the walker stays an unlabelled motion object.
    video = write_video(tmp_path / "walk.avi", 9, walk(1.0, 0, 300, 50.0))
    model = dark_box_model(tmp_path / "m.onnx", names=PERSON)
    camera = load_config(onnx_camera_yaml(tmp_path, model)).cameras[0]
    sink = ListSink()
    pipe_detector = OnnxDetector(str(model), labels=["car"])
    assert pipe_detector.find(frame_with_dark_box()) == []
    analyze(str(video), camera, sink)  # the camera's own detector: person, found
    assert {e.label for e in sink.events if e.type == "new"} == {"person"}
    blind = CameraPipeline(camera, detector=pipe_detector, fps=10)
    events = []
    for frame in read_file(video):
        events += blind.process(frame.image, frame.t).events
    assert [(e.rule, e.label) for e in events if e.type == "new"] == [("intrusion", None)]


# -- the detector's options in the YAML config and its errors through the CLI ---------------
# These need the config/pipeline/cli change proposed with this module (Detector.labels,
# class_names, input_size, layout; the pipeline building its detector with
# detector_from_config; the CLI loading ONNX models before it starts). They run once it is in.

needs_config_options = pytest.mark.skipif(
    "labels" not in DetectorSection.model_fields,
    reason="the config has no ONNX options yet (Detector.labels, class_names, ...)",
)


@needs_config_options
def test_the_yaml_options_reach_the_detector(tmp_path):
    model = dark_box_model(tmp_path / "m.onnx", size=("h", "w"), classes=3, cls=2)
    names = ["orang", "sepeda", "mobil"]
    config = camera_yaml(tmp_path, {"kind": "onnx", "model": str(model), "min_score": 0.5,
                                    "labels": ["mobil"], "class_names": names,
                                    "input_size": 320, "layout": "yolo"})  # fmt: skip
    detector = CameraPipeline(load_config(config).cameras[0]).detector
    assert isinstance(detector, OnnxDetector)
    assert (detector.labels, detector.class_names, detector.in_w, detector.layout) == (
        {"mobil"}, names, 320, "yolo")  # fmt: skip
    assert detector.min_score == 0.5


@needs_config_options
def test_the_cli_labels_events_with_the_configured_class(tmp_path):
    video = write_video(tmp_path / "walk.avi", 9, walk(1.0, 0, 300, 50.0))
    model = dark_box_model(tmp_path / "m.onnx", classes=3, cls=2)
    names = ["person", "bicycle", "car"]
    config = camera_yaml(tmp_path, {"kind": "onnx", "model": str(model), "labels": ["car"],
                                    "class_names": names})  # fmt: skip
    out = tmp_path / "e.jsonl"
    argv = ["analyze", str(video), "--config", config, "--camera", "test-cam", "--out", str(out)]
    assert main(argv) == 0
    events = [json.loads(line) for line in out.read_text().splitlines()]
    new = [e for e in events if e["type"] == "new"]
    assert [(e["rule"], e["label"]) for e in new] == [("intrusion", "car")]


@needs_config_options
def test_onnx_options_on_another_detector_or_bad_values_are_config_errors():
    def camera(detector: dict[str, object]) -> dict[str, object]:
        return {"cameras": [{"name": "c", "url": "x.avi", "detector": detector}]}

    with pytest.raises(ConfigError, match="labels: only for an onnx detector"):
        parse_config(camera({"kind": "hog", "labels": ["car"]}))
    with pytest.raises(ConfigError, match="input_size"):
        parse_config(camera({"kind": "onnx", "model": "m.onnx", "input_size": 8}))
    with pytest.raises(ConfigError, match="layout"):
        parse_config(camera({"kind": "onnx", "model": "m.onnx", "layout": "ssd"}))


@needs_config_options
@pytest.mark.parametrize("command", ["check", "run", "analyze"])
def test_a_model_the_worker_cannot_use_is_a_config_error_in_the_cli(tmp_path, capsys, command):
    config = camera_yaml(tmp_path, {"kind": "onnx", "model": str(tmp_path / "gone.onnx")})
    argv = {
        "check": ["run", "--config", config, "--check-config"],
        "run": ["run", "--config", config, "--out", str(tmp_path / "e.jsonl")],
        "analyze": ["analyze", "x.avi", "--config", config, "--camera", "test-cam"],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "config error: onnx detector: model file" in err and "gone.onnx not found" in err
    assert "Traceback" not in err


def test_the_module_examples_hold():
    from kamtibmas_cctv import detect_onnx

    assert doctest.testmod(detect_onnx).failed == 0

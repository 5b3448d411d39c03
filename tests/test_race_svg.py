"""plots.race_svg, the animated SVG race, and the Sphinx extension that draws
the landing page's race with it.
"""

from __future__ import annotations

import importlib.util
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from descent import plots  # noqa: E402
from descent.landscapes import LANDSCAPES  # noqa: E402
from descent.optim import OPTIMIZERS, adam, sgd  # noqa: E402
from descent.run import race  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[1]


# --- race_svg ---------------------------------------------------------------------


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


def animated_paths(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter(f"{SVG}path") if p.find(f"{SVG}animate") is not None
            and p.get("data-name") is not None]


def check_race_svg(text: str, names: list[str]) -> ET.Element:
    """Well-formed SVG, one animated path per run, every coordinate finite."""
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    paths = animated_paths(root)
    assert [p.get("data-name") for p in paths] == names
    for p in paths:
        coords = numbers(p.get("d"))
        assert coords and all(math.isfinite(v) for v in coords)
        anim = p.find(f"{SVG}animate")
        assert anim.get("attributeName") == "stroke-dashoffset"
        assert anim.get("repeatCount") == "indefinite"
        offsets = numbers(anim.get("values"))
        times = numbers(anim.get("keyTimes"))
        assert len(offsets) == len(times) and times[0] == 0 and times[-1] == 1
        assert all(math.isfinite(v) for v in offsets) and offsets[-1] == 0
        assert offsets == sorted(offsets, reverse=True)  # the path only grows
    for element in root.iter():
        for attr in ("cx", "cy", "x", "y", "width", "height", "values"):
            if element.get(attr) is not None:
                assert all(math.isfinite(v) for v in numbers(element.get(attr)))
    return root


def test_race_svg_draws_one_animated_path_per_optimizer():
    landscape = LANDSCAPES["rosenbrock"]
    names = ["sgd", "momentum", "adam"]
    opts = {"sgd": sgd(1e-3), "momentum": OPTIMIZERS["momentum"](lr=0.01),
            "adam": adam(lr=0.05)}
    trajs = race(opts, landscape, steps=120)
    text = plots.race_svg(landscape, trajs, frames=40)
    root = check_race_svg(text, names)
    heads = [c for c in root.iter(f"{SVG}circle")
             if c.find(f"{SVG}animate") is not None]
    assert len(heads) == len(names)
    legend = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for name in names:
        assert name in legend
    assert plots.race_svg(landscape, trajs, frames=40) == text  # deterministic
    assert len(text.encode()) < 80_000


def test_race_svg_marks_a_diverged_run_and_keeps_its_coordinates_finite():
    landscape = LANDSCAPES["cliff"]
    trajs = race({"sgd": sgd(5.0), "adam": adam(0.1)}, landscape, steps=200,
                 bound=1e4)
    assert trajs["sgd"].diverged
    text = plots.race_svg(landscape, trajs, frames=20)
    root = check_race_svg(text, ["sgd", "adam"])
    legend = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert f"diverged at step {trajs['sgd'].diverged_at}" in legend


def test_race_svg_rejects_bad_settings():
    landscape = LANDSCAPES["quadratic"]
    trajs = race({"sgd": sgd(0.1)}, landscape, steps=5)
    with pytest.raises(ValueError, match="trajs"):
        plots.race_svg(landscape, {})
    with pytest.raises(ValueError, match="frames"):
        plots.race_svg(landscape, trajs, frames=1)
    with pytest.raises(ValueError, match="domain"):
        plots.race_svg(landscape, trajs, domain=((1.0, 0.0), (0.0, 1.0)))


def load_race_extension():
    path = ROOT / "book" / "_ext" / "race_animation.py"
    spec = importlib.util.spec_from_file_location("race_animation", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_landing_page_race_is_well_formed_with_every_optimizer():
    ext = load_race_extension()
    text = ext.race_svg_text()
    check_race_svg(text, list(ext.OPTIMIZERS))
    assert len(text.encode()) < 80_000


def test_landing_page_race_is_written_only_when_it_changes(tmp_path):
    ext = load_race_extension()

    class App:
        srcdir = str(tmp_path)

    ext.write_race(App())
    target = tmp_path / ext.TARGET
    first = target.stat().st_mtime_ns
    ext.write_race(App())
    assert target.stat().st_mtime_ns == first
    check_race_svg(target.read_text(encoding="utf-8"), list(ext.OPTIMIZERS))

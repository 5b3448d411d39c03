"""Self-study readers run the code: ``make lab`` and the ``descent`` wheel on the site.

* ``make lab`` starts JupyterLab from the project's venv on ``notebooks/``: on a
  free local port, with a token, a chapter notebook is served over HTTP and the
  ipywidgets extension is installed; then the server stops.
* ``book``: the built site offers ``_downloads/descent-<version>-py3-none-any.whl``
  (book/_ext/descent_wheel.py), the landing page links it and names it in its
  ``pip install`` line, and the wheel installs into a fresh venv in which every
  import of every chapter works (the other dependencies come from the project's
  venv: the test runs offline).
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Bounds against a hung process, not speed requirements: the tests wait on
# conditions (a line printed, a process ended) and fail only when they never come.
START_BOUND_S = 300
STOP_BOUND_S = 120


def project_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'^version\s*=\s*"([^"]+)"', text, flags=re.M).group(1)


WHEEL = f"descent-{project_version()}-py3-none-any.whl"


# --- make lab ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


@contextlib.contextmanager
def running_lab(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen]]:
    """``make lab`` on a free port with a known token; stopped on leaving."""
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for name in ("CONFIG", "RUNTIME", "DATA"):  # no user configuration, no litter
        env[f"JUPYTER_{name}_DIR"] = str(tmp_path / name.lower())
    env["JUPYTERLAB_SETTINGS_DIR"] = str(tmp_path / "settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp_path / "workspaces")
    args = (
        "--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port_retries=0 "
        f"--IdentityProvider.token={token}"
    )
    process = subprocess.Popen(
        # -o: a test never reinstalls the requirements.
        ["make", "--no-print-directory", "-o", ".venv/.stamps/book", "lab",
         f"LAB_PORT={port}", f"LAB_ARGS={args}"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    log: list[str] = []
    ready = f"127.0.0.1:{port}/lab"
    deadline = time.monotonic() + START_BOUND_S
    try:
        while not any(ready in line for line in log):
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                pytest.fail("JupyterLab did not start:\n" + "".join(log))
            if line is None:
                pytest.fail("make lab exited:\n" + "".join(log))
            log.append(line)
        # The server prints its URL before its event loop binds the port: wait
        # until the port takes connections (or the process ends).
        while not port_is_open(port):
            try:
                process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
            else:
                pytest.fail("make lab exited:\n" + "".join(log))
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab never listened on port {port}")
        yield f"http://127.0.0.1:{port}", token, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_BOUND_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail("JupyterLab did not stop on SIGTERM")


def test_make_lab_serves_the_chapters_with_widgets_then_stops(
    tmp_path: Path,
) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    name = NOTEBOOKS[0].name
    with running_lab(tmp_path) as (base, token, process):
        status, body = get(f"{base}/api/contents/{name}?token={token}")
        assert status == 200, f"GET {name}: HTTP {status}"
        notebook = json.loads(body)
        assert notebook["type"] == "notebook" and notebook["content"]["cells"]
        status, _ = get(f"{base}/api/contents/{name}")
        assert status == 403, "the server answers without the token"
        status, page = get(f"{base}/lab/tree/{name}?token={token}")
        assert status == 200, f"GET /lab/tree/{name}: HTTP {status}"
        # The page's configuration lists the prebuilt extensions it loads.
        config = re.search(
            rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
            page,
            flags=re.S,
        )
        assert config, "no JupyterLab page"
        extensions = json.loads(config.group(1))["federated_extensions"]
        loaded = {e["name"] for e in extensions}
        assert "@jupyter-widgets/jupyterlab-manager" in loaded, "no ipywidgets"
    assert process.returncode is not None
    assert not port_is_open(int(base.rsplit(":", 1)[1])), "the server still listens"


# --- the wheel on the site -------------------------------------------------------


@pytest.fixture(scope="module")
def wheel() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built book in {SITE}: run `make book` first")
    path = SITE / "_downloads" / WHEEL
    assert path.is_file(), f"the site does not offer {WHEEL}"
    return path


@pytest.mark.book
def test_the_wheel_holds_every_module_of_descent(wheel: Path) -> None:
    src = ROOT / "src"
    modules = {
        p.relative_to(src).as_posix()
        for p in (src / "descent").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"


@pytest.mark.book
def test_the_landing_page_links_the_wheel_and_says_how_to_install_it(
    wheel: Path,
) -> None:
    page = (SITE / "book" / "intro.html").read_text(encoding="utf-8")
    assert f'href="../_downloads/{WHEEL}"' in page
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert f"pip install {WHEEL}" in text


def chapter_imports() -> list[str]:
    """Every import statement of every chapter notebook, once."""
    statements: dict[str, None] = {}
    for path in NOTEBOOKS:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    statements[ast.unparse(node)] = None
    return list(statements)


@pytest.mark.book
def test_the_wheel_installs_into_a_fresh_venv_and_the_chapters_import(
    wheel: Path, tmp_path: Path
) -> None:
    # Nothing of the project's own tree on the path: with src/ on PYTHONPATH
    # (make exports it) pip would find src/descent.egg-info and skip the wheel.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install",
         "--no-deps", "--no-index", "--quiet", "--disable-pip-version-check",
         str(wheel)],
        check=True, timeout=STOP_BOUND_S, env=env,
    )  # fmt: skip
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # numpy, matplotlib, ipywidgets… from the project's venv, after the wheel
    # (a path in a .pth file is not scanned for .pth files: the project's
    # editable descent stays out).
    project = sysconfig.get_paths()["purelib"]
    Path(purelib, "project-dependencies.pth").write_text(project + "\n")
    script = "\n".join(
        [
            *chapter_imports(),
            "import descent, descent.explore",
            "from descent.landscapes import LANDSCAPES",
            "from descent.optim import sgd",
            "from descent.run import run",
            "print(run(sgd(0.1), LANDSCAPES['plateau'], steps=5).steps)",
            "print(descent.__file__)",
        ]
    )
    env["MPLBACKEND"] = "Agg"
    result = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=STOP_BOUND_S,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    steps, location = result.stdout.split()[-2:]
    assert steps == "5"
    assert Path(location).resolve().is_relative_to(env_dir.resolve()), location

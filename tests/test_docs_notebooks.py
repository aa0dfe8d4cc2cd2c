"""The worked-example notebooks (one per group: E1–E5, E6–E8, E9–E12) run top to bottom.

They are linked from the example pages and served by the site; each is executed here in a
real kernel against this checkout, and each must still hold its recorded outputs (the
committed copy is an executed notebook, readable without running it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["e01-e05", "e06-e08", "e09-e12"]


def _need(module: str):
    """The dev extras install these; under CI a missing one is a failure, not a skip."""
    if os.environ.get("CI"):
        import importlib

        return importlib.import_module(module)
    return pytest.importorskip(module)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_example_notebook_executes(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = _need("nbformat")
    nbclient = _need("nbclient")
    _need("ipykernel")
    path = ROOT / "examples" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    committed = sum(len(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")
    assert committed > 0, f"{path.name} is committed without its outputs"
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=600,
                                     resources={"metadata": {"path": str(ROOT / "examples")}})
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "✓" in text  # an exercise graded by dx.check, or a verdict
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"
                and c.source.startswith("## E")]
    first, last = (int(x) for x in name[1:].split("-e"))
    numbers = {int(h.split("·")[0].split("E")[-1].split("–")[0]) for h in headings}
    assert numbers >= set(range(first, last + 1)) - {11}, headings  # E10–E11 share a section
    assert nbformat.validate(nb) is None

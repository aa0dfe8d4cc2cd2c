"""The ``diffexplain-torch`` fence: PyTorch code explained at build time (no MkDocs)."""

from __future__ import annotations

import markdown

from diffexplain.docsite import fence


def render(text: str) -> str:
    return markdown.markdown(text, extensions=["pymdownx.superfences"], extension_configs={
        "pymdownx.superfences": {"custom_fences": fence.custom_fences()}})


E1 = """```diffexplain-torch
import torch

w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)
a = torch.add(w, x)
b = torch.add(w, 1)
y = torch.mul(a, b)
y.backward()
print(w.grad)
```
"""


def test_the_code_its_output_and_the_explanation_in_order():
    html = render(E1)
    assert 'class="diffexplain dx-torch"' in html
    code = html.index('class="highlight"')  # the script, highlighted, comes first
    explained = html.index("partial y")
    printed = html.index("tensor([5.])")
    assert code < explained < printed
    assert "w.grad: None → 5" in html
    assert "lesson.py" in html.rsplit("diffexplain", 1)[-1]


def test_in_chinese_and_an_expected_error():
    html = render(E1.replace("import torch", "#: lang: zh\nimport torch", 1))
    assert "torch 做了什么" in html
    bad = E1.replace("y.backward()", "w.add_(1)")
    assert "failed" in render(bad)  # the build reports it
    ok = render(bad.replace("import torch", "#: expect-error: RuntimeError\nimport torch", 1))
    assert "a leaf Variable that requires grad" in ok and "failed" not in ok


def test_a_file_of_the_repository_and_max_calls(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    fence.set_context(base_dir=root)
    try:
        html = render("```diffexplain-torch\n#: file: examples/notes/e6.py\n#: max-calls: 1\n```\n")
        e2 = render("```diffexplain-torch\n#: file: examples/notes/e2.py\n```\n")
    finally:
        fence.set_context(base_dir=None)
    assert "2 more autograd calls ran without an explanation (--max-calls 1)" in html
    assert "examples/notes/e6.py --max-calls" in html.replace('<span class="w"> </span>', " ")
    assert "Trying to backward through the graph a second time" in e2  # a failure is shown
    assert "same graph and point as call 1" in e2
    bad = render("```diffexplain-torch\n#: file: examples/notes/nope.py\n```\n")
    assert "no such file" in bad


def test_expected_errors_in_chinese_and_torch_refusals_are_not_build_failures():
    code = ("```diffexplain-torch\n#: lang: zh\n#: expect-error: RuntimeError\nimport torch\n"
            "w = torch.tensor([1.], requires_grad=True)\nx = torch.tensor([2.], requires_grad=True)\n"
            "y = torch.mul(w, x)\nwith torch.no_grad():\n    w.add_(1)\ny.backward()\n```\n")
    html = render(code)
    assert "admonition failure" not in html and "admonition warning" in html
    assert "version" in html and "torch 做了什么" in html

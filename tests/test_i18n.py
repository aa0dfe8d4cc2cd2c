"""Languages: catalog completeness, the compiled catalog, the locale default, lang= and fonts."""

from __future__ import annotations

import gettext
import io
import re
import threading
from pathlib import Path

import pytest

from diffexplain import i18n
from diffexplain.errors import InputError
from diffexplain.i18n import GLOSSARY, LANGUAGES, LOCALE_DIR, _, default_lang, get_lang, use_lang

ROOT = Path(__file__).resolve().parent.parent
PO = LOCALE_DIR / "zh" / "LC_MESSAGES" / "diffexplain.po"
CATALOGS = [LOCALE_DIR / lang / "LC_MESSAGES" / "diffexplain.po" for lang in LANGUAGES if lang != "en"]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _extracted() -> set[str]:
    """The msgids Babel extracts from the package's source now (as `pybabel extract` does)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    ids = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map=[("diffexplain/**.py", "python")],
            keywords={**DEFAULT_KEYWORDS, "N_": None}):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def _po(path: Path = PO):
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        return read_po(fh)


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_message_has_a_translation(po):
    catalog = _po(po)
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    source = _extracted()
    assert len(source) > 100
    missing = sorted(source - set(translated))
    assert not missing, f"not in the .po (run the update in docs/contributing-translations.md): {missing[:5]}"
    bad = []
    for msgid in source:
        m = translated[msgid]
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        if m.fuzzy or not all(s.strip() for s in strings):
            bad.append(msgid)
    assert not bad, f"untranslated or fuzzy: {bad[:5]}"


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_translations_keep_the_placeholders(po):
    for m in _po(po):
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        want = set(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == want, (m.id, s)


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_compiled_catalog_is_up_to_date(po):
    with open(po.with_suffix(".mo"), "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for m in _po(po):
        if not m.id:
            continue
        if isinstance(m.id, str):
            assert mo.gettext(m.id) == m.string, f"stale .mo for {m.id!r}: run pybabel compile"
        else:
            assert mo.ngettext(m.id[0], m.id[1], 1) == m.string[0]
    # and nothing in the .mo that the .po lost
    buf = io.BytesIO()
    from babel.messages.mofile import write_mo

    write_mo(buf, _po(po))
    fresh = gettext.GNUTranslations(io.BytesIO(buf.getvalue()))
    assert set(fresh._catalog) == set(mo._catalog)  # type: ignore[attr-defined]


def test_the_terms_of_the_notes_are_used_consistently():
    for m in _po():
        if not m.id or not isinstance(m.id, str):
            continue
        for en, zh, pattern in GLOSSARY:
            if re.search(pattern, m.id):
                assert zh in m.string, f"{en!r} should be {zh!r} in: {m.string}"


def test_glossary_pages_list_every_term_in_both_languages():
    en = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    zh = (ROOT / "docs" / "glossary.zh.md").read_text(encoding="utf-8")
    for term, chinese, _pattern in GLOSSARY:
        assert chinese in en and chinese in zh
        assert term.split(" (")[0] in en


@pytest.mark.parametrize(("env", "lang"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_TW"}, "zh"),
    ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL wins
    ({"LC_MESSAGES": "zh_CN", "LANG": "de_DE"}, "zh"),
    ({"LC_ALL": "", "LANG": "zh_CN.UTF-8"}, "zh"),  # empty counts as unset
    ({"LANG": "fr_FR.UTF-8"}, "en"),  # unknown: English
    ({"LANG": "C"}, "en"),
    ({}, "en"),
])
def test_default_language_comes_from_the_locale(env, lang):
    assert default_lang(env) == lang


def test_locale_default_applies_without_lang(monkeypatch):
    for var in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert get_lang() == "zh"
    assert _("gradient") == "梯度"
    with use_lang("en"):
        assert _("gradient") == "gradient"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert get_lang() == "en"


def test_language_is_per_context():
    seen = {}

    def worker():
        seen["other"] = get_lang()

    with use_lang("zh"):
        t = threading.Thread(target=worker)  # a new thread starts from an empty context
        t.start()
        t.join()
        assert get_lang() == "zh"
    assert seen["other"] == default_lang()


@pytest.mark.parametrize("lang", ["zh", "zh_CN", "zh-Hans", "ZH", "en", "en_US"])
def test_language_names_normalize(lang):
    assert i18n.normalize(lang) in ("zh", "en")


def test_unknown_language_is_an_input_error():
    with pytest.raises(InputError, match="unknown language 'fr'"):
        i18n.normalize("fr")
    import diffexplain as dx

    with pytest.raises(InputError):
        dx.explain("x*x", at="x=1", lang="klingon", autograd=False)


def test_explain_in_chinese_keeps_the_numbers_and_json_keys():
    import diffexplain as dx

    en = dx.explain("x**3", at="x=2", order=2, lang="en")
    zh = dx.explain("x**3", at="x=2", order=2, lang="zh")
    assert (en.lang, zh.lang) == ("en", "zh")
    assert zh.gradient == en.gradient == {"x": 12.0}
    md = zh.to_markdown()
    assert "### 计算图" in md and "高阶导数" in md and "| ∂/∂x | 12 | 12 | 12 | ✓ |" in md
    assert "Computational graph" not in md
    d_en, d_zh = en.to_dict(), zh.to_dict()
    assert d_en.keys() == d_zh.keys()
    order_en = d_en["extras"]["higher_order"]["variables"]["x"]["orders"]
    order_zh = d_zh["extras"]["higher_order"]["variables"]["x"]["orders"]
    assert [r["value"] for r in order_en] == [r["value"] for r in order_zh] == [12.0, 12.0]
    # the renderers speak the explanation's language whatever the current one is
    with use_lang("en"):
        assert "### 计算图" in zh.to_markdown()
        assert "结论" in zh.to_latex()


def test_messages_with_values_are_translated_with_their_values():
    import diffexplain as dx

    with pytest.raises(InputError) as err:
        dx.explain("x*x", at="x=1", order=0, lang="zh", autograd=False)
    assert str(err.value) == "导数的阶至少为 1，而不是 0"
    with use_lang("zh"):
        assert str(InputError("坏", "x +", 2)) == "坏（第 1 行，第 3 列）"


# --- figures -----------------------------------------------------------------------------------
def test_a_cjk_font_draws_chinese_labels_without_missing_glyphs(recwarn):
    if i18n.cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lang, rc = i18n.figure_rc("zh")
    assert lang == "zh" and i18n.cjk_font() in rc["font.family"]
    with matplotlib.rc_context(rc):
        fig, ax = plt.subplots()
        ax.set_title("计算图：梯度 ∂y/∂w = 5")
        fig.canvas.draw()
        plt.close(fig)
    assert not [w for w in recwarn if "missing from" in str(w.message)]


def test_without_a_cjk_font_figures_fall_back_to_english(monkeypatch, capsys):
    monkeypatch.setattr(i18n, "cjk_font", lambda: None)
    monkeypatch.setattr(i18n, "_warned", [])
    assert i18n.figure_rc("zh") == ("en", {})
    assert i18n.figure_rc("zh") == ("en", {})
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no CJK font" in err
    assert i18n.figure_rc("en") == ("en", {})


def test_figure_labels_in_chinese_have_their_glyphs(recwarn):
    if i18n.cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    import diffexplain as dx
    from diffexplain.render.figure import svg

    e = dx.explain("(x+w)*(w+1)", at="w=1,x=2", lang="zh")
    drawing = svg(e, autograd=True)
    assert "合起来给出 ∂y/∂w" in drawing and "梯度从右向左流动" in drawing
    assert not [w for w in recwarn if "missing from" in str(w.message)]


# --- the check command's feedback and the trace tables ------------------------------------------
def test_check_feedback_in_chinese():
    import diffexplain as dx
    from diffexplain.render.check_formats import text

    steps = ["b*1 + a*1", "b + a", "2*w + x"]
    zh = dx.check("(x+w)*(w+1)", wrt="w", steps=steps, at={"w": 1, "x": 2}, lang="zh")
    en = dx.check("(x+w)*(w+1)", wrt="w", steps=steps, at={"w": 1, "x": 2}, lang="en")
    assert (zh.first_error, zh.mistake.code) == (en.first_error, en.mistake.code) == (2, "constant")
    assert zh.mistake.sentence == "第 3 步：从 b = w + 1 中丢掉了常数 1（用了 b = w）。"
    assert en.mistake.sentence == "Step 3 drops the constant 1 from b = w + 1 (uses b = w)."
    assert zh.steps[2].reason.startswith("在 w = 1, x = 2 处它等于 4，但 ∂y/∂w = 5")
    out = text(zh)
    assert "错误 [constant]" in out and "正确的推导" in out and "3 步中的第 3 步错了" in out
    assert zh.to_dict()["summary"] == "3 步中的第 3 步错了（constant）"


def test_trace_tables_in_chinese():
    from diffexplain.core.parsing import parse
    from diffexplain.methods.modes import trace
    from diffexplain.render.tracetables import text

    t = trace(parse("(x+w)*(w+1)"), {"w": 1, "x": 2}, "forward")
    with use_lang("zh"):
        out = text(t)
    assert "原始追踪（前向求值）" in out and "前向切向追踪，第 1 次（共 2 次）" in out
    assert "前向模式：每个输入一次切向传播：2 个输入（w, x）→ 2 次" in out
    with use_lang("en"):
        assert "Forward mode: one tangent pass per input: 2 inputs (w, x) → 2 passes" in text(t)


# --- the command line -----------------------------------------------------------------------------
E1 = ("explain", "(x+w)*(w+1)", "--at", "w=1,x=2")


def test_cli_lang_zh_prints_the_seed_derivation_in_chinese(run_cli, golden):
    zh = run_cli(*E1, "--lang", "zh")
    en = run_cli(*E1, "--lang", "en")
    assert zh.returncode == en.returncode == 0, zh.stderr
    golden("E1.zh.txt", zh.stdout)
    assert "# 链式法则：对从 w 到 y 的 2 条路径" in zh.stdout and "结论 ✓" in zh.stdout
    # the math is unchanged: every derivation line left of its '#' is the English one
    math_zh = [ln.split("   # ")[0] for ln in zh.stdout.splitlines() if "   # " in ln]
    math_en = [ln.split("   # ")[0] for ln in en.stdout.splitlines() if "   # " in ln]
    assert math_zh == math_en and len(math_en) == 13


def test_cli_language_from_the_locale(run_cli):
    zh = run_cli(*E1, "--no-autograd", env={"LANG": "zh_CN.UTF-8", "LC_ALL": ""})
    assert "计算图（前向传播）" in zh.stdout
    en = run_cli(*E1, "--no-autograd", env={"LANG": "zh_CN.UTF-8", "LC_ALL": "C.UTF-8"})
    assert "Computational graph (forward pass)" in en.stdout
    flag = run_cli("--lang=en", *E1, "--no-autograd", env={"LANG": "zh_CN.UTF-8"})
    assert "Computational graph (forward pass)" in flag.stdout


def test_cli_errors_and_help_in_chinese(run_cli):
    r = run_cli("explain", "(x+w)*(w+1", "--at", "w=1", "--lang", "zh")
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == "diffexplain：错误：'(' 没有闭合（第 1 行，第 7 列）"
    bad = run_cli(*E1, "--lang", "fr")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "unknown language 'fr'" in bad.stderr
    code = ("import sys\nfrom diffexplain.cli import main\ntry:\n    main(['--lang', 'zh', 'explain', "
            "'--help'])\nexcept SystemExit:\n    pass\nprint('HEAVY', sorted(m for m in ('torch', "
            "'sympy', 'matplotlib', 'networkx') if m in sys.modules))")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"},
                         timeout=120).stdout
    assert "用法：" in out and "显示此帮助信息并退出" in out and "自动求导课程" in out
    assert "HEAVY []" in out


def test_cli_check_feedback_in_chinese(run_cli):
    r = run_cli("check", "(x+w)*(w+1)", "--wrt", "w", "--at", "w=1,x=2", "--steps",
                "b*1 + a*1; b + a; 2*w + x", "--lang", "zh")
    assert r.returncode == 1
    assert "错误 [constant]：第 3 步：从 b = w + 1 中丢掉了常数 1（用了 b = w）。" in r.stdout
    assert "正确的推导（路径求和，每一行都已验证）：" in r.stdout


def test_json_keys_do_not_depend_on_the_language(run_cli):
    import json

    zh = json.loads(run_cli(*E1, "--format", "json", "--lang", "zh").stdout)
    en = json.loads(run_cli(*E1, "--format", "json", "--lang", "en").stdout)

    def keys(x):
        if isinstance(x, dict):
            return {k: keys(v) for k, v in x.items()}
        if isinstance(x, list):
            return [keys(v) for v in x]
        return None

    assert keys(zh) == keys(en)
    assert zh["gradient"] == en["gradient"]
    assert zh["gradient"]["w"]["value"] == 5.0 and zh["lang"] == "zh" and en["lang"] == "en"

"""The lab's computed conclusions and figure text in Vietnamese (CHAINRULE_LANG=vi),
and English unchanged without it."""
import pytest

import chainrule as cr
from chainrule.lab import sigmoid_bound

# Per experiment: a word of its Vietnamese conclusion, and an English phrase of it that
# must not survive translation.
EXPECTED = {
    "vanishing": ("tầng", "the ratio"),
    "sigmoid-bound": ("bài giảng", "as the lectures say"),
    "skip": ("mạng thường", "Final training loss"),
    "degradation": ("hàm mất mát huấn luyện", "training loss"),
    "shortcuts": ("đường ngắn nhất", "Shortest path"),
    "dying-relu": ("nơ-ron", "of the ReLU units"),
    "batching": ("cập nhật", "updates after which"),
    "losses": ("tốc độ học", "the same learning rate"),
    "learning-rate": ("tốc độ học", "full-batch gradient-descent steps"),
    "optimizers": ("thung lũng", "In the valley"),
}


@pytest.fixture(scope="module")
def vietnamese():
    """Every experiment at its quick size, concluded in Vietnamese."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHAINRULE_LANG", "vi")
        yield {name: cr.lab.run(name, quick=True, figures=False) for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_conclusion_is_vietnamese(vietnamese, name):
    word, english = EXPECTED[name]
    text = vietnamese[name].conclusion
    assert word in text.lower()
    assert english not in text
    assert " the " not in text and " with " not in text   # no untranslated sentence


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_figure_text_is_vietnamese(vietnamese, name, monkeypatch):
    monkeypatch.setenv("CHAINRULE_LANG", "vi")
    figures = cr.lab.get(name).plot(vietnamese[name])
    texts = []
    for fig in figures.values():
        for ax in fig.axes:
            texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
            legend = ax.get_legend()
            if legend is not None:
                texts += [t.get_text() for t in legend.get_texts()]
        if fig._suptitle is not None:
            texts.append(fig._suptitle.get_text())
    joined = " | ".join(texts)
    assert any(c in joined for c in "ạảấầẩậắằẳặẹẻẽếềểệỉịọỏốồổộớờởợụủứừửựỳỷỹđ"), joined
    for english in ("training loss", "(log scale)", "at initialisation", "per epoch"):
        assert english not in joined


def test_english_is_unchanged(monkeypatch):
    monkeypatch.setenv("CHAINRULE_LANG", "en")
    result = cr.lab.run("sigmoid-bound", quick=True, figures=False)
    assert result.conclusion == (
        "Nothing here is random (a fixed grid and exact products), so it is run once: the "
        "seed does not enter. Autograd's σ′ on 2001 points in [-10, 10] never exceeds 1/4: its maximum is 0.25, "
        "at x = 0, as the lectures say (it agrees with finite differences to "
        f"{result.numbers['max_abs_diff_from_finite_difference']:.1e}). Through 10 sigmoid "
        "layers the gradient keeps at most (1/4)^10 = 9.54e-07 of its size. Multiplied out "
        "in float32 the product leaves the normal range at L = 64 and is rounded to exactly "
        "0 at L = 75; in float64 at L = 512 and L = 538: the computer does round it to 0. "
        "Thresholds: BOUND_TOLERANCE = 1e-12.")
    assert sigmoid_bound.conclude(result.numbers) == result.conclusion

"""The listing classifier as an estimator: learns a known answer, saves and loads without pickle."""

from pathlib import Path

from xingqu.governance.classifier import (
    NgramNaiveBayes,
    packaged_classifier,
    read_labelled,
)

TEXTS = ["高仿名牌包", "高仿手表", "精仿大牌", "纯棉T恤", "保湿面霜", "新鲜苹果"]
LABELS = ["goods.counterfeit"] * 3 + ["clean"] * 3


def test_it_learns_a_separable_answer() -> None:
    # when
    model = NgramNaiveBayes(alpha=0.1).fit(TEXTS, LABELS)
    # then
    assert (
        max(model.predict_proba("高仿耳机").items(), key=lambda kv: kv[1])[0] == "goods.counterfeit"
    )
    assert max(model.predict_proba("纯棉衬衫").items(), key=lambda kv: kv[1])[0] == "clean"
    assert abs(sum(model.predict_proba("任何").values()) - 1.0) < 1e-9


def test_save_and_load_give_the_same_probabilities(tmp_path: Path) -> None:
    # given
    model = NgramNaiveBayes(alpha=0.1).fit(TEXTS, LABELS)
    path = tmp_path / "model.json"
    # when
    model.save(path)
    loaded = NgramNaiveBayes.load(path)
    # then
    assert loaded.predict_proba("高仿手表 一比一") == model.predict_proba("高仿手表 一比一")
    assert path.read_text(encoding="utf-8").startswith("{")


def test_the_packaged_model_is_trained_on_the_shipped_set_and_versioned() -> None:
    # when
    first, second = packaged_classifier(), packaged_classifier()
    # then
    assert first is second
    assert first.version.startswith("nb-char3+")
    code, p = first.top_violation("高仿香奈儿包 专柜一比一")
    assert code == "goods.counterfeit" and p > 0.9


def test_labelled_rows_parse_multi_label_and_several_prices() -> None:
    [row] = read_labelled(["# comment", "a.b,c.d\tcat\t100,200\tT\tD"])
    assert row.labels == ("a.b", "c.d") and row.prices_fen == (100, 200)
    assert row.codes == frozenset({"a.b", "c.d"})

"""The listing classifier as an estimator: learns a known answer, saves and loads without pickle,
and the packaged model is trained on the shipped set and versioned."""

from pathlib import Path

import pytest

from xingqu.governance.classifier import (
    CLEAN,
    ListingClassifier,
    NgramLogisticRegression,
    features,
    packaged_classifier,
    read_labelled,
    training_rows,
)

TEXTS = ["高仿名牌包", "高仿手表", "精仿大牌", "纯棉T恤", "保湿面霜", "新鲜苹果"]
LABELS = ["goods.counterfeit"] * 3 + [CLEAN] * 3


def test_features_are_cjk_characters_short_ngrams_and_latin_words_and_pairs() -> None:
    # when
    got = features("高仿 Fake bag!")
    # then: the compact view is "高仿fakebag"; single Latin letters are not features
    assert {"高", "仿", "高仿", "高仿f", "fa", "fak", "w:fake", "w:bag", "b:fake_bag"} <= got
    assert "f" not in got and "a" not in got


def test_it_learns_a_separable_answer() -> None:
    # when
    model = NgramLogisticRegression(C=10.0).fit(TEXTS, LABELS)
    # then
    proba = model.predict_proba("高仿耳机")
    assert max(proba, key=proba.__getitem__) == "goods.counterfeit"
    proba = model.predict_proba("纯棉衬衫")
    assert max(proba, key=proba.__getitem__) == CLEAN
    assert abs(sum(model.predict_proba("任何").values()) - 1.0) < 1e-9
    assert model.classes_ == ["clean", "goods.counterfeit"]


def test_fit_refuses_mismatched_or_empty_input() -> None:
    with pytest.raises(ValueError):
        NgramLogisticRegression().fit(["a", "b"], ["clean"])
    with pytest.raises(ValueError):
        NgramLogisticRegression().fit([], [])


def test_save_and_load_give_the_same_probabilities(tmp_path: Path) -> None:
    # given
    model = NgramLogisticRegression(C=10.0).fit(TEXTS, LABELS)
    path = tmp_path / "model.json"
    # when
    model.save(path)
    loaded = NgramLogisticRegression.load(path)
    # then
    assert loaded.predict_proba("高仿手表 一比一") == model.predict_proba("高仿手表 一比一")
    assert (loaded.C, loaded.classes_, loaded.n_iter_) == (10.0, model.classes_, model.n_iter_)
    assert path.read_text(encoding="utf-8").startswith("{")


def test_top_violation_is_the_likeliest_code_with_the_probability_of_not_clean() -> None:
    # given
    model = NgramLogisticRegression(C=10.0).fit(
        [*TEXTS, "加微信私聊", "微信下单"], [*LABELS, *["diversion.off_platform"] * 2]
    )
    classifier = ListingClassifier(model, "test")
    # when
    code, p = classifier.top_violation("高仿包")
    # then
    proba = model.predict_proba("高仿包")
    assert code == "goods.counterfeit"
    assert p == pytest.approx(1.0 - proba[CLEAN])
    assert p > proba["goods.counterfeit"] > 0.5


def test_the_packaged_model_is_trained_on_the_shipped_set_and_versioned() -> None:
    # when
    first, second = packaged_classifier(), packaged_classifier()
    # then
    assert first is second
    assert first.version.startswith("lr-char3+")
    assert len(training_rows()) >= 1000
    code, p = first.top_violation("高仿香奈儿包 专柜一比一")
    assert code == "goods.counterfeit" and p > 0.9
    code, p = first.top_violation("国家补贴 以旧换新\n最近第一次买，符合国家标准")
    assert p < 0.5


def test_labelled_rows_parse_multi_label_and_several_prices() -> None:
    [row] = read_labelled(["# comment", "a.b,c.d\tcat\t100,200\tT\tD"])
    assert row.labels == ("a.b", "c.d") and row.prices_fen == (100, 200)
    assert row.codes == frozenset({"a.b", "c.d"})

"""SASRec: seeded training, a falling loss, a progress bar; and the package works without torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.discovery.retrieval.data import QUERY_A, QUERY_B, two_groups

sasrec = pytest.importorskip("xingqu.discovery.retrieval.sasrec")

SMALL = {
    "embedding_dim": 16,
    "max_length": 8,
    "batch_size": 16,
    "learning_rate": 0.01,
    "n_threads": 1,
}


def test_training_is_seeded_and_the_loss_falls() -> None:
    # given the same data and seed twice, and another seed
    data = two_groups()
    users = np.array([QUERY_A, QUERY_B, 3])
    first = sasrec.SASRecRecommender(epochs=8, seed=5, **SMALL).fit(data)
    second = sasrec.SASRecRecommender(epochs=8, seed=5, **SMALL).fit(data)
    other = sasrec.SASRecRecommender(epochs=8, seed=6, **SMALL).fit(data)
    # then
    a, b, c = (m.recommend(users, 4) for m in (first, second, other))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    assert first.loss_history_ == second.loss_history_
    assert len(first.loss_history_) == 8 and first.loss_history_[-1] < first.loss_history_[0]


def test_verbose_training_shows_a_progress_bar_per_epoch(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sasrec.SASRecRecommender(epochs=2, verbose=True, **SMALL).fit(two_groups())
    err = capsys.readouterr().err
    assert "SASRec epoch 1/2" in err and "SASRec epoch 2/2" in err and "loss=" in err


def test_recommendations_use_only_the_last_max_length_items() -> None:
    # given a model that reads one item: users with the same last item get the same answer
    data = two_groups()
    model = sasrec.SASRecRecommender(epochs=3, **{**SMALL, "max_length": 1}).fit(data)
    # when: user 0 ends ...5, 3, 3, users 1 and 2 both end ...3, 4
    _, scores = model.recommend(np.array([0, 1]), 5)
    same_end = model.recommend(np.array([1, 2]), 5)
    # then
    np.testing.assert_array_equal(same_end[0][0], same_end[0][1])
    np.testing.assert_array_equal(same_end[1][0], same_end[1][1])
    assert not np.array_equal(scores[0], scores[1])


def test_the_package_imports_and_works_without_torch() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["torch"] = None  # as if PyTorch were not installed
        import numpy as np
        import xingqu.discovery.retrieval as retrieval
        from tests.discovery.retrieval.data import two_groups
        model = retrieval.TransitionRecommender().fit(two_groups())
        assert model.recommend(np.array([14]), 1)[0].tolist() == [[2]]
        try:
            retrieval.SASRecRecommender
        except ImportError as exc:
            print("refused:", exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parents[3],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "refused: SASRecRecommender needs PyTorch" in done.stdout


def test_long_histories_are_cut_into_windows_that_cover_every_step() -> None:
    # given a user with items 0..7 (7 steps) and one with a single item, windows of 3 steps
    indptr = np.array([0, 8, 9])
    items = np.array([0, 1, 2, 3, 4, 5, 6, 7, 9])
    # when
    rows, lengths = sasrec.training_windows(indptr, items, 3)
    # then (ids + 1, 0 pads) 4→7, 1→4 and 0→1; the one-item user has no step to learn
    assert rows.tolist() == [[5, 6, 7, 8], [2, 3, 4, 5], [1, 2, 0, 0]]
    assert lengths.tolist() == [4, 4, 2]


def test_warm_start_continues_training() -> None:
    data = two_groups()
    model = sasrec.SASRecRecommender(epochs=2, warm_start=True, **SMALL).fit(data)
    first = list(model.loss_history_)
    network = model.network_
    model.fit(data)
    assert model.network_ is network and len(model.loss_history_) == 4
    assert model.loss_history_[:2] == first

"""The in-process peers and the RecBole file bridge of bench/, on small known data."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
from scipy import sparse

from tests.discovery.evaluation.test_protocol import leave_one_out_split
from xingqu.discovery.evaluation import protocol

BENCH = Path(__file__).resolve().parents[3] / "bench"


def bench_module(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def test_transition_peer_follows_the_last_item_and_excludes_seen_items() -> None:
    # given fit data (train + valid): user 0: 0 1 2, user 1: 1 0 4, user 2: 2 3 0
    peers = bench_module("peers")
    split = leave_one_out_split()
    model = peers.TransitionPeer().fit(split.fit_data("test"))
    history = split.fit_data("test").to_csr(binary=True)
    # when
    items, _ = model.recommend(np.array([0, 1, 2]), 2, exclude=history)
    # then: after 2 comes 3 (user 2's 2 → 3); after 4 nothing, so popularity (1, 2 ... unseen:
    # 2, 3, 5 for user 1 → 2 is the most frequent); after 0 comes 1 and 4
    assert items[0].tolist()[0] == 3
    assert items[1].tolist()[0] == 2
    assert sorted(items[2].tolist()) == [1, 4]
    assert (
        model.score(np.array([0, 0]), np.array([3, 5])).tolist()[0]
        > model.score(np.array([0]), np.array([5])).tolist()[0]
    )


def test_popularity_peer_pads_when_everything_is_excluded() -> None:
    peers = bench_module("peers")
    split = leave_one_out_split()
    model = peers.PopularityPeer().fit(split.train)
    everything = sparse.csr_matrix(np.ones((1, split.n_items), dtype=np.float32))
    items, scores = model.recommend(np.array([0]), 3, exclude=everything)
    assert items.tolist() == [[-1, -1, -1]]
    assert np.isneginf(scores).all()


def test_peers_satisfy_the_protocol() -> None:
    peers = bench_module("peers")
    split = leave_one_out_split()
    for cls in (peers.PopularityPeer, peers.TransitionPeer):
        result = protocol.evaluate(cls(), split, (2,), progress=False)
        assert result["metrics"]["seen_recommended"] == 0.0


def test_recbole_files_carry_our_rows_and_pre_augmented_sequences(tmp_path: Path) -> None:
    # given
    bridge = bench_module("recbole_bridge")
    split = leave_one_out_split()
    fit = split.fit_data("test")
    # when
    general = bridge._train_rows(fit, False, 50)
    sequential = bridge._train_rows(fit, True, 2)
    bridge.write_atomic(tmp_path / "x.train.inter", sequential, True)
    # then: every fit row for general models, one row per next item for sequential ones
    assert len(general) == len(fit)
    assert [(u, i, h) for u, i, _, h in sequential] == [
        (0, 1, "0"),
        (0, 2, "0 1"),
        (1, 0, "1"),
        (1, 4, "1 0"),
        (2, 3, "2"),
        (2, 0, "2 3"),
    ]
    lines = (tmp_path / "x.train.inter").read_text().splitlines()
    assert lines[0] == "user_id:token\titem_id:token\ttimestamp:float\titem_id_list:token_seq"
    assert lines[2] == "0\t2\t2\t0 1"


def test_recbole_test_inputs_read_train_and_valid_items_as_the_users_sequences(
    tmp_path: Path,
) -> None:
    # given the leave-one-out split (user 0: 0 1 2 | valid 2 | test 3 ...)
    bridge = bench_module("recbole_bridge")
    split = leave_one_out_split()
    # when the test stage's inputs are written with sequences cut to the last 2 items
    fit, targets, users, impressions = bridge._stage_inputs(
        split, "test", None, tmp_path / "inputs.npz", 2
    )
    # then every user with a test target is ranked, from the last 2 of train + valid items,
    # with all of train + valid excluded
    saved = np.load(tmp_path / "inputs.npz")
    assert saved["users"].tolist() == users.tolist() == [0, 1, 2] and impressions is None
    assert saved["sequences"].tolist() == [[1, 2], [0, 4], [3, 0]]
    assert saved["sequence_lengths"].tolist() == [2, 2, 2]
    indptr, indices = saved["history_indptr"], saved["history_indices"]
    assert [sorted(indices[indptr[u] : indptr[u + 1]].tolist()) for u in range(3)] == [
        [0, 1, 2],
        [0, 1, 4],
        [0, 2, 3],
    ]
    assert len(fit) == 9 and sorted(targets.item_ids.tolist()) == [1, 3, 5]

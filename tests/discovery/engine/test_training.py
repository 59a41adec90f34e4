"""Training a version from the platform's log, and serving it."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from xingqu.bootstrap import Platform
from xingqu.discovery.engine.model import EngineModel
from xingqu.discovery.engine.outcomes import LogColumns, item_counts, label_impressions
from xingqu.discovery.engine.training import TrainingSettings, retrieval_model
from xingqu.discovery.feed import feed
from xingqu.discovery.models import BehaviourEvent, ServedFeatures
from xingqu.discovery.ranking.features import FEATURES
from xingqu.discovery.rules import ACTION_CODES, Action
from xingqu.sim.context import consumer
from xingqu.sim.truth import SimTruth


def _code(action: Action) -> int:
    return ACTION_CODES.index(action)


def test_impressions_are_labelled_by_what_followed_them() -> None:
    # given user 1 shown content 10 at t=100 and content 11 at t=100, user 2 shown 10 at t=0
    imp, watch, like, order, refund = (
        _code(a)
        for a in (Action.IMPRESSION, Action.WATCH, Action.LIKE, Action.ORDER, Action.REFUND)
    )
    rows = [
        # user, action, content, product, value, at
        (1, imp, 10, -1, 0.0, 100),
        (1, imp, 11, -1, 0.0, 100),
        (2, imp, 10, -1, 0.0, 0),
        (1, watch, 10, -1, 12.0, 110),
        (1, watch, 10, -1, 30.0, 120),  # the longest watch counts
        (1, like, 10, -1, 0.0, 130),
        (1, order, 10, 7, 1.0, 200),
        (1, refund, -1, 7, 0.0, 900),  # refunded later: counts against the impression
        (1, watch, 11, -1, 5.0, 100 + 7_201),  # after the response window
        (2, order, 10, 7, 1.0, 50),  # user 2 bought, never refunded
        (2, refund, -1, 7, 0.0, 10),  # a refund before the order is another order's
    ]
    u, a, c, p, v, t = (np.array(col) for col in zip(*rows, strict=True))
    log = LogColumns(
        user=u, action=a, content=c, product=p, category=np.full(len(u), 3), value=v, at=t
    )
    # when
    outcomes = label_impressions(log, response_window=timedelta(hours=2))
    # then
    assert outcomes.rows.tolist() == [0, 1, 2]
    assert outcomes.click.tolist() == [1, 0, 1]
    assert outcomes.buy.tolist() == [1, 0, 1]
    assert outcomes.refund.tolist() == [1, 0, 0]
    assert outcomes.watch_s.tolist() == [30.0, 0.0, 0.0]
    counts = item_counts(log, outcomes, {10: 60, 11: 60})
    assert counts.content_ids.tolist() == [10, 11]
    assert counts.impressions.tolist() == [2.0, 1.0]
    assert counts.clicks.tolist() == [2.0, 0.0]
    assert counts.buys.tolist() == [2.0, 0.0]
    assert counts.refunds.tolist() == [1.0, 0.0]
    assert counts.engagements.tolist() == [2.0, 0.0]


def test_a_version_trained_on_the_log_holds_every_component(trained: Platform) -> None:
    # given the version the fixture trained on two simulated days
    registry = trained.feed_engine.slot.registry
    assert registry is not None
    manifest = registry.manifest(registry.current() or "")
    with trained.uow(readonly=True) as uow:
        impressions = uow.session.scalar(
            select(func.count()).where(BehaviourEvent.action == Action.IMPRESSION)
        )
        served = uow.session.scalar(select(func.count()).select_from(ServedFeatures))
    # then it holds the blend, the exploration co-affinity and a ranker with measured heads
    assert set(manifest.components) == {"tables.npz", "blend", "exploration", "ranker"}
    assert manifest.counts["content_items"] == 100
    assert manifest.counts["impressions"] == impressions
    assert manifest.counts["ranker_rows"] == served
    assert manifest.counts["engaged_users"] >= 5
    assert 0.0 <= manifest.metrics["ranker.click_auc"] <= 1.0
    assert manifest.metrics["ranker.test_rows"] == served - int(served * 0.9)
    # and the simulator's own days trained versions too (the demo retrains after each day)
    assert len(registry.versions()) == 3


def test_the_engine_serves_the_current_version_and_logs_it(trained: Platform) -> None:
    # given every simulated consumer
    truth = SimTruth.load(trained.settings.data_dir)
    version = trained.feed_engine.slot.registry.current()  # type: ignore[union-attr]
    channels: set[str] = set()
    request_ids = []
    # when each opens the feed
    for user in truth.users:
        page = feed(trained.uow(), consumer(user.user_id), limit=20, engine=trained.feed_engine)
        assert page.model_version == version
        channels |= {item.channel.value for item in page.items}
        request_ids.append(page.request_id)
    # then the trained channels take part, and every impression names the version
    assert {"model", "session", "exploration"} <= channels
    with trained.uow(readonly=True) as uow:
        logged = uow.session.execute(
            select(BehaviourEvent.model_version, func.count())
            .where(BehaviourEvent.request_id.in_(request_ids))
            .group_by(BehaviourEvent.model_version)
        ).all()
    assert [v for v, _ in logged] == [version]


def test_the_retrieval_model_is_chosen_by_name() -> None:
    assert type(retrieval_model(TrainingSettings(retrieval="als"))).__name__ == "ALSRecommender"
    assert type(retrieval_model(TrainingSettings())).__name__ == "BlendRecommender"
    with pytest.raises(ValueError, match="unknown retrieval model 'magic'"):
        retrieval_model(TrainingSettings(retrieval="magic"))


def test_a_version_whose_ranker_knows_other_columns_serves_with_the_prior_heads(
    trained: Platform,
) -> None:
    # given the current version's ranker, saved as if trained on one column fewer
    registry = trained.feed_engine.slot.registry
    assert registry is not None
    folder = registry.path(registry.current() or "")
    params = json.loads((folder / "ranker" / "params.json").read_text())
    params["state"]["n_features"] -= 1
    params["params"]["feature_names"] = list(FEATURES[:-1])
    (folder / "ranker" / "params.json").write_text(json.dumps(params))
    # when the version is loaded
    model = EngineModel.load(folder, registry.current() or "")
    # then it has no ranker (the feed uses the prior heads) and still serves
    assert model.ranker is None and model.blend is not None

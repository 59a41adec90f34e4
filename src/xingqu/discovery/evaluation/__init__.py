"""Offline evaluation of the discovery engine's models on public benchmarks.

- `datasets`: loaders (Amazon Beauty/Sports, MovieLens-100k, Taobao) → `Interactions`.
- `splits`: deterministic train/valid/test files with a content hash, shared with every peer.
- `metrics`: pure metric functions (HR, Recall, NDCG, MRR, AUC, GAUC, coverage, novelty,
  discovery rate).
- `protocol`: `evaluate(model, split, ...)`: fit, full-ranking evaluation in batches, timings.
- `report`: `run(dataset, models, ...)`, what `xingqu evaluate` calls.
"""

"""SASRec: next-item prediction by causal self-attention over a user's recent items (Kang &
McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018), trained with the full softmax
(cross-entropy over every item) rather than sampled negatives.

Needs PyTorch (CPU is enough): `pip install 'xingqu[sequence]'`. The rest of the retrieval
package does not import this module unless asked for `SASRecRecommender`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ModuleNotFoundError(  # a ModuleNotFoundError, so pytest.importorskip skips
        "SASRecRecommender needs PyTorch: pip install 'xingqu[sequence]' "
        "(or torch==2.13.0 for the CPU build)"
    ) from exc

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval.base import FloatArray, IntArray, Recommender
from xingqu.discovery.retrieval.histories import history_lengths, recent_window, time_ordered

_NETWORK = "network."


class SASRecRecommender(Recommender):
    """Causal self-attention over the last `max_length` items (item + learned position
    embeddings, `blocks` pre-norm Transformer blocks with `heads` heads, output tied to the
    item embeddings). Every step of every user's fitted history is a training example for the
    next item (long histories are cut into windows of `max_length`); the loss is the
    cross-entropy over all items. Adam, `epochs` passes in mini-batches of `batch_size` windows
    (batched by similar length to waste little padding), seeded by `seed`; `n_threads` sets
    PyTorch's (process-wide) thread count. With `warm_start`, fitting again continues training
    the current network on the new data (same items) instead of starting over.

    `recommend` reads the last `max_length` items of each user's fitted history; users
    without one get the most popular items."""

    _derived: ClassVar[tuple[str, ...]] = ("network_",)

    def __init__(
        self,
        *,
        max_length: int = 50,
        embedding_dim: int = 64,
        blocks: int = 2,
        heads: int = 1,
        dropout: float = 0.2,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        epochs: int = 30,
        batch_size: int = 256,
        seed: int = 0,
        n_threads: int | None = None,
        warm_start: bool = False,
        verbose: bool = False,
    ) -> None:
        self.max_length = max_length
        self.embedding_dim = embedding_dim
        self.blocks = blocks
        self.heads = heads
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.seed = seed
        self.n_threads = n_threads
        self.warm_start = warm_start
        self.verbose = verbose

    def fit(self, data: Interactions) -> Self:
        from tqdm.auto import tqdm

        if self.max_length < 1 or self.epochs < 0 or self.batch_size < 1:
            raise ValueError("max_length and batch_size must be ≥ 1, epochs ≥ 0")
        if self.embedding_dim % self.heads:
            raise ValueError("embedding_dim must be a multiple of heads")
        if self.n_threads is not None:
            torch.set_num_threads(self.n_threads)
        resume = (
            self.warm_start
            and hasattr(self, "network_")
            and self.n_items_ == data.n_items
            and hasattr(self, "loss_history_")
        )
        done = len(self.loss_history_) if resume else 0
        torch.manual_seed(self.seed + done)
        rng = np.random.default_rng(self.seed + done)
        indptr, items, _ = time_ordered(data)
        self.history_indptr_ = indptr
        self.history_items_ = items
        self.item_popularity_ = np.bincount(data.item_ids, minlength=data.n_items).astype(
            np.float32
        )
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        if not resume:
            self._restore()
            self.loss_history_: list[float] = []
        if not resume or not hasattr(self, "_optimiser"):  # (loaded from disk: fresh moments)
            self._optimiser = torch.optim.Adam(
                self.network_.parameters(),
                lr=self.learning_rate,
                betas=(0.9, 0.98),
                weight_decay=self.weight_decay,
            )
        network, optimiser = self.network_, self._optimiser
        padded, lengths = training_windows(indptr, items, self.max_length)
        for epoch in range(done, done + self.epochs):
            network.train()
            batches = _length_batches(lengths, self.batch_size, rng)
            progress = tqdm(
                batches,
                desc=f"SASRec epoch {epoch + 1}/{done + self.epochs}",
                disable=not self.verbose,
                leave=True,
                unit="batch",
            )
            total, count = 0.0, 0
            for batch in progress:
                width = int(lengths[batch].max())
                block = torch.from_numpy(padded[batch, :width])
                inputs, targets = block[:, :-1], block[:, 1:]
                hidden = network.encode(inputs)
                valid = targets > 0
                logits = network.logits(hidden[valid])
                loss = nn.functional.cross_entropy(logits, targets[valid] - 1)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                n_valid = int(valid.sum())
                total += loss.item() * n_valid
                count += n_valid
                progress.set_postfix(loss=f"{total / max(count, 1):.4f}", refresh=False)
            self.loss_history_.append(total / max(count, 1))
        network.eval()
        return self

    def _restore(self) -> None:
        torch.manual_seed(self.seed)
        self.network_ = _SASRecNetwork(
            n_items=self.n_items_,
            max_length=self.max_length,
            dim=self.embedding_dim,
            blocks=self.blocks,
            heads=self.heads,
            dropout=self.dropout,
        )
        weights = self.__dict__.pop("_weights", None)  # from load: the trained weights
        if weights is not None:
            self.network_.load_state_dict(weights)
        self.network_.eval()

    def _scores(self, users: IntArray) -> FloatArray:
        scores = np.empty((len(users), self.n_items_), dtype=np.float32)
        lengths = history_lengths(self.history_indptr_, users)
        has = np.flatnonzero(lengths > 0)
        scores[lengths == 0] = self.item_popularity_
        if len(has) == 0:
            return scores
        rows, index, _ = recent_window(self.history_indptr_, users[has], self.max_length)
        used = np.minimum(lengths[has], self.max_length)
        sequences = np.zeros((len(has), int(used.max())), dtype=np.int64)
        column = np.arange(len(rows)) - np.repeat(np.cumsum(used) - used, used)
        sequences[rows, column] = self.history_items_[index] + 1
        with torch.inference_mode():
            hidden = self.network_.encode(torch.from_numpy(sequences))
            last = hidden[torch.arange(len(has)), torch.from_numpy(used - 1)]
            scores[has] = self.network_.logits(last).numpy()
        return scores

    # the network's weights are saved as arrays named "network.<parameter>"
    def _export_state(self, folder: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, arrays = super()._export_state(folder)
        for name, tensor in self.network_.state_dict().items():
            arrays[_NETWORK + name] = tensor.detach().cpu().numpy()
        return state, arrays

    def _import_state(
        self, state: dict[str, Any], arrays: dict[str, np.ndarray], folder: Path
    ) -> None:
        super()._import_state(state, arrays, folder)
        self._weights = {
            name[len(_NETWORK) :]: torch.from_numpy(np.array(value))
            for name, value in arrays.items()
            if name.startswith(_NETWORK)
        }


class _SASRecNetwork(nn.Module):
    def __init__(
        self, *, n_items: int, max_length: int, dim: int, blocks: int, heads: int, dropout: float
    ) -> None:
        super().__init__()
        self.scale = math.sqrt(dim)
        self.items = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.positions = nn.Embedding(max_length, dim)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            d_model=dim,
            nhead=heads,
            dim_feedforward=dim,
            dropout=dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=blocks, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        nn.init.normal_(self.items.weight, std=0.02)
        nn.init.normal_(self.positions.weight, std=0.02)
        with torch.no_grad():
            self.items.weight[0].zero_()

    def encode(self, sequences: torch.Tensor) -> torch.Tensor:
        """(batch, length) item ids + 1, padded with 0 on the right → (batch, length, dim)."""
        length = sequences.shape[1]
        positions = torch.arange(length, device=sequences.device)
        x = self.items(sequences) * self.scale + self.positions(positions)[None]
        x = self.dropout(x)
        causal = nn.Transformer.generate_square_subsequent_mask(length, device=sequences.device)
        x = self.encoder(x, mask=causal, is_causal=True)
        return self.norm(x)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """(n, dim) → (n, n_items): a score for every real item (padding left out)."""
        return hidden @ self.items.weight[1:].T


def training_windows(
    indptr: IntArray, items: IntArray, max_length: int
) -> tuple[IntArray, IntArray]:
    """Every user's history cut into rows of at most max_length + 1 items (item ids + 1, right
    padded with 0), newest window first, consecutive windows sharing one item: each step
    "a, then b" of a history is a training target exactly once. Returns (rows, lengths)."""
    counts = np.diff(indptr)
    users = np.flatnonzero(counts >= 2)
    windows = -(-(counts[users] - 1) // max_length)
    owner = np.repeat(users, windows)
    back = np.arange(int(windows.sum())) - np.repeat(np.cumsum(windows) - windows, windows)
    stop = indptr[owner + 1] - back * max_length
    first = np.maximum(indptr[owner], stop - max_length - 1)
    lengths = stop - first
    column = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    padded = np.zeros((len(lengths), max_length + 1), dtype=np.int64)
    padded[np.repeat(np.arange(len(lengths)), lengths), column] = (
        items[np.repeat(first, lengths) + column] + 1
    )
    return padded, lengths


def _length_batches(lengths: IntArray, batch_size: int, rng: np.random.Generator) -> list[IntArray]:
    """Batches of rows of similar length, in random order: sort by length with random ties,
    cut into batches, shuffle the batches."""
    order = np.lexsort((rng.random(len(lengths)), lengths))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]

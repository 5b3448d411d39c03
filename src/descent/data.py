"""Real data sets for the chapters: load, split with a seeded generator, standardise.

:func:`load_digits` reads the handwritten digits that scikit-learn ships with its
package (1797 images of 8 × 8 pixels, grey levels 0 … 16, ten classes), so it works
offline. :func:`split` cuts a data set into training, validation and test parts
with a seeded generator (stratified: every class keeps its share in every part),
and :func:`standardise` rescales every feature with the mean and standard deviation
of the training part only, so nothing of the validation or test part leaks into
training. :func:`digits` does all three and returns a :class:`Split`.

scikit-learn is needed only by :func:`load_digits` and is imported there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: The parts of a split, in order.
PARTS = ("train", "val", "test")


@dataclass(frozen=True)
class Split:
    """A data set cut into training, validation and test parts.

    ``X_*`` are the (standardised) features, one row per example; ``y_*`` the
    integer class labels. ``mean`` and ``scale`` are the standardisation
    fitted on the training part (``X = (raw − mean) / scale``); ``index_*`` the
    rows of the original data set in each part.
    """

    name: str
    X_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    X_val: np.ndarray = field(repr=False)
    y_val: np.ndarray = field(repr=False)
    X_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    mean: np.ndarray = field(repr=False)
    scale: np.ndarray = field(repr=False)
    index_train: np.ndarray = field(repr=False)
    index_val: np.ndarray = field(repr=False)
    index_test: np.ndarray = field(repr=False)

    @property
    def sizes(self) -> dict[str, int]:
        """The number of examples in each part."""
        return {p: len(getattr(self, f"y_{p}")) for p in PARTS}

    @property
    def n_features(self) -> int:
        """The number of features (columns of X)."""
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        """The number of classes (labels are 0 … n_classes − 1)."""
        return int(max(getattr(self, f"y_{p}").max() for p in PARTS)) + 1


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits: ``X`` (1797, 64) float64, ``y`` (1797,).

    Each row of ``X`` is an 8 × 8 image read row by row, grey levels 0 … 16; ``y``
    holds the digit 0 … 9 (int64). The data ship with scikit-learn (the UCI
    "Optical Recognition of Handwritten Digits" test set), no download needed.
    """
    try:
        from sklearn.datasets import load_digits as _load
    except ImportError as err:  # pragma: no cover - the book's requirements pin it
        raise ImportError(
            "load_digits needs scikit-learn (pip install scikit-learn)") from err
    bunch = _load()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target,
                                                                dtype=np.int64)


def split(
    y: np.ndarray,
    rng: np.random.Generator,
    fractions: Sequence[float] = (0.6, 0.2, 0.2),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of a stratified train/validation/test split, drawn with ``rng``.

    Each class is shuffled with ``rng`` and cut by ``fractions`` (rounded down for
    validation and test, the rest to training), so every part holds about the same
    share of every class. Each part's indices are then shuffled too.

    Args:
        y: the integer labels, shape (n,).
        rng: the random generator; the split is a function of its state.
        fractions: the shares of train, validation and test, each > 0, summing to 1.

    Returns:
        ``(train, val, test)``: disjoint index arrays that together cover 0 … n−1.
    """
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be a 1-D array of integer labels, got {y.dtype} "
                         f"of shape {y.shape}")
    f = np.asarray(fractions, dtype=float)
    if f.shape != (3,) or not np.all(f > 0) or abs(f.sum() - 1) > 1e-12:
        raise ValueError(f"fractions must be three numbers > 0 summing to 1, got "
                         f"{tuple(fractions)}")
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == c))
        n_val, n_test = int(f[1] * len(rows)), int(f[2] * len(rows))
        n_train = len(rows) - n_val - n_test
        cuts = np.cumsum([n_train, n_val])
        for part, chunk in zip(parts, np.split(rows, cuts), strict=True):
            part.append(chunk)
    return tuple(rng.permutation(np.concatenate(p)) for p in parts)


def standardise(
    X_train: np.ndarray, *others: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Rescale every feature to mean 0 and standard deviation 1 on the training part.

    The mean μ and standard deviation σ of each column of ``X_train`` are applied
    to ``X_train`` and to each of ``others``: ``(X − μ) / σ``. A feature that is
    constant in the training part (σ = 0: a pixel that is always blank) gets
    σ = 1, so it stays constant instead of dividing by zero.

    Returns:
        ``(mean, scale, [X_train, *others] standardised)``.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    if X_train.ndim != 2 or len(X_train) < 2:
        raise ValueError(f"X_train must have shape (n, features) with n >= 2, got "
                         f"{X_train.shape}")
    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    out = []
    for i, X in enumerate((X_train, *others)):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != X_train.shape[1]:
            raise ValueError(f"others[{i - 1}] must have shape (n, "
                             f"{X_train.shape[1]}), got {X.shape}")
        out.append((X - mean) / scale)
    return mean, scale, out


def digits(
    rng: np.random.Generator, fractions: Sequence[float] = (0.6, 0.2, 0.2)
) -> Split:
    """The digits, split with ``rng`` (stratified) and standardised on training.

    >>> d = digits(np.random.default_rng(0))
    >>> d.sizes, d.n_features, d.n_classes
    ({'train': 1087, 'val': 355, 'test': 355}, 64, 10)
    """
    X, y = load_digits()
    parts = split(y, rng, fractions)
    mean, scale, (Xtr, Xva, Xte) = standardise(*(X[i] for i in parts))
    return Split("digits", Xtr, y[parts[0]], Xva, y[parts[1]], Xte, y[parts[2]],
                 mean, scale, *parts)

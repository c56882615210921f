"""Customer clusters over chosen features (k-means on standardised values), with the
number of clusters chosen by the silhouette score unless given, and profiles (personas):
each cluster's size, feature means and how it stands against the average customer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler


@dataclass(frozen=True)
class Profile:
    cluster: int
    size: int
    means: dict[str, float]
    persona: str


@dataclass(frozen=True)
class Clustering:
    k: int
    silhouette: float | None
    silhouettes: dict[int, float]
    labels: dict[str, int]
    profiles: list[Profile]


def _persona(z: pd.Series) -> str:
    """Names the two features that set the cluster apart most (z of its mean)."""
    strongest = z.abs().sort_values(ascending=False).index[:2]
    words = [f"{'high' if z[f] > 0 else 'low'} {f}" for f in strongest if abs(z[f]) >= 0.25]
    return ", ".join(words) or "average"


def cluster(
    features: pd.DataFrame, *, k: int | None = None, k_max: int = 8, seed: int = 0
) -> Clustering:
    """Cluster the rows of ``features`` (one per customer, index = customer)."""
    n = len(features)
    if n < 3:
        raise ValueError("clustering needs at least three customers")
    scaled = StandardScaler().fit_transform(features)
    scaled = np.nan_to_num(scaled)
    silhouettes: dict[int, float] = {}
    if k is None:
        for candidate in range(2, min(k_max, n - 1) + 1):
            labels = KMeans(candidate, n_init=10, random_state=seed).fit_predict(scaled)
            if len(set(labels)) > 1:
                silhouettes[candidate] = float(silhouette_score(scaled, labels))
        k = max(silhouettes, key=lambda c: silhouettes[c]) if silhouettes else 2
    model = KMeans(k, n_init=10, random_state=seed).fit(scaled)
    labels = model.labels_
    score = float(silhouette_score(scaled, labels)) if len(set(labels)) > 1 else None
    z = pd.DataFrame(scaled, columns=features.columns).groupby(labels).mean()
    profiles = [
        Profile(
            cluster=int(c),
            size=int((labels == c).sum()),
            means={f: float(v) for f, v in features[labels == c].mean().items()},
            persona=_persona(z.loc[c]),
        )
        for c in sorted(set(labels))
    ]
    return Clustering(
        k=k,
        silhouette=score,
        silhouettes=silhouettes,
        labels={str(i): int(label) for i, label in zip(features.index, labels, strict=True)},
        profiles=profiles,
    )

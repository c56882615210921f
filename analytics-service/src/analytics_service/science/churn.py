"""Churn: the probability that a customer buys nothing in the next period, from a
classifier trained on the tenant's own history, with the drivers behind each score.

Training uses a cut-off in the past: features describe each customer up to the cut-off,
the label says whether they bought nothing in the ``horizon`` after it. The model is a
standardised logistic regression: its score is cross-validated (ROC AUC), and a driver
is a feature's contribution to a customer's log-odds (coefficient times the customer's
standardised value), so "why" is read off the same model that gives "how likely".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


@dataclass(frozen=True)
class ChurnModel:
    pipeline: Pipeline
    features: list[str]
    cv_auc: float | None
    coefficients: dict[str, float]


@dataclass(frozen=True)
class ChurnScore:
    customer: str
    probability: float
    drivers: list[tuple[str, float]]


class NotEnoughHistory(ValueError):
    """Too few customers, or only one outcome, to learn from."""


def train(
    features: pd.DataFrame, churned: pd.Series, *, folds: int = 5, seed: int = 0
) -> ChurnModel:
    """Fit on ``features`` (one row per customer) and the 0/1 ``churned`` labels."""
    labels = churned.astype(int)
    minority = int(labels.value_counts().min()) if labels.nunique() == 2 else 0
    if minority < 2:
        raise NotEnoughHistory("churn needs at least two customers who churned and two who did not")
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))
    splits = StratifiedKFold(n_splits=min(folds, minority), shuffle=True, random_state=seed)
    auc = cross_val_score(pipeline, features, labels, cv=splits, scoring="roc_auc")
    pipeline.fit(features, labels)
    coef = pipeline[-1].coef_[0]
    return ChurnModel(
        pipeline=pipeline,
        features=list(features.columns),
        cv_auc=float(np.mean(auc)),
        coefficients={f: float(c) for f, c in zip(features.columns, coef, strict=True)},
    )


def score(model: ChurnModel, features: pd.DataFrame, *, top: int = 3) -> list[ChurnScore]:
    """Each customer's churn probability and their ``top`` drivers toward churn."""
    frame = features[model.features]
    probabilities = model.pipeline.predict_proba(frame)[:, 1]
    standardised = model.pipeline[0].transform(frame)
    coef = np.array([model.coefficients[f] for f in model.features])
    contributions = standardised * coef
    result = []
    for customer, p, row in zip(frame.index, probabilities, contributions, strict=True):
        order = np.argsort(-row)[:top]
        drivers = [(model.features[i], round(float(row[i]), 4)) for i in order if row[i] > 0]
        result.append(ChurnScore(customer=str(customer), probability=float(p), drivers=drivers))
    return result

"""Market basket: association rules (support, confidence, lift) with mlxtend's apriori,
and "customers who bought X also bought" from them."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from mlxtend.frequent_patterns import apriori, association_rules
from mlxtend.preprocessing import TransactionEncoder


@dataclass(frozen=True)
class Rule:
    antecedents: tuple[str, ...]
    consequents: tuple[str, ...]
    support: float
    confidence: float
    lift: float


def rules(
    baskets: Iterable[Iterable[str]],
    *,
    min_support: float = 0.01,
    min_confidence: float = 0.1,
    max_len: int = 3,
) -> list[Rule]:
    """Rules over ``baskets`` (one set of products per order), strongest lift first."""
    transactions = [sorted(set(b)) for b in baskets if b]
    if not transactions:
        return []
    encoder = TransactionEncoder()
    onehot = pd.DataFrame(
        encoder.fit(transactions).transform(transactions), columns=encoder.columns_
    )
    frequent = apriori(onehot, min_support=min_support, use_colnames=True, max_len=max_len)
    if frequent.empty or frequent["itemsets"].map(len).max() < 2:
        return []
    with warnings.catch_warnings():  # mlxtend's extra metrics divide by zero on sure rules
        warnings.simplefilter("ignore", RuntimeWarning)
        found = association_rules(frequent, metric="confidence", min_threshold=min_confidence)
    result = [
        Rule(
            antecedents=tuple(sorted(row.antecedents)),
            consequents=tuple(sorted(row.consequents)),
            support=round(float(row.support), 6),
            confidence=round(float(row.confidence), 6),
            lift=round(float(row.lift), 6),
        )
        for row in found.itertuples()
    ]
    return sorted(result, key=lambda r: (-r.lift, -r.confidence, r.antecedents, r.consequents))


def also_bought(found: Sequence[Rule], product: str, *, limit: int = 10) -> list[Rule]:
    """The rules from ``product`` alone to one other product, by confidence then lift."""
    single = [r for r in found if r.antecedents == (product,) and len(r.consequents) == 1]
    return sorted(single, key=lambda r: (-r.confidence, -r.lift, r.consequents))[:limit]

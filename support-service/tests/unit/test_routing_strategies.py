"""Choosing an agent: each strategy's rule, capacity respected, the reason given."""

from dataclasses import dataclass, field
from uuid import UUID, uuid4

from support_service.routing.strategies import choose


@dataclass(frozen=True)
class Agent:
    name: str
    capacity: int = 5
    skills: tuple[str, ...] = ()
    id: UUID = field(default_factory=uuid4)
    user_id: UUID = field(default_factory=uuid4)


ANN, BOB, CID = Agent("Ann"), Agent("Bob", skills=("sql",)), Agent("Cid", capacity=1)


def test_round_robin_continues_after_the_last_agent_and_wraps() -> None:
    agents = [ANN, BOB, CID]
    assert choose("round_robin", agents, {}, last_agent_id=ANN.id).agent == BOB
    assert choose("round_robin", agents, {}, last_agent_id=CID.id).agent == ANN
    assert choose("round_robin", agents, {}).agent == ANN


def test_agents_at_capacity_are_skipped_by_every_strategy() -> None:
    full = {CID.user_id: 1, ANN.user_id: 5}
    for strategy in ("round_robin", "least_load", "skill_match"):
        assert choose(strategy, [ANN, BOB, CID], full, last_agent_id=ANN.id).agent == BOB
    nobody = choose("least_load", [CID], {CID.user_id: 1})
    assert nobody.agent is None and nobody.reason == "no available agent with free capacity"


def test_least_load_compares_load_to_capacity() -> None:
    loads = {ANN.user_id: 2, BOB.user_id: 4}
    big = Agent("Big", capacity=20)
    choice = choose("least_load", [ANN, BOB, big], {**loads, big.user_id: 5})
    assert choice.agent == big and choice.reason == "least load: 5/20 open"


def test_skill_match_counts_matching_skills_then_load() -> None:
    choice = choose("skill_match", [ANN, BOB], {BOB.user_id: 3}, needed_skills=["sql", "de"])
    assert choice.agent == BOB and choice.reason.startswith("skill match: 1 of 2 skills (sql)")

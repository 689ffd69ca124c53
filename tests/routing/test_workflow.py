"""The ticket state machine: every valid and every forbidden transition, and roles."""
import itertools
from datetime import datetime, timedelta

import pytest

from models.enums import Role, Status
from routing.calendar import TZ
from routing.workflow import (
    ACTION_LABELS,
    ACTIONS,
    TERMINAL,
    VALID_TRANSITIONS,
    ReturnWindowError,
    TransitionError,
    allowed_actions,
    apply,
    return_queue,
    transitions_sql,
)

S = Status
SAME = None
# The brief's table, written out independently of routing/workflow.py.
EXPECTED = {
    "triage": ({S.RECEIVED}, S.TRIAGE),
    "dispatch": ({S.RECEIVED, S.TRIAGE}, S.DISPATCHED),
    "sign": ({S.DISPATCHED}, S.SIGNED),
    "start": ({S.SIGNED}, S.IN_PROGRESS),
    "note": ({S.SIGNED, S.IN_PROGRESS}, SAME),
    "request_info": ({S.IN_PROGRESS}, SAME),
    "info_received": ({S.IN_PROGRESS}, SAME),
    "return_ticket": ({S.DISPATCHED, S.SIGNED}, S.RETURNED),
    "uphold": ({S.RETURNED}, S.DISPATCHED),
    "redispatch": ({S.RETURNED, S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.TRIAGE}, S.DISPATCHED),
    "request_extension": ({S.SIGNED, S.IN_PROGRESS}, SAME),
    "decide_extension": ({S.SIGNED, S.IN_PROGRESS}, SAME),
    "reply": ({S.SIGNED, S.IN_PROGRESS}, S.REPLIED),
    "reopen": ({S.REPLIED, S.CLOSED}, S.DISPATCHED),
    "close": ({S.REPLIED}, S.CLOSED),
    "transfer_110": ({S.RECEIVED, S.TRIAGE}, S.TRANSFERRED),
    "add_repeat": ({S.RECEIVED, S.TRIAGE, S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.RETURNED}, S.CLOSED),
    "merge": ({S.RECEIVED, S.TRIAGE, S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.RETURNED}, S.CLOSED),
    "link": ({S.RECEIVED, S.TRIAGE, S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.RETURNED, S.REPLIED, S.CLOSED},
             SAME),
    "unmerge": ({S.CLOSED}, S.TRIAGE),
    "answer": ({S.RECEIVED, S.TRIAGE}, S.CLOSED),
    "refer": ({S.RECEIVED, S.TRIAGE}, S.CLOSED),
    "retriage": ({S.CLOSED}, S.TRIAGE),
}

ALL = list(itertools.product(Status, ACTIONS, Role))
VALID = [(s, a, r) for s, a, r in ALL if s in ACTIONS[a].sources and r in ACTIONS[a].roles]
WRONG_STATE = [(s, a, r) for s, a, r in ALL if s not in ACTIONS[a].sources]
WRONG_ROLE = [(s, a, r) for s, a, r in ALL if s in ACTIONS[a].sources and r not in ACTIONS[a].roles]


def test_table_matches_brief():
    assert {a: (set(x.sources), x.target) for a, x in ACTIONS.items()} == EXPECTED


def test_every_action_has_chinese_label_and_roles():
    for code, action in ACTIONS.items():
        assert ACTION_LABELS[code] and not ACTION_LABELS[code].isascii()
        assert action.roles


@pytest.mark.parametrize("status,action,role", VALID)
def test_valid_transition(status, action, role):
    target = EXPECTED[action][1] or status
    assert apply(status, action, role) == target
    assert action in allowed_actions(status, role)


@pytest.mark.parametrize("status,action,role", WRONG_STATE)
def test_forbidden_from_state(status, action, role):
    with pytest.raises(TransitionError) as err:
        apply(status, action, role)
    assert err.value.reason == "state" and err.value.current == status and err.value.action == action
    assert err.value.allowed == allowed_actions(status, role)


@pytest.mark.parametrize("status,action,role", WRONG_ROLE)
def test_role_denied(status, action, role):
    with pytest.raises(TransitionError) as err:
        apply(status, action, role)
    assert err.value.reason == "role"
    assert action not in err.value.allowed


def test_specific_role_denials():
    for action in ("sign", "reply", "return_ticket", "request_extension"):
        for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.LINKAGE):
            assert role not in ACTIONS[action].roles
    assert Role.HANDLER not in ACTIONS["decide_extension"].roles
    assert Role.HANDLER not in ACTIONS["uphold"].roles
    assert Role.AGENT not in ACTIONS["uphold"].roles
    assert allowed_actions(S.RECEIVED, Role.LINKAGE) == ["transfer_110"]
    assert allowed_actions(S.DISPATCHED, Role.HANDLER) == ["sign", "return_ticket"]


def test_unknown_action():
    with pytest.raises(TransitionError):
        apply(S.RECEIVED, "teleport", Role.ADMIN)


def test_transferred_is_terminal():
    assert TERMINAL == {S.TRANSFERRED}
    for role in Role:
        assert allowed_actions(S.TRANSFERRED, role) == []


def test_valid_transitions_pairs():
    expected = {(str(s), str(t)) for a, (srcs, t) in EXPECTED.items() if t for s in srcs if s != t}
    assert set(VALID_TRANSITIONS) == expected
    assert len(VALID_TRANSITIONS) == len(set(VALID_TRANSITIONS))
    assert ("received", "triage") in VALID_TRANSITIONS and ("closed", "dispatched") in VALID_TRANSITIONS
    assert ("closed", "replied") not in VALID_TRANSITIONS
    assert transitions_sql().startswith("('") and transitions_sql().count("(") == len(VALID_TRANSITIONS)


def test_clock_effects():
    assert ACTIONS["request_info"].clock == "pause"
    assert ACTIONS["info_received"].clock == "resume"


def test_return_window_and_contest():
    sent = datetime(2026, 11, 23, 9, tzinfo=TZ)
    window = timedelta(hours=24)
    assert return_queue(sent, sent + timedelta(hours=3), window) == "dispatch"
    assert return_queue(sent, sent + timedelta(hours=3), window, contest=True) == "supervisor_review"
    with pytest.raises(ReturnWindowError):
        return_queue(sent, sent + timedelta(hours=25), window)


def test_full_lifecycle():
    status = S.RECEIVED
    for action, role in [("triage", "agent"), ("dispatch", "agent"), ("return_ticket", "handler"),
                         ("uphold", "supervisor"), ("sign", "handler"), ("start", "handler"),
                         ("request_info", "handler"), ("info_received", "agent"),
                         ("request_extension", "handler"), ("decide_extension", "supervisor"),
                         ("reply", "handler"), ("reopen", "agent"), ("sign", "handler"),
                         ("reply", "handler"), ("close", "agent")]:
        status = apply(status, action, role)
    assert status == S.CLOSED

"""OPC UA settings and the state mapping, without a server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from taktline.ops.driver import STATION_STATES
from taktline.ops.opcua import OpcUaSettings, OpcUaUser
from taktline.ops.opcua_mirror import STATE_MAP
from taktline.ops.opcua_space import design_rate
from taktline.plant.load import load_plant

DOCS = Path(__file__).resolve().parents[2] / "docs"
GOOD_USER = OpcUaUser(name="op", password="a-long-password")


def test_defaults_are_the_secure_endpoint_on_loopback() -> None:
    s = OpcUaSettings(users=[GOOD_USER])
    assert s.endpoint == "opc.tcp://127.0.0.1:4840"
    assert s.security_policies == ["Basic256Sha256_SignAndEncrypt"]
    assert s.allow_anonymous_read is False
    assert s.users[0].role == "operator"


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:4840", "opc.tcp://", "127.0.0.1:4840",
                                      "opc.tcp://host:notaport"])
def test_a_bad_endpoint_is_refused(endpoint: str) -> None:
    with pytest.raises(ValidationError, match="endpoint"):
        OpcUaSettings(endpoint=endpoint, users=[GOOD_USER])


def test_nobody_able_to_connect_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one user"):
        OpcUaSettings()
    assert OpcUaSettings(allow_anonymous_read=True).users == []


@pytest.mark.parametrize("password", ["short", "changeme", "Password", "12345678"])
def test_placeholder_passwords_only_in_development(password: str) -> None:
    user = OpcUaUser(name="op", password=password)
    with pytest.raises(ValidationError, match="placeholder or shorter"):
        OpcUaSettings(users=[user])
    assert OpcUaSettings(users=[user], development=True).users[0].name == "op"


def test_the_none_policy_only_in_development() -> None:
    with pytest.raises(ValidationError, match="'None' only with development"):
        OpcUaSettings(users=[GOOD_USER], security_policies=["None"])
    s = OpcUaSettings(users=[GOOD_USER], security_policies=["None"], development=True)
    assert s.security_policies == ["None"]


def test_duplicate_users_and_half_a_certificate_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unique"):
        OpcUaSettings(users=[GOOD_USER, GOOD_USER])
    with pytest.raises(ValidationError, match="go together"):
        OpcUaSettings(users=[GOOD_USER], certificate=tmp_path / "c.der")
    with pytest.raises(ValidationError, match="extra"):
        OpcUaSettings.model_validate({"users": [], "allow_anonymous_read": True, "typo": 1})
    with pytest.raises(ValidationError, match="role"):
        OpcUaUser.model_validate({"name": "x", "password": "a-long-password", "role": "root"})


def test_the_state_map_covers_every_driver_state() -> None:
    assert set(STATE_MAP) == set(STATION_STATES)
    # only working produces; blocked and starved are told apart by the PackML flags
    assert [s for s, v in STATE_MAP.items() if v.producing] == ["working"]
    assert STATE_MAP["blocked"].blocked and not STATE_MAP["blocked"].starved
    assert STATE_MAP["starved"].starved and not STATE_MAP["starved"].blocked
    # every state is told apart by (item state, mode, PackML state, flags)
    views = {(v.item_state, v.operation_mode, v.packml, v.blocked, v.starved, v.unit_mode)
             for v in STATE_MAP.values()}
    assert len(views) == len(STATE_MAP)


def _docs_table() -> dict[str, list[str]]:
    """The state mapping table of the OPC UA docs: driver state -> its cells."""
    for name in ("operate.md", "opcua.md"):
        path = DOCS / name
        if path.is_file() and "OPC UA address space" in path.read_text(encoding="utf-8"):
            text = path.read_text(encoding="utf-8")
            break
    else:
        pytest.fail("no docs page with the 'OPC UA address space' section")
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and cells[0] in STATE_MAP:
            rows[cells[0]] = cells[1:]
    return rows


def test_the_docs_table_says_what_the_code_does() -> None:
    rows = _docs_table()
    assert set(rows) == set(STATE_MAP)
    for state, view in STATE_MAP.items():
        cells = rows[state]
        packml = " / ".join(p for p in view.packml if p)
        expected = [view.item_state, view.operation_mode, packml,
                    "yes" if view.blocked else "no", "yes" if view.starved else "no",
                    "design rate" if view.producing else "0",
                    "Produce" if view.unit_mode == 1 else "Maintenance"]
        assert [re.sub(r"\s+", " ", c) for c in cells[:len(expected)]] == expected, state


def test_design_rate_is_operations_per_minute() -> None:
    plant = load_plant("two_station")
    m1 = plant.station("m1")
    assert design_rate(m1) == pytest.approx(60.0 / 110.0)
    reference = load_plant(None)
    rates = {s.id: design_rate(s) for s in reference.stations}
    assert all(r > 0 for r in rates.values())

"""The VXP directory: agency lists, unit sync, and units a system manages under itself."""

from __future__ import annotations

from tests.endpoints.test_vxp import (
    FIRST,
    SENDER,
    Surface,
    call,
    sdk_json,
    surface_fixture,  # noqa: F401  (provides ``surface``)
)

UNIT_DATA = '{"id":"","pcode":"%s","code":"%s","name":"Phòng %s","mail":"","mobile":"","fax":""}'


async def test_lists_carry_the_spec_items_as_strings(surface: Surface) -> None:
    client = surface.sdk(surface.broker.agencies[FIRST])
    agencies = sdk_json(await call(client.get_agencies_list))
    assert agencies["ErrorCode"] == "0"
    codes = [item["code"] for item in agencies["data"]]
    assert SENDER in codes and FIRST in codes
    for item in agencies["data"]:
        assert set(item) == {"id", "code", "name", "mail", "pid", "oldCode"}
        assert all(isinstance(value, str) for value in item.values())
    qd20 = sdk_json(await call(client.get_agencies_list_qd20, {"level": "1"}))
    assert {frozenset(item) for item in qd20["data"]} == {
        frozenset({"id", "code", "name", "mail", "code102"})
    }
    units = sdk_json(await call(client.get_synchronize_unit))
    for item in units["data"]:
        assert isinstance(item["version"], int)
        assert isinstance(item["deleted"], bool) and isinstance(item["isAgency"], bool)
        for key in ("id", "pid", "code", "name", "mail", "centerCode", "modifyDate"):
            assert isinstance(item[key], str)


async def test_a_system_registers_and_deletes_units_below_itself_only(surface: Surface) -> None:
    pool = surface.broker.pool
    caller = surface.broker.agencies[FIRST]
    client = surface.sdk(caller)
    unit, grandchild = "000.01.00.H41", "000.01.01.H41"
    created = sdk_json(await call(client.register_agency, {}, UNIT_DATA % (FIRST, unit, "A")))
    assert created["status"] == "OK", created
    nested = sdk_json(await call(client.register_agency, {}, UNIT_DATA % (unit, grandchild, "B")))
    assert nested["status"] == "OK", nested
    rows = await pool.fetch(
        "SELECT organ_id, parent_id FROM agencies WHERE organ_id = ANY($1)", [unit, grandchild]
    )
    parents = {row["organ_id"]: row["parent_id"] for row in rows}
    assert parents == {unit: FIRST, grandchild: unit}
    listed = sdk_json(await call(client.get_agencies_list))
    assert unit in [item["code"] for item in listed["data"]]

    foreign = sdk_json(
        await call(client.register_agency, {}, UNIT_DATA % (SENDER, "000.02.00.G22", "C"))
    )
    assert (foreign["status"], foreign["ErrorCode"]) == ("FAIL", "403")
    garbage = sdk_json(await call(client.register_agency, {}, "{id:, pcode"))
    assert garbage["status"] == "FAIL"
    duplicate = sdk_json(await call(client.register_agency, {}, UNIT_DATA % (FIRST, unit, "A")))
    assert duplicate["status"] == "FAIL"

    for forbidden in (FIRST, SENDER, "no.such.unit"):
        refused = sdk_json(await call(client.delete_agency, {"AgencyCode": forbidden}))
        assert refused["status"] == "FAIL", forbidden
    deleted = sdk_json(await call(client.delete_agency, {"AgencyCode": grandchild}))
    assert deleted["status"] == "OK"
    assert await pool.fetchval("SELECT active FROM agencies WHERE organ_id = $1", grandchild) is (
        False
    )
    after = sdk_json(await call(client.get_synchronize_unit))
    assert {item["code"]: item["deleted"] for item in after["data"]}[grandchild] is True

    audit = await pool.fetch(
        "SELECT actor, action, subject FROM audit_log WHERE actor LIKE 'vxp:%' ORDER BY id"
    )
    assert [(row["action"], row["subject"]) for row in audit] == [
        ("agency.add", unit),
        ("agency.add", grandchild),
        ("agency.suspend", grandchild),
    ]
    assert {row["actor"] for row in audit} == {f"vxp:{caller.organ_id}"}

from __future__ import annotations

import pytest

from envelope import OrganId
from envelope.organ_id import ancestors_of, is_acceptable, is_well_formed, parent_of


@pytest.mark.parametrize(
    "code", ["000.00.00.G22", "000.00.01.H53", "001.02.03.H53", "000.00.00.AB12"]
)
def test_well_formed_codes(code: str) -> None:
    assert is_well_formed(code)
    assert is_acceptable(code)


@pytest.mark.parametrize(
    "code", ["28.22.H17", "vxp.saas.03", "000.00.00.g22", "000.00.00.G2", "0000.00.00.G22", ""]
)
def test_codes_outside_the_form(code: str) -> None:
    assert not is_well_formed(code)
    assert parent_of(code) is None
    assert ancestors_of(code) == ()


@pytest.mark.parametrize("code", ["28.22.H17", "vxp.saas.03", "a", "A-b_c.9", "x" * 64])
def test_legacy_codes_are_acceptable(code: str) -> None:
    assert is_acceptable(code)


@pytest.mark.parametrize("code", ["", "x" * 65, "000 00", "ủy.ban", "a/b", "a,b"])
def test_unacceptable_codes(code: str) -> None:
    assert not is_acceptable(code)


def test_parent_zeroes_the_leftmost_non_zero_part() -> None:
    assert parent_of("000.00.01.H53") == "000.00.00.H53"
    assert parent_of("000.12.34.H53") == "000.00.34.H53"
    assert parent_of("005.12.34.H53") == "000.12.34.H53"


def test_top_level_has_no_parent() -> None:
    assert parent_of("000.00.00.G22") is None
    assert ancestors_of("000.00.00.G22") == ()


def test_ancestors_nearest_first() -> None:
    assert ancestors_of("001.02.03.H53") == ("000.02.03.H53", "000.00.03.H53", "000.00.00.H53")


def test_organ_id_value() -> None:
    organ = OrganId.parse(" 000.00.01.H53 ")
    assert str(organ) == "000.00.01.H53"
    assert organ.well_formed
    assert organ.parent == OrganId("000.00.00.H53")
    assert organ.ancestors == (OrganId("000.00.00.H53"),)
    assert OrganId.parse("28.22.H17").parent is None
    with pytest.raises(ValueError, match="not an agency code"):
        OrganId.parse("no spaces allowed")

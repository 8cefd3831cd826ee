"""One test, one identity: the same pytest suite gives the same ids in xunit1 and xunit2."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import junit
from bot.core.results import case_owner

DIALECTS = Path(__file__).resolve().parents[2] / "fixtures" / "pytest-dialects"


def _ids(name: str) -> list[str]:
    return [case.test_id for case in junit.read_report(DIALECTS / name).cases]


def test_both_pytest_dialects_give_the_same_ids() -> None:
    assert (
        _ids("pytest-xunit1.xml")
        == _ids("pytest-xunit2.xml")
        == [
            "tests/unit/test_sample.py::test_module_level",
            "tests/unit/test_sample.py::TestGroup::test_same_name",
            "tests/unit/test_sample.py::TestGroup::test_param[1]",
            "tests/unit/test_sample.py::TestGroup::test_param[2]",
            "tests/unit/test_sample.py::TestOther::test_same_name",
        ]
    )


@pytest.mark.parametrize(
    ("file", "classname", "owner"),
    [
        ("tests/test_x.py", "tests.test_x.TestY", "tests/test_x.py::TestY"),
        (None, "tests.test_x.TestY", "tests/test_x.py::TestY"),
        ("./tests/test_x.py", "tests.test_x", "tests/test_x.py"),
        (None, "pkg.auth_test.TestLogin", "pkg/auth_test.py::TestLogin"),
        # Not Python: the file, else the classname, as before.
        (None, "com.acme.OrderServiceTest", "com.acme.OrderServiceTest"),
        ("src/cart.spec.ts", "cart", "src/cart.spec.ts"),
        ("spec/models/user_spec.rb", "spec.models.user_spec", "spec/models/user_spec.rb"),
        # A file that disagrees with the classname is kept, with the classes added.
        ("other/test_x.py", "tests.test_x.TestY", "other/test_x.py::TestY"),
    ],
)
def test_case_owner_reads_python_classnames_as_node_ids(
    file: str | None, classname: str, owner: str
) -> None:
    assert case_owner(file, classname) == owner

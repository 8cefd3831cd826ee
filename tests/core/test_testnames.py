"""Selectors against test cases from different runners."""

from __future__ import annotations

import pytest

from bot.core.results import CaseResult, Outcome
from bot.core.testnames import CaseIndex, is_test_name, matches


def case(
    name: str = "test_c", *, classname: str = "", file: str | None = None, suite: str = ""
) -> CaseResult:
    return CaseResult(
        suite=suite, classname=classname, name=name, outcome=Outcome.PASSED, file=file
    )


@pytest.mark.parametrize(
    ("selector", "test", "expected"),
    [
        ("test_x.py", case(file="tests/integration/test_x.py"), True),
        ("test_x.py", case(classname="tests.integration.test_x.TestY"), True),
        ("test_x.py", case(classname="tests.integration.test_xy.TestY"), False),
        ("tests/integration/test_x.py", case(file="tests/integration/test_x.py"), True),
        ("integration/test_x.py", case(file="tests/unit/test_x.py"), False),
        ("tests/a/test_b.py::test_c", case(file="tests/a/test_b.py"), True),
        ("tests/a/test_b.py::test_c", case("test_c[1-2]", file="tests/a/test_b.py"), True),
        ("tests/a/test_b.py::test_c", case("test_cd", file="tests/a/test_b.py"), False),
        ("tests/integration/", case(file="tests/integration/deep/test_z.py"), True),
        ("tests/integration/", case(classname="tests.integration.test_z.TestZ"), True),
        ("tests/integration/", case(file="tests/unit/test_z.py"), False),
        ("OrderServiceTest", case(classname="com.acme.orders.OrderServiceTest"), True),
        ("OrderServiceTest", case(classname="com.acme.orders.LegacyOrderServiceTest"), False),
        ("com.acme.FooTest", case(classname="com.acme.FooTest"), True),
        ("login.spec.ts", case(suite="src\\auth\\login.spec.ts"), True),
        ("login.spec.ts", case(suite="src/auth/login.spec.ts", classname="Login › works"), True),
        (
            "OrderServiceTest",
            case(classname="com.acme.Other", suite="com.acme.OrderServiceTest"),
            False,
        ),
        ("OrderServiceTest", case(suite="com.acme.OrderServiceTest"), True),
        # `pytest tests/a/test_b.py -k csv`: the file's tests whose name or class carries it.
        ("tests/a/test_b.py::*csv*", case("test_read_CSV", file="tests/a/test_b.py"), True),
        (
            "tests/a/test_b.py::*csv*",
            case("t", classname="a.TestCsvLoad", file="tests/a/test_b.py"),
            True,
        ),
        ("tests/a/test_b.py::*csv*", case("test_read_csv", file="tests/a/test_c.py"), False),
        ("tests/a/test_b.py::*csv*", case("test_json", file="tests/a/test_b.py"), False),
        # A Rust test by its path, which cargo reports as the case's name.
        ("auth::tests::test_login", case("auth::tests::test_login", classname="core"), True),
        ("auth::tests::test_login", case("auth::tests::test_logout", classname="core"), False),
        # A crate (`cargo test -p cortex-memory`): its library and its other test binaries.
        ("cortex-memory", case(classname="cortex-memory::integration"), True),
        ("cortex-memory", case(classname="cortex-memory-extra"), False),
        # A topic ("security tests"): its folder, or files, classes and names carrying it.
        ("security/", case(file="internal/service/security_test.go"), True),
        ("security/", case(file="tests/test_security_headers.py"), True),
        ("security/", case(classname="com.acme.SecurityTest"), True),
        ("security/", case(file="tests/security/test_a.py"), True),
        ("security/", case(file="tests/test_insecure.py"), False),
        ("scalar-type/", case(file="tests/unit/core/test_scalar_types.py"), True),
        ("scalar-type/", case(file="tests/unit/core/test_type_scalar.py"), False),
        ("template-loading/", case("test_template_loading", file="tests/cli.rs"), True),
        ("error-scenario/", case(file="e2e/error-scenarios/timeout.spec.ts"), True),
        ("e2e-login/", case(file="tests/e2e/login.spec.ts"), True),  # words across folders
        ("e2e-login/", case(file="tests/login/e2e_helpers.py"), False),  # not in that order
        # A conventional group is only its folder: `test_unit_conversion.py` is no unit test.
        ("unit/", case(file="tests/integration/test_unit_conversion.py"), False),
    ],
)
def test_selector_matching(selector: str, test: CaseResult, expected: bool) -> None:
    assert matches(selector, test) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("test_x.py", True),
        ("tests/a/test_b.py::test_c", True),
        ("login.spec.ts", True),
        ("cart.test.js", True),
        ("OrderServiceTest", True),
        ("com.acme.FooTest", True),
        ("store_test.go", True),
        ("README.md", False),
        ("create_agent_instance", False),
        ("", False),
    ],
)
def test_is_test_name(text: str, expected: bool) -> None:
    assert is_test_name(text) is expected


SELECTOR_CASES = [
    ("test_x.py", case(file="tests/integration/test_x.py")),
    ("test_x.py", case(classname="tests.integration.test_x.TestY")),
    ("tests/a/test_b.py::test_c", case("test_c[1-2]", file="tests/a/test_b.py")),
    ("tests/integration/", case(file="tests/integration/deep/test_z.py")),
    ("OrderServiceTest", case(classname="com.acme.orders.OrderServiceTest")),
    ("OrderServiceTest", case(suite="com.acme.OrderServiceTest")),
    ("com.acme.FooTest", case(classname="com.acme.FooTest")),
    ("login.spec.ts", case(suite="src\\auth\\login.spec.ts")),
    ("test_c", case("test_c", classname="x.Y")),
    ("pytest", case("t", suite="pytest")),
    ("tests/a/test_b.py::*csv*", case("test_read_csv", file="tests/a/test_b.py")),
    ("security/", case(file="internal/security_test.go")),
    ("cortex-memory", case(classname="cortex-memory::integration")),
    ("auth::tests::test_login", case("auth::tests::test_login", classname="cortex-memory")),
]


def test_index_agrees_with_matching_every_case() -> None:
    cases = [c for _, c in SELECTOR_CASES] + [case("noise", file="other/test_q.py")]
    index = CaseIndex(cases)
    for selector in {s for s, _ in SELECTOR_CASES} | {"other/", "test_q.py", "Nope"}:
        assert index.select(selector) == [c for c in cases if matches(selector, c)], selector


@pytest.mark.parametrize(
    ("subject", "case_", "expected"),
    [
        ("UserService", case("test_a", classname="com.acme.UserServiceTest"), True),
        ("UserService", case("test_a", file="tests/test_user_service.py"), True),
        (
            "CreatePageDialog",
            case(
                "CreatePageDialog > renders",
                file="components/__tests__/create-page-dialog.test.tsx",
            ),
            True,
        ),
        ("UserService", case("test_a", file="tests/test_user.py"), False),
        ("UserTest", case("test_a", file="tests/test_user.py"), False),  # a class, named exactly
    ],
)
def test_a_name_the_tests_are_about_selects_their_class_file_or_spec(
    subject: str, case_: CaseResult, expected: bool
) -> None:
    assert matches(subject, case_) is expected
    assert (CaseIndex([case_]).select(subject) == [case_]) is expected

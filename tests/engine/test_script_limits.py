"""Scripts are bounded in memory: sizes known before running are refused at deploy (the static
check), sizes that come from the data are refused at run time before anything is allocated, and
growth little by little is stopped by the memory meter. The payloads of the issue are here."""

from __future__ import annotations

import pytest

from engine.errors import ScriptTimeoutError, UnsafeScriptError
from engine.sandbox import SafeEnvironment, check_source, lint_source
from engine.script_limits import Limits, expanded_size
from tests.engine.test_sandbox import run_condition, run_script

# -- deploy: constant sizes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("len([1]*10**9)", "a sequence of 1,000,000,000 items"),
        ("'a' * 10**9", "a sequence of 1,000,000,000 items"),
        ("[[0]*10000]*10000", "a sequence of 100,000,000 items"),
        ("10**10**10", "exponent or shift too large"),
        ("(10**1000)**100", "about 332,193 bits"),
        ("1 << 10**6", "about 1,000,001 bits"),
        ('f"{x:>999999999}"', "format width or precision exceeds"),
        ('f"{x:.999999999f}"', "format width or precision exceeds"),
        ("'%999999999d' % x", "%-format width exceeds"),
        ("len([0 for a in range(10**6) for b in range(10**6)])", "comprehension of 1,000,000,000,000 items"),
        ("{a: 1 for a in range(2000) for b in range(1000)}", "comprehension of 2,000,000 items"),
        ("sum(range(10**12))", "range() of 1,000,000,000,000 items"),
        ("x.ljust(10**9)", "padding width exceeds"),
    ],
)
def test_constant_sizes_over_the_limit_fail_the_deploy_lint(source, fragment):
    problems = lint_source(source, "eval", "route")
    assert problems and fragment in problems[0] and problems[0].startswith("route: 第 1 行")
    with pytest.raises(UnsafeScriptError, match="exceeds|too large|bits"):
        check_source(source, "eval")


@pytest.mark.parametrize(
    "source",
    [
        "'-' * 40",
        "[0] * 1000",
        "[[0] * 1000] * 1000",
        "x ** 2 + 2 ** 64",
        'f"{fee:>10.2f} 元"',
        "'%5d 件' % n",
        "[i * i for i in range(1000)]",
        "'a' * (5 * a ** b)",  # depends on the data: bounded at run time
    ],
)
def test_ordinary_sizes_pass_the_deploy_lint(source):
    assert lint_source(source, "eval") == []


# -- run time: sizes from the data -----------------------------------------------------------------


def ev(expr: str, data: dict | None = None, **limits):
    env = SafeEnvironment(timeout=5, limits=Limits(**limits) if limits else None)
    return env.evaluate(expr, dict(data or {}))


def ex(script: str, data: dict | None = None, timeout: float = 5, **limits) -> dict:
    ctx = dict(data or {})
    SafeEnvironment(timeout=timeout, limits=Limits(**limits) if limits else None).execute(script, ctx)
    return ctx


@pytest.mark.parametrize(
    ("expr", "data", "fragment"),
    [
        ("len([1] * n)", {"n": 10**9}, "sequence repetition of 1,000,000,000 items"),
        ("len(n * [1])", {"n": 10**9}, "sequence repetition of 1,000,000,000 items"),
        ("len('a' * (5 * a ** b))", {"a": 10, "b": 9}, "sequence repetition of 5,000,000,000 items"),
        ("len('a' * (5 * a ** b))", {"a": 10, "b": 10**7}, "exponentiation"),
        ("a ** b > 0", {"a": 10, "b": 10**10}, "exponentiation"),
        ("(1 << n) > 0", {"n": 10**9}, "left shift"),
        ("len(f'{x:>{w}}')", {"x": 1, "w": 999_999_999}, "format width or precision 999999999"),
        ("len(f'{x:.{p}f}')", {"x": 1.5, "p": 999_999_999}, "format width or precision"),
        ("len('%*d' % (w, 1))", {"w": 999_999_999}, "%-formatting"),
        ("len(s.ljust(n))", {"s": "a", "n": 10**9}, "padding width"),
        ("len(str.center(s, n))", {"s": "a", "n": 10**9}, "padding width"),
        ("len(s.expandtabs(n))", {"s": "\t" * 100, "n": 10**8}, "expandtabs"),
        ("len(s.replace('', t))", {"s": "a" * 1000, "t": "b" * 10_000}, "replace"),
        ("len(sep.join([s] * k))", {"sep": "", "s": "x" * 100_000, "k": 100_000}, "join"),
        ("len(s + s)", {"s": "x" * 600_000}, "concatenation"),
        ("len(n.to_bytes(m, 'big'))", {"n": 1, "m": 10**9}, "int.to_bytes"),
        ("len(sum([[1] * 10] * 10, []))", {}, "sum() adds numbers only"),
        ("round(5, -n)", {"n": 10**9}, "round()"),
        ("len(list(zip(*[c] * k)))", {"c": [0] * 10, "k": 1000}, "zip() of 1000 iterables"),
    ],
)
def test_sizes_from_the_data_are_refused_before_allocating(expr, data, fragment):
    with pytest.raises(UnsafeScriptError, match="exceeds|allocated|only|limit|iterables|bits|过大") as err:
        ev(expr, data)
    assert fragment in str(err.value)
    assert err.value.code == "script_forbidden" and err.value.line == 1


def test_in_place_operators_are_bounded_too():
    with pytest.raises(UnsafeScriptError, match="sequence repetition"):
        ex("l = [1]\nl *= n", {"n": 10**9})
    with pytest.raises(UnsafeScriptError, match="concatenation"):
        ex("s = 'x' * 600000\ns += s")
    with pytest.raises(UnsafeScriptError, match="sequence repetition"):
        ex("d = {'k': [1]}\nd['k'] *= n", {"n": 10**9})
    assert ex("l = [1, 2]\nm = l\nl += [3]\nl *= 2") == {"l": [1, 2, 3] * 2, "m": [1, 2, 3] * 2}


def test_a_list_cannot_double_itself_past_the_limit():
    with pytest.raises(UnsafeScriptError, match="list.extend"):
        ex("l = [0] * 1000\nfor i in range(20):\n    l.extend(l)")


def test_printing_aliased_nested_lists_is_refused():
    """8 KB of lists whose printed form is 3 GB."""
    data = {"n": 1000}
    for script in (
        "c = [[[0] * n] * n] * n\ns = str(c)",
        "c = [[[0] * n] * n] * n\ns = f'{c}'",
        "c = [[[0] * n] * n] * n\ns = '%s' % (c,)",
    ):
        with pytest.raises(UnsafeScriptError, match="printed value|%-formatting"):
            ex(script, data)


def test_a_script_cannot_leave_huge_data_behind():
    with pytest.raises(UnsafeScriptError, match="the script's data would be larger than 1,000,000"):
        ex("c = [[[0] * n] * n] * n", {"n": 1000})
    with pytest.raises(UnsafeScriptError, match="the condition's result"):
        ev("[[0] * n] * n", {"n": 2000})


def test_a_huge_comprehension_is_stopped_by_the_memory_meter():
    with pytest.raises(UnsafeScriptError, match="allocated more than 16 MB") as err:
        ev("len([[0] * 1000 for x in range(n)])", {"n": 10**6}, memory_bytes=16 * 1024 * 1024)
    assert err.value.line == 1


def test_mapping_a_copying_function_over_aliases_is_metered():
    with pytest.raises(UnsafeScriptError, match="allocated more than 16 MB"):
        ev(
            "len(list(map(str.upper, [s] * k)))",
            {"s": "x" * 1_000_000, "k": 10_000},
            memory_bytes=16 * 1024 * 1024,
        )


def test_the_memory_refusal_cannot_be_caught_by_the_script():
    script = "try:\n    l = [[0] * 1000 for x in range(n)]\nexcept ValueError:\n    l = []\nok = 1"
    with pytest.raises(UnsafeScriptError, match="allocated more than"):
        ex(script, {"n": 10**6}, memory_bytes=16 * 1024 * 1024)


def test_isinstance_and_class_attributes_still_work_with_the_guarded_builtins():
    assert ev(
        "isinstance(x, str) and isinstance(y, (list, str)) and not isinstance(y, str)", {"x": "a", "y": [1]}
    )
    assert ev("str.upper(x) + ','.join(map(str, [1, 2])) + str(3)", {"x": "a"}) == "A1,23"
    assert ev("sorted(zip('ba', [1, 2]))") == [("a", 2), ("b", 1)]
    assert ev("sum([1.5, 2]) + round(2.567, 2)") == 6.07
    assert ev("dict.fromkeys(['a', 'b'], 0)") == {"a": 0, "b": 0}


def test_task_data_cannot_shadow_a_guard():
    assert ev("len([1] * 3)", {"__sb_mul": lambda *a: 0}) == 3


def test_expanded_size_counts_shared_lists_every_time():
    inner = [0] * 1000
    assert expanded_size([inner] * 1000, 10**9) > 1_000_000
    assert expanded_size([inner] * 1000, 5000) == 5001  # stops counting past the limit


# -- through SpiffWorkflow ---------------------------------------------------------------------------


def test_a_workflow_script_allocating_gigabytes_fails_its_step_with_a_clear_error():
    with pytest.raises(UnsafeScriptError) as err:
        run_script("items = [1] * (n * 10)", {"n": 10**8})
    assert err.value.element == "run_script" and "sequence repetition of 1,000,000,000 items" in str(
        err.value
    )


def test_a_workflow_condition_with_a_huge_width_fails_with_a_clear_error():
    with pytest.raises(UnsafeScriptError) as err:
        run_condition("len(f'{x:>{w}}') > 0", {"x": 1, "w": 10**9})
    assert err.value.element == "route"


def test_the_time_limit_still_applies_to_slow_small_scripts():
    with pytest.raises(ScriptTimeoutError):
        ex("t = 0\nfor i in range(n):\n    for j in range(n):\n        t += 1", {"n": 10**5}, timeout=0.3)

"""The script/condition sandbox, directly and through real SpiffWorkflow runs."""

import datetime as dt
import sys
import threading
import time
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.errors import EngineError, ScriptError, ScriptTimeoutError, UnsafeScriptError
from engine.sandbox import (
    MAX_RANGE,
    SAFE_BUILTINS,
    SafeEnvironment,
    SafeScriptEngine,
    check_source,
    lint_source,
)
from engine.xmlsafe import parse_xml

TIMEOUT = 0.3  # a short bound keeps the suite quick; the default is 0.5 s

# ---------------------------------------------------------------------------------------------
# helpers: tiny BPMN models


def script_bpmn(script: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="run_script"/>
    <bpmn:scriptTask id="run_script" name="脚本">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="run_script" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def gateway_bpmn(condition: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="route"/>
    <bpmn:exclusiveGateway id="route" default="f_other">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_other</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_yes" sourceRef="route" targetRef="end_yes">
      <bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_other" sourceRef="route" targetRef="end_other"/>
    <bpmn:endEvent id="end_yes"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_other"><bpmn:incoming>f_other</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def run_bpmn(xml: str, data: dict | None = None, timeout: float = TIMEOUT) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(parse_xml(xml, "test.bpmn"), filename="test.bpmn")
    wf = BpmnWorkflow(parser.get_spec("p"), script_engine=SafeScriptEngine(timeout=timeout))
    start = wf.get_tasks(state=TaskState.READY)[0]
    start.data.update(data or {})
    wf.do_engine_steps()
    return wf


def run_script(script: str, data: dict | None = None, **kw) -> BpmnWorkflow:
    return run_bpmn(script_bpmn(script), data, **kw)


def run_condition(condition: str, data: dict | None = None, **kw) -> str:
    """Run the gateway model; return the id of the end event reached."""
    wf = run_bpmn(gateway_bpmn(condition), data, **kw)
    assert wf.is_completed()
    ends = [
        t.task_spec.bpmn_id
        for t in wf.get_tasks(state=TaskState.COMPLETED)
        if t.task_spec.bpmn_id in ("end_yes", "end_other")
    ]
    assert len(ends) == 1
    return ends[0]


def direct_eval(expr: str, data: dict | None = None, timeout: float = TIMEOUT):
    return SafeEnvironment(timeout=timeout).evaluate(expr, dict(data or {}))


def direct_exec(script: str, data: dict | None = None, timeout: float = TIMEOUT) -> dict:
    ctx = dict(data or {})
    SafeEnvironment(timeout=timeout).execute(script, ctx)
    return ctx


# ---------------------------------------------------------------------------------------------
# attacks: static check


def test_import_statement_is_refused():
    with pytest.raises(UnsafeScriptError, match="import") as info:
        check_source("import os", "exec")
    assert info.value.line == 1 and info.value.code == "script_forbidden"


def test_from_import_is_refused():
    with pytest.raises(UnsafeScriptError, match="import"):
        check_source("x = 1\nfrom os import system", "exec")


def test_dunder_import_call_is_refused_in_a_condition():
    with pytest.raises(UnsafeScriptError, match="__import__"):
        check_source("__import__('os').system('true')", "eval")


def test_open_etc_passwd_is_refused():
    with pytest.raises(UnsafeScriptError, match=r"open\(\)"):
        check_source("open('/etc/passwd').read()", "eval")


def test_subclasses_walk_is_refused():
    with pytest.raises(UnsafeScriptError, match="__class__"):
        check_source("().__class__.__base__.__subclasses__()", "eval")


def test_mro_in_comprehension_is_refused():
    with pytest.raises(UnsafeScriptError, match="__class__"):
        check_source("[c for c in ().__class__.__mro__]", "eval")


def test_getattr_with_dunder_string_is_refused():
    with pytest.raises(UnsafeScriptError, match=r"getattr\(\)"):
        check_source("getattr(x, '__class__')", "eval")


def test_str_format_attribute_walk_is_refused():
    with pytest.raises(UnsafeScriptError, match="'format'"):
        check_source("'{0.__class__}'.format(x)", "eval")


def test_generator_frame_globals_is_refused():
    with pytest.raises(UnsafeScriptError, match="gi_frame"):
        check_source("(x for x in y).gi_frame.f_globals", "eval")


def test_mro_method_is_refused():
    with pytest.raises(UnsafeScriptError, match="'mro'"):
        check_source("int.mro()", "eval")


def test_builtins_name_is_refused():
    with pytest.raises(UnsafeScriptError, match="__builtins__"):
        check_source("__builtins__", "eval")


def test_global_statement_is_refused():
    with pytest.raises(UnsafeScriptError, match="global"):
        check_source("def f():\n    global x\n    x = 1", "exec")


def test_class_definition_is_refused():
    with pytest.raises(UnsafeScriptError, match="class"):
        check_source("class A:\n    pass", "exec")


def test_generator_function_is_refused():
    with pytest.raises(UnsafeScriptError, match="yield"):
        check_source("def g():\n    yield 1", "exec")


def test_async_is_refused():
    with pytest.raises(UnsafeScriptError, match="async"):
        check_source("async def g():\n    await h()", "exec")


def test_underscore_keyword_and_parameter_are_refused():
    with pytest.raises(UnsafeScriptError, match="_secret"):
        check_source("f(_secret=1)", "eval")
    with pytest.raises(UnsafeScriptError, match="_p"):
        check_source("lambda _p: 1", "eval")


@pytest.mark.parametrize(
    "name",
    [
        "eval",
        "exec",
        "compile",
        "globals",
        "locals",
        "vars",
        "setattr",
        "delattr",
        "type",
        "object",
        "super",
        "breakpoint",
        "input",
    ],
)
def test_denied_builtin_calls_are_refused(name):
    with pytest.raises(UnsafeScriptError, match=name):
        check_source(f"{name}(1)", "eval")


def test_bare_except_is_refused():
    # a bare except could swallow the timeout
    with pytest.raises(UnsafeScriptError, match="except"):
        check_source("try:\n    x = 1\nexcept:\n    pass", "exec")


def test_catching_exception_is_refused():
    with pytest.raises(UnsafeScriptError, match="Exception"):
        check_source("try:\n    x = 1\nexcept (ValueError, Exception):\n    pass", "exec")


def test_finally_is_refused():
    # a finally block would run after the timeout with tracing already off
    with pytest.raises(UnsafeScriptError, match="finally"):
        check_source("try:\n    x = 1\nfinally:\n    y = 2", "exec")


def test_constant_power_tower_is_refused():
    with pytest.raises(UnsafeScriptError, match="exponent"):
        check_source("9 ** 9 ** 9", "eval")
    with pytest.raises(UnsafeScriptError, match="exponent"):
        check_source("2 ** 100000000", "eval")


def test_forbidden_line_is_reported():
    with pytest.raises(UnsafeScriptError) as info:
        check_source("a = 1\nb = 2\nc = ().__class__", "exec", element="Script_1")
    err = info.value
    assert err.line == 3 and err.element == "Script_1"
    assert "Script_1" in str(err) and "line 3" in str(err)


def test_syntax_error_is_a_script_error_with_line():
    with pytest.raises(ScriptError, match="syntax") as info:
        check_source("a = 1\nb = = 2", "exec")
    assert info.value.line == 2
    assert not isinstance(info.value, UnsafeScriptError)


def test_statement_in_eval_mode_is_a_syntax_error():
    with pytest.raises(ScriptError):
        check_source("x = 1", "eval")


def test_check_results_are_cached():
    from engine.script_check import _analyse

    _analyse.cache_clear()
    for _ in range(5):
        check_source("accept_outcome == 'correct'", "eval")
    assert _analyse.cache_info().hits == 4


def test_lint_source_lists_every_problem_with_lines():
    msgs = lint_source("import os\nx = ().__class__\nopen('f')", "exec", "Script_1")
    assert len(msgs) == 3
    assert msgs[0].startswith("Script_1: ") and "line 1" in msgs[0] and "import" in msgs[0]
    assert "line 2" in msgs[1] and "__class__" in msgs[1]
    assert "line 3" in msgs[2] and "open" in msgs[2]


def test_lint_source_reports_syntax_errors():
    msgs = lint_source("accept_outcome = = 'x'", "eval")
    assert len(msgs) == 1 and "syntax" in msgs[0] and "line 1" in msgs[0]


def test_lint_source_of_clean_condition_is_empty():
    assert lint_source('accept_outcome == "correct"', "eval") == []
    assert lint_source("total = sum(x['n'] for x in items)\nok = total > 3", "exec") == []


# ---------------------------------------------------------------------------------------------
# attacks: runtime limits (direct)


def test_infinite_loop_times_out():
    start = time.perf_counter()
    with pytest.raises(ScriptTimeoutError) as info:
        direct_exec("while True: pass")
    elapsed = time.perf_counter() - start
    assert TIMEOUT <= elapsed < TIMEOUT + 0.5
    assert info.value.code == "script_timeout" and info.value.line == 1


def test_infinite_comprehension_in_condition_times_out():
    # sizes from the data (constant sizes are refused before running: test_script_limits.py)
    with pytest.raises(ScriptTimeoutError):
        direct_eval("len([x for x in range(n) for y in range(n)]) > 0", {"n": 10**6})


def test_timeout_cannot_be_caught_by_the_script():
    script = "n = 0\nwhile True:\n    try:\n        while True:\n            n += 1\n    except ValueError:\n        pass"
    with pytest.raises(ScriptTimeoutError):
        direct_exec(script)


def test_recursive_function_loop_times_out_or_fails():
    with pytest.raises((ScriptTimeoutError, ScriptError)):
        direct_exec("def f(n):\n    return f(n + 1) + f(n + 2)\nf(0)")


def test_huge_range_is_refused_by_bounded_range():
    start = time.perf_counter()
    with pytest.raises(UnsafeScriptError, match="range"):
        direct_eval("sum(range(10**12))")
    assert time.perf_counter() - start < 0.1


def test_range_at_the_limit_is_allowed():
    assert direct_eval(f"len(range({MAX_RANGE}))") == MAX_RANGE


def test_previous_trace_function_is_restored():
    events = []

    def tracer(frame, event, arg):
        events.append(event)
        return None

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        direct_eval("1 + 1")
        with pytest.raises(ScriptTimeoutError):
            direct_exec("while True: pass")
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(old)


def test_timeout_works_in_a_worker_thread():
    result = {}

    def work():
        try:
            direct_exec("while True: pass")
        except ScriptTimeoutError as exc:
            result["err"] = exc

    t = threading.Thread(target=work)
    t.start()
    t.join(5)
    assert not t.is_alive() and isinstance(result.get("err"), ScriptTimeoutError)


def test_safe_builtins_have_no_escape_hatches():
    for name in (
        "open",
        "eval",
        "exec",
        "__import__",
        "getattr",
        "type",
        "object",
        "globals",
        "compile",
        "Exception",
        "BaseException",
    ):
        assert name not in SAFE_BUILTINS
    assert SAFE_BUILTINS["date"] is dt.date


def test_task_data_cannot_override_builtins():
    # a form field called __builtins__ must not replace the restricted builtins
    with pytest.raises(ScriptError, match="open"):
        direct_eval("open", {"__builtins__": {"open": open}})


# ---------------------------------------------------------------------------------------------
# normal use (direct)


def test_condition_on_task_data():
    assert direct_eval('accept_outcome == "correct"', {"accept_outcome": "correct"}) is True
    assert direct_eval('accept_outcome == "correct"', {"accept_outcome": "accept"}) is False


def test_arithmetic_comprehension_and_builtins():
    data = {"fees": [10, 20.5], "deficient_materials": ["id_card"]}
    assert direct_eval("sum(fees) * 2 + divmod(7, 2)[1]", data) == 62
    assert direct_eval("[m.upper() for m in deficient_materials]", data) == ["ID_CARD"]
    assert direct_eval("len(deficient_materials) > 0", data) is True
    assert direct_eval("{k: v for k, v in zip('ab', range(2))}") == {"a": 0, "b": 1}
    assert direct_eval("sorted(fees, key=lambda f: -f)[0]", data) == 20.5
    assert direct_eval("f'{len(fees)} 项'", data) == "2 项"


def test_dates_are_available():
    assert direct_eval("date(2025, 1, 1) + timedelta(days=3)") == dt.date(2025, 1, 4)
    assert isinstance(direct_eval("datetime.now()"), dt.datetime)


def test_script_updates_task_data_and_drops_functions():
    ctx = direct_exec(
        "def double(v):\n    return v * 2\ntotal = double(amount)\nlabel = 'ok' if total > 10 else 'low'",
        {"amount": 7},
    )
    assert ctx == {"amount": 7, "total": 14, "label": "ok"}


def test_script_can_catch_named_exceptions():
    ctx = direct_exec("try:\n    n = int(raw)\nexcept ValueError:\n    n = 0", {"raw": "abc"})
    assert ctx["n"] == 0


def test_missing_variable_names_the_variable():
    with pytest.raises(ScriptError) as info:
        direct_eval("accept_outcome == 'correct'", {"decision": "approve"})
    err = info.value
    assert err.field == "accept_outcome" and err.line == 1
    assert "accept_outcome" in str(err) and "not defined" in str(err)
    assert isinstance(err.__cause__, NameError)


def test_runtime_error_is_a_script_error_with_line():
    with pytest.raises(ScriptError, match="ZeroDivisionError") as info:
        direct_exec("a = 1\nb = a / 0", {})
    assert info.value.line == 2
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_timeout_none_disables_the_tracer():
    assert SafeEnvironment(timeout=None).evaluate("1 + 1", {}) == 2


# ---------------------------------------------------------------------------------------------
# through SpiffWorkflow: scripts


def test_workflow_script_sets_variables():
    wf = run_script(
        "total = sum(fees)\nneeds_fee = total > 0\nitems = [f * 2 for f in fees]", {"fees": [1, 2]}
    )
    assert wf.is_completed()
    assert wf.data["total"] == 3 and wf.data["needs_fee"] is True and wf.data["items"] == [2, 4]


def test_workflow_script_import_os_is_refused():
    with pytest.raises(UnsafeScriptError, match="import") as info:
        run_script("import os\nos.system('true')")
    assert info.value.element == "run_script" and info.value.line == 1


def test_workflow_script_dunder_import_is_refused():
    with pytest.raises(UnsafeScriptError, match="__import__") as info:
        run_script("__import__('os').system('true')")
    assert info.value.element == "run_script"


def test_workflow_script_open_is_refused():
    with pytest.raises(UnsafeScriptError, match="open"):
        run_script("data = open('/etc/passwd').read()")


def test_workflow_script_subclasses_is_refused():
    with pytest.raises(UnsafeScriptError):
        run_script("x = ().__class__.__base__.__subclasses__()")


def test_workflow_script_infinite_loop_times_out():
    start = time.perf_counter()
    with pytest.raises(ScriptTimeoutError) as info:
        run_script("while True: pass")
    assert time.perf_counter() - start < TIMEOUT + 0.5
    assert info.value.element == "run_script"


def test_workflow_failed_script_task_is_in_error_state():
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(parse_xml(script_bpmn("import os"), "t.bpmn"), filename="t.bpmn")
    wf = BpmnWorkflow(parser.get_spec("p"), script_engine=SafeScriptEngine())
    with pytest.raises(EngineError):
        wf.do_engine_steps()
    assert [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.ERROR)] == ["run_script"]


def test_workflow_script_missing_variable_is_a_clear_script_error():
    with pytest.raises(ScriptError) as info:
        run_script("total = amount * 2")
    err = info.value
    assert err.field == "amount" and err.element == "run_script"
    assert "amount" in str(err) and "run_script" in str(err)


def test_workflow_script_huge_range_is_refused():
    with pytest.raises(UnsafeScriptError, match="range"):
        run_script("s = sum(range(10**12))")


def test_default_timeout_is_half_a_second():
    engine = SafeScriptEngine()
    assert engine.environment.timeout == 0.5


# ---------------------------------------------------------------------------------------------
# through SpiffWorkflow: gateway conditions


def test_workflow_condition_routes_on_task_data():
    assert run_condition('accept_outcome == "correct"', {"accept_outcome": "correct"}) == "end_yes"
    assert run_condition('accept_outcome == "correct"', {"accept_outcome": "refuse"}) == "end_other"


def test_workflow_condition_on_list_length():
    assert run_condition("len(deficient_materials) > 0", {"deficient_materials": ["a"]}) == "end_yes"
    assert run_condition("len(deficient_materials) > 0", {"deficient_materials": []}) == "end_other"


def test_workflow_condition_with_arithmetic_and_comprehension():
    cond = "sum(m['pages'] for m in materials) * 2 >= 10 and all([m['ok'] for m in materials])"
    data = {"materials": [{"pages": 3, "ok": True}, {"pages": 2, "ok": True}]}
    assert run_condition(cond, data) == "end_yes"


def test_workflow_condition_dunder_import_is_refused():
    with pytest.raises(UnsafeScriptError, match="__import__") as info:
        run_condition("__import__('os').system('true') == 0")
    assert info.value.element == "route"


def test_workflow_condition_open_is_refused():
    with pytest.raises(UnsafeScriptError, match="open"):
        run_condition("open('/etc/passwd').read() != ''")


def test_workflow_condition_subclasses_is_refused():
    with pytest.raises(UnsafeScriptError):
        run_condition("len(().__class__.__base__.__subclasses__()) > 0")


def test_workflow_condition_mro_comprehension_is_refused():
    with pytest.raises(UnsafeScriptError):
        run_condition("len([c for c in ().__class__.__mro__]) > 0")


def test_workflow_condition_getattr_is_refused():
    with pytest.raises(UnsafeScriptError, match="getattr"):
        run_condition("getattr(x, '__class__') is not None", {"x": 1})


def test_workflow_condition_huge_range_is_refused():
    with pytest.raises(UnsafeScriptError, match="range"):
        run_condition("sum(range(10**12)) > 0")


def test_workflow_condition_infinite_loop_times_out():
    start = time.perf_counter()
    with pytest.raises(ScriptTimeoutError) as info:
        run_condition("len([x for x in range(n) for y in range(n)]) > 0", {"n": 10**6})
    assert time.perf_counter() - start < TIMEOUT + 0.5
    assert info.value.element == "route"


def test_workflow_condition_missing_variable_names_it():
    with pytest.raises(ScriptError) as info:
        run_condition('accept_outcome == "correct"', {"decision": "approve"})
    err = info.value
    assert err.field == "accept_outcome" and err.element == "route"
    assert "accept_outcome" in err.message


def test_validate_hook_refuses_unsafe_expression():
    engine = SafeScriptEngine()
    engine.validate("a > 1")
    with pytest.raises(UnsafeScriptError):
        engine.validate("__import__('os')")


def test_engine_requires_a_safe_environment():
    from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

    with pytest.raises(TypeError):
        SafeScriptEngine(environment=TaskDataEnvironment())

"""Deploy-time checks of DMN decision tables, on the XML itself so every finding has its cell and line.

SpiffWorkflow evaluates a decision table's cells as Python expressions on the task data (not FEEL), and
only the UNIQUE (first matching rule) and COLLECT hit policies; UNIQUE does not check that one rule only
matches. So a table that dmn-js happily saves can still fail at run time, or route silently wrong.
Checked here, per cell: syntax and the sandbox rules, names the case data does not have (an unquoted
text such as ``coating_264``, FEEL's ``true``), fields of the application that its form does not have;
per table: a hit policy or aggregation Spiff does not run, rules with the wrong number of cells, outputs
without a name; for UNIQUE (engine.dmn_overlap), a rule that an earlier rule entirely covers (it can never apply: an error)
and two rules that can both match (a warning: Spiff takes the first, so a catch-all last row works).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.dmn_overlap import constraint, unique_conflicts
from engine.sandbox import SAFE_BUILTINS
from engine.script_check import lint_source

SUPPORTED_HIT_POLICIES = ("UNIQUE", "COLLECT")
# What the platform puts into every case's data besides the forms' fields (app.services.cases).
PLATFORM_NAMES = frozenset({"application", "applicant", "item_code", "supplement"})
PLACEHOLDER = "dmninputexpr"  # Spiff's stand-in for "?" in a cell
_FEEL = {"true": "True", "false": "False", "null": "None"}
_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


@dataclass(frozen=True, slots=True)
class DmnProblem:
    message: str
    element_id: str | None
    line: int | None
    severity: str = "error"


def _local(el: Any) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c) == name]


def _text_of(el: Any) -> str:
    texts = _children(el, "text")
    return (texts[0].text or "").strip() if texts else ""


def _names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _parse(source: str) -> ast.Expression | None:
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError:
        return None


def _unknown_message(names: Iterable[str]) -> str:
    parts = []
    for name in sorted(names):
        if name in _FEEL:
            parts.append(
                f"{name} 是 FEEL 写法，单元格是 Python：请写 {_FEEL[name]} / FEEL {name}: write {_FEEL[name]}"
            )
        else:
            parts.append(
                f'名称 {name} 不是案件数据中的字段；文本请加引号，如 "{name}" / '
                f"unknown name {name}: quote a text value"
            )
    return "; ".join(parts)


def _application_refs(tree: ast.AST) -> set[str]:
    """Fields read as application["x"] or application.get("x")."""
    out = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "application"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            out.add(node.slice.value)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "application"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.add(node.args[0].value)
    return out


def check_dmn(
    root: Any,
    known_names: frozenset[str] | None = None,
    application_fields: frozenset[str] | None = None,
) -> list[DmnProblem]:
    """Every problem of one DMN document. ``known_names`` (the case data's names) and
    ``application_fields`` switch on the name checks; without them (a DMN file alone) only the rest runs."""
    out: list[DmnProblem] = []
    outputs_everywhere = {o.get("name") for o in root.iter() if _local(o) == "output" and o.get("name")}
    known = None if known_names is None else set(known_names) | outputs_everywhere | PLATFORM_NAMES
    allowed = set(SAFE_BUILTINS) | {"True", "False", "None"}

    def names_problem(tree: ast.AST, extra: Iterable[str] = ()) -> str | None:
        if known is None:
            unknown = {n for n in _names(tree) if n in _FEEL}
        else:
            unknown = _names(tree) - known - allowed - set(extra)
        msgs = [_unknown_message(unknown)] if unknown else []
        if application_fields is not None:
            missing = _application_refs(tree) - application_fields
            if missing:
                msgs.append(
                    f"申请表没有字段 {', '.join(sorted(missing))} / the application form has no field "
                    f"{', '.join(sorted(missing))}"
                )
        return "; ".join(msgs) or None

    for decision in (el for el in root.iter() if _local(el) == "decision"):
        did = decision.get("id")
        tables = _children(decision, "decisionTable")
        if not tables:
            out.append(
                DmnProblem(
                    f"决策 {did} 没有决策表；平台只运行决策表 / decision {did} has no decision table "
                    "(the platform runs decision tables only)",
                    did,
                    decision.sourceline,
                )
            )
            continue
        for table in tables:
            tid = table.get("id") or did
            policy = (table.get("hitPolicy") or "UNIQUE").upper()
            if policy not in SUPPORTED_HIT_POLICIES:
                out.append(
                    DmnProblem(
                        f"决策 {did}：命中策略 {policy} 不受支持，只能用 UNIQUE（取第一条匹配规则）或 COLLECT / "
                        f"decision {did}: hit policy {policy} is not supported (SpiffWorkflow runs UNIQUE and "
                        "COLLECT only)",
                        tid,
                        table.sourceline,
                    )
                )
            if table.get("aggregation"):
                out.append(
                    DmnProblem(
                        f"决策 {did}：COLLECT 聚合 {table.get('aggregation')} 不受支持 / decision {did}: "
                        f"aggregation {table.get('aggregation')} is not supported",
                        tid,
                        table.sourceline,
                    )
                )
            inputs = _children(table, "input")
            outputs = _children(table, "output")
            labels = []
            for inp in inputs:
                label = inp.get("label") or inp.get("id")
                labels.append(label)
                exprs = _children(inp, "inputExpression")
                text = _text_of(exprs[0]) if exprs else ""
                where = exprs[0] if exprs else inp
                if not text:
                    out.append(
                        DmnProblem(
                            f"决策 {did} 输入“{label}”没有输入表达式 / decision {did}: input {label!r} "
                            "has no input expression",
                            inp.get("id"),
                            where.sourceline,
                        )
                    )
                    continue
                problems = lint_source(text, "eval")
                tree = _parse(text)
                if not problems and tree is not None:
                    named = names_problem(tree)
                    problems = [named] if named else []
                for msg in problems:
                    out.append(
                        DmnProblem(
                            f"决策 {did} 输入“{label}” / decision {did}, input {label!r}: {text!r}: {msg}",
                            inp.get("id"),
                            where.sourceline,
                        )
                    )
            out_labels = []
            for o in outputs:
                out_labels.append(o.get("label") or o.get("name") or o.get("id"))
                if not o.get("name"):
                    out.append(
                        DmnProblem(
                            f"决策 {did} 的输出“{o.get('label') or o.get('id')}”没有名称（name），结果进不了案件数据 / "
                            f"decision {did}: an output without a name never reaches the case data",
                            o.get("id"),
                            o.sourceline,
                        )
                    )
            rules = _children(table, "rule")
            cells_of: list[list[tuple | None]] = []
            for number, rule in enumerate(rules, start=1):
                rid = rule.get("id")
                ins, outs = _children(rule, "inputEntry"), _children(rule, "outputEntry")
                if len(ins) != len(inputs) or len(outs) != len(outputs):
                    out.append(
                        DmnProblem(
                            f"决策 {did} 第 {number} 条规则有 {len(ins)} 个输入、{len(outs)} 个输出单元格，"
                            f"表有 {len(inputs)} 个输入、{len(outputs)} 个输出 / decision {did} rule {number}: "
                            f"{len(ins)}/{len(outs)} cells for {len(inputs)}/{len(outputs)} columns",
                            rid,
                            rule.sourceline,
                        )
                    )
                for kind, entries, names in (("in", ins, labels), ("out", outs, out_labels)):
                    for col, entry in enumerate(entries):
                        text = _text_of(entry)
                        if not text or (kind == "in" and text == "-"):
                            continue
                        label = names[col] if col < len(names) else str(col + 1)
                        source = text
                        if kind == "in":
                            source = _QUESTION.sub(PLACEHOLDER, text)
                            if PLACEHOLDER not in source and _parse(source) is None:
                                source = f"{PLACEHOLDER} {source}"  # a test on the input: "> 5"
                        problems = lint_source(source, "eval")
                        tree = _parse(source)
                        if not problems and tree is not None:
                            named = names_problem(tree, extra=(PLACEHOLDER,))
                            problems = [named] if named else []
                        for msg in problems:
                            msg = msg.replace(PLACEHOLDER, "?")
                            out.append(
                                DmnProblem(
                                    f"决策 {did} 第 {number} 条规则（{rid}）“{label}”列 / decision {did} rule "
                                    f"{number} ({rid}), column {label!r}: {text!r}: {msg}",
                                    entry.get("id") or rid,
                                    entry.sourceline,
                                )
                            )
                cells_of.append([constraint(_text_of(e)) for e in ins])
            if policy == "UNIQUE":
                out.extend(_overlaps(did, rules, cells_of))
    return out


def _overlaps(did: str | None, rules: list[Any], cells_of: list[list[tuple | None]]) -> list[DmnProblem]:
    out = []
    for i, j, kind in unique_conflicts(cells_of):
        ri, rj = rules[i].get("id"), rules[j].get("id")
        if kind == "shadowed":
            out.append(
                DmnProblem(
                    f"决策 {did}：第 {j + 1} 条规则（{rj}）永远不会生效，第 {i + 1} 条规则（{ri}）已涵盖它的全部"
                    f"输入（UNIQUE 取第一条匹配规则） / decision {did}: rule {j + 1} can never apply, rule {i + 1} "
                    "matches all its inputs first",
                    rj,
                    rules[j].sourceline,
                )
            )
        else:
            out.append(
                DmnProblem(
                    f"决策 {did}：命中策略 UNIQUE，但第 {i + 1} 条规则（{ri}）与第 {j + 1} 条规则（{rj}）可同时匹配；"
                    f"两者都匹配时取第 {i + 1} 条 / decision {did}: hit policy UNIQUE but rules {i + 1} and "
                    f"{j + 1} can both match (the first applies)",
                    rj,
                    rules[j].sourceline,
                    severity="warning",
                )
            )
    return out


def case_data_names(forms: Mapping[str, Any], bpmn_roots: Iterable[Any]) -> frozenset[str]:
    """The names a case's data can have: task forms' fields (application.json sits under
    ``application``), variables set by scripts and message variables of the BPMN."""
    names: set[str] = set()
    for fname, form in forms.items():
        if fname == "application.json" or not isinstance(form, Mapping):
            continue
        schema = form.get("schema") if isinstance(form.get("schema"), Mapping) else form
        props = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(props, Mapping):
            names |= {str(k) for k in props}
    for root in bpmn_roots:
        for el in root.iter():
            local = _local(el)
            if local == "script" and el.text:
                try:
                    tree = ast.parse(el.text)
                except SyntaxError:
                    continue
                names |= {
                    n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                }
            elif local in ("messageVariable", "resultVariable") and el.text:
                names.add(el.text.strip())
    return frozenset(names)


def application_fields(forms: Mapping[str, Any]) -> frozenset[str] | None:
    form = forms.get("application.json")
    if not isinstance(form, Mapping):
        return None
    schema = form.get("schema") if isinstance(form.get("schema"), Mapping) else form
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    return frozenset(str(k) for k in props) if isinstance(props, Mapping) else None


__all__ = ["DmnProblem", "application_fields", "case_data_names", "check_dmn"]

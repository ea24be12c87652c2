"""Helpers shared by docproc's checkov policies (defines no check itself).

checkov hands a check the rendered HCL of one block: every value wrapped in a
list, IAM policies either as a dict (from jsonencode), a JSON string, or an
unresolved `data.aws_iam_policy_document.X.json` reference. These helpers turn
all three into plain statements so the checks can reason about IAM semantics.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

POLICY_DOC_REF = re.compile(r"^\$?\{?data\.(aws_iam_policy_document\.[A-Za-z0-9_-]+)\.json\}?$")
# Where checkov cannot render a jsonencode() it leaves the argument as a
# Python literal, e.g. "${jsonencode({'Version': ...})}".
JSONENCODE = re.compile(r"^\$?\{?jsonencode\((.*)\)\}?$", re.DOTALL)


def first(value: Any) -> Any:
    """Unwraps checkov's single-element lists."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def as_list(value: Any) -> list[Any]:
    value = first(value)
    if value is None:
        return []
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            out.extend(as_list(item))
        return out
    return [value]


def as_str(value: Any) -> str:
    value = first(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_int(value: Any) -> int | None:
    value = first(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    return None


def is_true(value: Any) -> bool:
    return as_str(value).strip().lower() == "true"


def _statement(effect: Any, actions: Any, principals: dict[str, list[str]], conditions: list[tuple[str, str, list[str]]]) -> dict[str, Any]:
    return {
        "effect": as_str(effect),
        "actions": [as_str(a) for a in as_list(actions)],
        "principals": principals,
        "conditions": conditions,
    }


def _from_json_policy(policy: dict[str, Any]) -> list[dict[str, Any]]:
    raw = policy.get("Statement", [])
    statements = raw if isinstance(raw, list) else [raw]
    out = []
    for st in statements:
        if not isinstance(st, dict):
            continue
        principal = st.get("Principal", {})
        if principal == "*":
            principals = {"AWS": ["*"]}
        elif isinstance(principal, dict):
            principals = {k: [as_str(v) for v in as_list(ids)] for k, ids in principal.items()}
        else:
            principals = {}
        conditions = []
        for test, variables in (st.get("Condition") or {}).items():
            if isinstance(variables, dict):
                for variable, values in variables.items():
                    conditions.append((test, variable, [as_str(v) for v in as_list(values)]))
        out.append(_statement(st.get("Effect"), st.get("Action"), principals, conditions))
    return out


def _from_policy_document(block: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for st in as_list(block.get("statement")):
        if not isinstance(st, dict):
            continue
        principals: dict[str, list[str]] = {}
        for p in as_list(st.get("principals")):
            if isinstance(p, dict):
                principals.setdefault(as_str(p.get("type")), []).extend(as_str(i) for i in as_list(p.get("identifiers")))
        conditions = [
            (as_str(c.get("test")), as_str(c.get("variable")), [as_str(v) for v in as_list(c.get("values"))])
            for c in as_list(st.get("condition"))
            if isinstance(c, dict)
        ]
        # An aws_iam_policy_document statement defaults to Allow.
        out.append(_statement(st.get("effect") or "Allow", st.get("actions"), principals, conditions))
    return out


def _graph_nodes(graph: Any) -> list[Any]:
    if graph is None:
        return []
    try:
        return list(graph.nodes(data=True))  # networkx
    except TypeError:
        return list(graph.nodes())  # rustworkx: payloads are (index, attributes)


def _policy_document_block(graph: Any, address: str) -> dict[str, Any] | None:
    for node in _graph_nodes(graph):
        attrs = node[1] if isinstance(node, tuple) and len(node) == 2 else node
        if isinstance(attrs, dict) and attrs.get("__address__") == address:
            name = address.rpartition(".")[2]
            config = attrs.get("config_", {}).get("aws_iam_policy_document", {})
            return config.get(name) if isinstance(config, dict) else None
    return None


def policy_statements(value: Any, conf: dict[str, Any], graph: Any) -> list[dict[str, Any]] | None:
    """Statements of a policy attribute, or None when they cannot be resolved."""
    value = first(value)
    if isinstance(value, dict):
        return _from_json_policy(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("{"):
        try:
            return _from_json_policy(json.loads(text))
        except json.JSONDecodeError:
            return None
    match = JSONENCODE.match(text)
    if match:
        try:
            literal = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError):
            return None
        return _from_json_policy(literal) if isinstance(literal, dict) else None
    match = POLICY_DOC_REF.match(text)
    if match:
        # Data blocks live in the same module as the block referring to them.
        own = str(conf.get("__address__", ""))
        module_prefix = own.rsplit(".", 2)[0] + "." if own.count(".") >= 2 else ""
        block = _policy_document_block(graph, module_prefix + match.group(1))
        return _from_policy_document(block) if block else None
    return None


def condition_values(statement: dict[str, Any], tests: set[str], variable: str) -> list[str]:
    values: list[str] = []
    for test, var, vals in statement["conditions"]:
        if test in tests and var.lower() == variable.lower():
            values.extend(vals)
    return values

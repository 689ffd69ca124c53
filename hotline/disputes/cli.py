"""`hotline disputes-risk`: dispute descriptions on stdin, one JSON line each on stdout.

Each input line is a description, or a JSON object {"text": ..., "people": n, "repeat_calls": n}.
Output: {"type", "type_label", "risk", "risk_label", "points", "reasons": [{code, label, evidence}]}.
The rules decide; the 110 split model (when its files load) lifts a quiet text that reads
like a police matter to 中 (`--rules-only` skips it).
"""
from __future__ import annotations

import json
import sys


def _facts(line: str):
    from routing.disputes.risk import Facts

    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return line, Facts()
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            return obj["text"], Facts(people=int(obj.get("people") or 2), repeat_calls=int(obj.get("repeat_calls") or 0))
    return line, Facts()


def cmd_disputes_risk(args) -> int:
    from dataclasses import replace

    from routing.disputes import catalogue, risk

    model = None
    if not args.rules_only:
        try:
            from routing.split import load_split_model

            model = load_split_model()
        except Exception:  # no model files: rules alone
            model = None
    types = catalogue.load_types()
    for raw in sys.stdin:
        line = raw.strip()
        if not line:
            continue
        text, facts = _facts(line)
        if model is not None:
            from routing.split import decide_split

            facts = replace(facts, police_p=decide_split(text, model=model).police_score)
        code = catalogue.classify(text, types)[0]
        out = {"type": code, "type_label": types[code].label, **risk.score(text, facts).as_dict()}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


def register(sub) -> None:
    p = sub.add_parser("disputes-risk", help="dispute type and risk level (低/中/高/重大) with reasons for "
                                             "descriptions on stdin, JSON lines on stdout")
    p.add_argument("--rules-only", action="store_true", help="do not use the 110 split model")
    p.set_defaults(func=cmd_disputes_risk)

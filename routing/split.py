"""12345–110 split: decide whether a call is a 12345, 110 or joint (联动) matter.

Pure decision code. Explicit rules (``routing.split_rules``) decide on their
own when the evidence is strong; a small TF-IDF + logistic-regression model
(``routing/data/split_model``) catches police matters the lexicons miss.
The design favours recall on police matters: a police matter left on 12345
is the worst error, so weak or conflicting evidence escalates or flags the
call for three-party review (先行受理) rather than silently keeping it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from classifier.text import normalize
from models.enums import Disposition
from routing.split_rules import CIVIL, JOINT, POLICE, STRONG, RuleResult, scan

MODEL_DIR = Path(__file__).resolve().parent / "data" / "split_model"
MODEL_FILE = "split_model.joblib"
META_FILE = "metadata.json"

# Defaults; a shipped model carries its own tuned thresholds in metadata.json.
POLICE_THRESHOLD = 0.45  # combined police score at or above this → 110/joint (review)
REVIEW_THRESHOLD = 0.25  # combined score at or above this → keep on 12345, review
RULES_REVIEW_THRESHOLD = 0.5  # rules-only mode: weak evidence at or above this → review
DISAGREE_THRESHOLD = 0.10  # model police prob below this on a rule hit → review
SILENT_RULES_THRESHOLD = 0.60  # model must reach this to escalate when rules are silent or damped
MODEL_FLOOR = 0.25  # weak rule evidence escalates only if the model gives at least this
CONFIDENT_THRESHOLD = 0.85  # a question / 12345 request / civil matter escalates on the model only above this
SETTLED_THRESHOLD = 0.92  # a matter said to be over (已处理, 没事了) or contained (没有着火) needs even more

REASON_MODEL = "文本模型判定疑似涉警（概率{:.2f}）"
REASON_REVIEW = "疑似涉警，先行受理并提请三方会商"
REASON_DISAGREE = "规则与模型判断不一致，提请三方会商"
REASON_CIVIL = "非警务求助、非紧急诉求（双非）"
REASON_CONFLICT_IN_DISPUTE = "纠纷引发冲突：先由110处警，后续交属地调解"


@dataclass(frozen=True)
class SplitDecision:
    """Where a call goes, why, whether it needs three-party review, and its police score."""

    disposition: Disposition
    reasons: list[str]
    review: bool
    police_score: float
    severe: bool = False  # a full-strength severe rule hit (weapon, fire, explosion …): never held for review


@dataclass(frozen=True)
class SplitModel:
    """A trained text model plus the thresholds tuned for it."""

    pipeline: object
    police_threshold: float = POLICE_THRESHOLD
    review_threshold: float = REVIEW_THRESHOLD
    silent_threshold: float = SILENT_RULES_THRESHOLD
    metadata: dict = field(default_factory=dict)

    fast: object | None = None  # classifier.fastpath.FastPredictor: same probabilities, less overhead

    def probabilities(self, text: str) -> dict[str, float]:
        """Class probabilities keyed by disposition value ("12345", "110", "joint")."""
        return self.probabilities_many([text])[0]

    def probabilities_many(self, texts: list[str]) -> list[dict[str, float]]:
        """probabilities() for several texts in one model call."""
        predictor = self.fast or self.pipeline
        classes = [str(c) for c in predictor.classes_]
        return [dict(zip(classes, map(float, row))) for row in predictor.predict_proba(texts)]


def load_split_model(path: str | Path = MODEL_DIR) -> SplitModel:
    """Load the shipped split model and its tuned thresholds."""
    import joblib

    path = Path(path)
    meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    from classifier.fastpath import compile_pipeline

    pipeline = joblib.load(path / MODEL_FILE)
    return SplitModel(
        pipeline=pipeline,
        fast=compile_pipeline(pipeline),
        police_threshold=float(meta.get("police_threshold", POLICE_THRESHOLD)),
        review_threshold=float(meta.get("review_threshold", REVIEW_THRESHOLD)),
        silent_threshold=float(meta.get("silent_rules_threshold", SILENT_RULES_THRESHOLD)),
        metadata=meta,
    )


def decide_split(text: str, *, model: SplitModel | None = None) -> SplitDecision:
    """Decide 12345 / 110 / joint for one call text (rules only when model is None)."""
    return decide_splits([text], model=model)[0]


def decide_splits(texts: list[str], *, model: SplitModel | None = None) -> list[SplitDecision]:
    """decide_split() for several texts, with one model call for all of them."""
    texts = [t or "" for t in texts]
    probs = model.probabilities_many(texts) if model is not None and texts else [None] * len(texts)
    return [_decide(text, p, model) for text, p in zip(texts, probs)]


def _decide(text: str, probs: dict[str, float] | None, model: SplitModel | None) -> SplitDecision:
    """One decision from the rules on text and the model's probabilities (None: rules only)."""
    rules = scan(normalize(text))
    rule_p = rule_probability(rules)
    model_p = police_probability(probs) if probs is not None else None
    score = rule_p if model_p is None else noisy_or(rule_p, model_p)
    by_rule = rule_disposition(rules)
    if by_rule is not None:
        return _rule_decision(by_rule, rules, score, model_p)
    if model is None:
        return _rules_only_fallback(rules, rule_p)
    return _model_decision(rules, probs, score, model)


def rule_probability(rules: RuleResult) -> float:
    """Map rule evidence (police + joint weight) to a score in [0, 0.99]."""
    return round(min(0.99, rules.police + rules.joint), 4)


def police_probability(probs: dict[str, float]) -> float:
    """Model probability that the call needs the police (110 or joint)."""
    return probs.get(Disposition.POLICE.value, 0.0) + probs.get(Disposition.JOINT.value, 0.0)


def noisy_or(a: float, b: float) -> float:
    """Combine two independent pieces of evidence: 1 - (1-a)(1-b)."""
    return round(1.0 - (1.0 - a) * (1.0 - b), 4)


def rule_disposition(rules: RuleResult) -> Disposition | None:
    """Disposition decided by rules alone, or None when the rules are not decisive."""
    if rules.severe:
        armed_only = all(h.signal.group == "armed" for h in rules.hits if h.signal.severe and h.weight >= STRONG)
        return Disposition.JOINT if armed_only and armed_in_dispute(rules) else Disposition.POLICE
    if rules.joint >= STRONG:
        return Disposition.JOINT
    if rules.police >= STRONG:
        return Disposition.JOINT if conflict_in_dispute(rules) else Disposition.POLICE
    if rules.police + rules.joint >= STRONG:
        return Disposition.JOINT if rules.joint > 0 else Disposition.POLICE
    return None


def armed_in_dispute(rules: RuleResult) -> bool:
    """A weapon raised inside a dispute over a government matter: joint when the caller asks for the matter
    too (…也要有人管), or when the threat has hurt nobody yet; someone hurt by a weapon is 110's alone."""
    if not conflict_in_dispute(rules):
        return False
    hurt = any(h.signal.key == "injury" and h.weight > 0 for h in rules.hits)
    return rules.framing.also_matter or (underlying_matter(rules) and not hurt)


def underlying_matter(rules: RuleResult) -> bool:
    """A government matter besides the incident: a grievance (wages, property, a leak …) or 「…也要有人管」."""
    return rules.framing.also_matter or any(h.signal.key == "grievance" for h in rules.hits)


def conflict_in_dispute(rules: RuleResult) -> bool:
    """True if every live police hit is interpersonal conflict (a scuffle, a threat, a weapon raised in the
    quarrel) or a grievance-driven threat, inside a civil matter: police first, then the matter (joint)."""
    police_hits = [h for h in rules.hits if h.signal.kind == POLICE and h.weight > 0]
    civil = {h.signal.key for h in rules.hits if h.signal.kind == CIVIL}
    if not police_hits or not (civil or rules.framing.also_matter):
        return False
    return all(h.signal.group in ("conflict", "armed")
               or (h.signal.group == "grievance" and ("grievance" in civil or rules.framing.also_matter))
               for h in police_hits)


def _rule_decision(disp: Disposition, rules: RuleResult, score: float, model_p: float | None) -> SplitDecision:
    """Decision when rules are decisive; a strongly disagreeing model only adds review.

    One non-severe rule word inside a question or a 12345 request, which the model reads as
    a civil matter, is not enough to hand the call to the police: it is kept for review.
    """
    reasons = _live_reasons(rules)
    if disp is Disposition.JOINT and conflict_in_dispute(rules):
        reasons.append(REASON_CONFLICT_IN_DISPUTE)
    review = model_p is not None and model_p < DISAGREE_THRESHOLD
    if review and _lone_word_in_civil_framing(rules):
        return SplitDecision(Disposition.HOTLINE, reasons + [REASON_DISAGREE], True, score)
    if review:
        reasons.append(REASON_DISAGREE)
    return SplitDecision(disp, reasons, review, max(score, rule_probability(rules)), rules.severe)


def _lone_word_in_civil_framing(rules: RuleResult) -> bool:
    """True if the only decisive evidence is one non-severe hit in a question, request or civil matter."""
    live = [h for h in rules.hits if h.weight > 0 and h.signal.kind != CIVIL]
    guarded = rules.framing.asks_not_reports or (rules.civil > 0 and live and live[0].signal.group != "conflict")
    return guarded and not rules.severe and len(live) == 1 and live[0].weight < 1.5


def _rules_only_fallback(rules: RuleResult, rule_p: float) -> SplitDecision:
    """Rules-only mode below the strong threshold: keep on 12345, review if evidence is weak-but-real."""
    review = rule_p >= RULES_REVIEW_THRESHOLD
    reasons = _live_reasons(rules) + ([REASON_REVIEW] if review else [REASON_CIVIL])
    return SplitDecision(Disposition.HOTLINE, reasons, review, rule_p)


def _model_decision(rules: RuleResult, probs: dict[str, float], score: float, model: SplitModel) -> SplitDecision:
    """Decision when rules are not decisive and a model is available."""
    reasons = _live_reasons(rules)
    if _escalates(rules, police_probability(probs), score, model):
        joint = (rules.joint > rules.police or probs.get(JOINT_VALUE, 0.0) > probs.get(POLICE_VALUE, 0.0)
                 or conflict_in_dispute(rules))
        disp = Disposition.JOINT if joint else Disposition.POLICE
        return SplitDecision(disp, reasons + [REASON_MODEL.format(police_probability(probs))], True, score)
    if score >= model.review_threshold:
        return SplitDecision(Disposition.HOTLINE, reasons + [REASON_REVIEW], True, score)
    return SplitDecision(Disposition.HOTLINE, reasons + [REASON_CIVIL], False, score)


def _escalates(rules: RuleResult, model_p: float, score: float, model: SplitModel) -> bool:
    """Whether non-decisive evidence still sends the call towards the police (with review).

    A question about a rule, a 12345 request or a civil matter escalates only on a confident
    model; weak undamped rule evidence needs the model's agreement (MODEL_FLOOR), not just a
    word; with no live rule evidence the model must reach the silent-rules bar.
    """
    live_weak = any(h.weight > 0 and not h.notes and h.signal.kind != CIVIL for h in rules.hits)
    conflict = any(h.weight > 0 and not h.notes and (h.signal.kind == JOINT or h.signal.group == "conflict")
                   for h in rules.hits)
    if rules.framing.contained or "resolved" in rules.framings:  # it is over, or never caught fire
        return model_p >= SETTLED_THRESHOLD
    if rules.framing.asks_not_reports or (rules.civil > 0 and not conflict):
        return model_p >= CONFIDENT_THRESHOLD
    if live_weak:
        return score >= model.police_threshold and model_p >= MODEL_FLOOR
    return model_p >= max(model.police_threshold, model.silent_threshold)


def _live_reasons(rules: RuleResult) -> list[str]:
    """Reasons from police/joint hits that kept weight, then civil context."""
    kinds = {POLICE: 0, JOINT: 0, CIVIL: 1}
    hits = sorted((h for h in rules.hits if h.weight > 0), key=lambda h: (kinds[h.signal.kind], -h.weight))
    out: list[str] = []
    for hit in hits:
        if hit.signal.reason not in out:
            out.append(hit.signal.reason)
    return out


POLICE_VALUE = Disposition.POLICE.value
JOINT_VALUE = Disposition.JOINT.value

"""Normalisation and tokenisation."""

import pickle
import random
import re

import jieba

from classifier.text import (DIGITS_TOKEN, ID_TOKEN, PHONE_TOKEN, init_jieba, normalize,
                             tokenize, tokenize_normalized)


def test_normalize_fullwidth_space_case():
    assert normalize("ＡＢＣ１２３　　小区\t\n物业") == "abc123 小区 物业"


def test_normalize_masks_numbers_keeps_12345():
    out = normalize("电话13812345678，座机028-85551234，身份证11010119900307777X，单号20240101123，打12345")
    assert PHONE_TOKEN in out and ID_TOKEN in out and DIGITS_TOKEN in out
    assert "13812345678" not in out and "85551234" not in out and "11010119900307777" not in out
    assert "12345" in out


def test_normalize_empty():
    assert normalize("") == "" and normalize("   ") == ""


def test_tokenize_uses_userdict():
    toks = tokenize("小区有人飞线充电，物业费还涨价，老板欠薪，社保转移办不了，打12345")
    for word in ("飞线充电", "物业费", "欠薪", "社保转移", "12345"):
        assert word in toks
    assert "，" not in toks and "," not in toks


def test_fast_segmenter_matches_jieba():
    init_jieba()
    words = [w for w, f in list(jieba.dt.FREQ.items())[:50000] if f]
    rng = random.Random(1)
    keep = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
    for _ in range(300):
        text = normalize("".join(rng.choice(words) + rng.choice(["", "，", "a", "7", " "]) for _ in range(12)))
        expected = [t for t in jieba.lcut(text, HMM=False) if keep.search(t)]
        assert tokenize_normalized(text) == expected


def test_tokenizer_picklable():
    assert pickle.loads(pickle.dumps(tokenize)) is tokenize


def test_shared_work_computes_each_text_once_by_identity(monkeypatch):
    from classifier import text

    calls: list[str] = []
    real_normalize, real_tokenize = text._normalize, text._tokenize_normalized
    monkeypatch.setattr(text, "_normalize", lambda t: calls.append("n") or real_normalize(t))
    monkeypatch.setattr(text, "_tokenize_normalized", lambda t: calls.append("t") or real_tokenize(t))
    a = "小区门口烧烤摊占道经营，电话13812345678"
    twin = "".join(list(a))  # equal, but another object (another request with the same words)
    assert twin == a and twin is not a
    with text.shared_work():
        first = text.tokenize(a)
        first.append("mutated by a caller")
        again = text.tokenize(a)
        assert text.normalize(a) is text.normalize(a)
        other = text.tokenize(twin)
    assert calls == ["n", "t", "n", "t"], "a once, its twin once"
    assert again == other == tokenize(a) and "mutated by a caller" not in again
    calls.clear()
    text.tokenize(a), text.tokenize(a)
    assert calls == ["n", "t", "n", "t"], "nothing is remembered outside the block"


def test_split_model_char_block_is_vectorised_and_matches_sklearn():
    import numpy as np

    from classifier.fastpath import _CharBlock
    from routing.split import load_split_model

    model = load_split_model()
    assert any(isinstance(b, _CharBlock) and b.preprocess is normalize for b in model.fast.blocks)
    texts = ["有人拿刀在楼下砍人", "ＡＢＣ  电话13812345678 身份证11010119900307777X", "", "   ",
             "楼上装修噪音扰民\n\n多次沟通无果", "abc" * 50, "😀表情和\t制表符"]
    assert np.allclose(model.fast.predict_proba(texts), model.pipeline.predict_proba(texts), atol=1e-5)

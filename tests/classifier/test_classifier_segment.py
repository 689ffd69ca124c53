"""Batch segmentation (classifier.segment) must equal tokenize_normalized token for token."""

import random
from pathlib import Path

import jieba
import numpy as np
import pytest

from classifier import segment
from classifier.text import USERDICT_PATH, init_jieba, normalize, tokenize, tokenize_normalized
from classifier.training import read_training_csv

DATA = Path(__file__).resolve().parents[2] / "classifier" / "data"

HOSTILE = [
    "", " ", "\n", "，。！？、；：“”（）", "!!!", "...", "---", "%", "+#&._%-", "+#&._%-" * 30,
    "a+b#c&d.e_f%g-h", "c++和c#还有at&t", "C++ C# AT&T", "3.14%的人", "100%满意", "..中国..", "-5度",
    "abc" * 100, "1234567890" * 50, "a1b2c3" * 40, "ABCdef中文GHI", "iphone手机wifi密码123abc",
    "a中b", "中a国", "1号楼2单元301室", "TELNUM", "TELNUM电话LONGNUM号码IDNUM",
    "电话 TELNUM ，单号 LONGNUM，身份证 IDNUM", "TELNUMLONGNUM", "拨打12345热线",
    "㐀㐁䶵", "䷀䷿", "鿖鿗鿿", "中㐀国鿖人䷀民", "㐀abc㐀", "😀", "中国😀人民", "👍👍好的👍", "a😀b",
    "ＡＢＣ１２３　全角", "\ud800孤立代理\udfff", "中国\n人民\t银行", "的" * 300, "一" * 17,
    "中华人民共和国中央人民政府", "中华人民共和国中央军事委员会会议",
]


def _check(docs: list[str]) -> None:
    """lcut_many(docs) equals tokenize_normalized on every doc (with a readable failure)."""
    got = segment.lcut_many(docs)
    assert len(got) == len(docs)
    for doc, toks in zip(docs, got):
        assert toks == tokenize_normalized(doc), doc[:80]


@pytest.fixture(scope="module")
def dictionary_words() -> list[str]:
    """Words (non-zero frequency) of jieba's dictionary including the 12345 user dictionary."""
    init_jieba()
    return [w for w, f in jieba.dt.FREQ.items() if f]


def test_corpus_and_handwritten_rows():
    rows = read_training_csv(DATA / "corpus.csv") + read_training_csv(DATA / "handwritten_eval.csv")
    _check([normalize(r["text"]) for r in rows])


def test_hostile_texts():
    _check(HOSTILE)
    _check([normalize(t) for t in HOSTILE])


def test_single_doc_and_empty_batch():
    assert segment.lcut_many([]) == []
    _check(["市民反映小区物业费太贵"])


def test_user_dictionary_words():
    words = [line.split()[0] for line in USERDICT_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    _check(words)
    _check(["".join(words), "，".join(words), "a".join(words)])


def test_long_dictionary_words(dictionary_words):
    long_words = [w for w in dictionary_words if len(w) >= 5]
    assert max(map(len, long_words)) >= 12
    rng = random.Random(3)
    picks = sorted(long_words, key=len)[-300:] + rng.sample(long_words, 300)
    _check(picks)
    _check(["".join(rng.sample(picks, 20)) for _ in range(50)])
    _check(["的".join(rng.sample(picks, 10)) for _ in range(50)])


def test_random_dictionary_mixes(dictionary_words):
    rng = random.Random(7)
    glue = ["", "", "", "，", "a", "7", " ", "。", "-", ".", "abc", "TELNUM", "㐀", "😀"]
    docs = ["".join(rng.choice(dictionary_words) + rng.choice(glue) for _ in range(rng.randint(0, 40)))
            for _ in range(600)]
    _check(docs)


def test_random_characters():
    rng = random.Random(11)
    alphabet = list("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
                    "小区物业费太贵飞线充电欠薪社保热线投诉") + list("abcXYZ019+#&._%- ，。!？\n") + ["㐀", "鿖", "😀", "䷀"]
    docs = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300))) for _ in range(400)]
    _check(docs)


def test_long_text_without_punctuation(dictionary_words):
    rng = random.Random(5)
    text = "".join(rng.choice(dictionary_words) for _ in range(3000))[:5000]
    _check([text, text[:4999], "短文本"])


def test_chunk_boundaries(monkeypatch):
    rows = read_training_csv(DATA / "handwritten_eval.csv")
    docs = [normalize(r["text"]) for r in rows[:120]] + HOSTILE
    monkeypatch.setattr(segment, "CHUNK_CHARS", 64)
    _check(docs)
    monkeypatch.setattr(segment, "CHUNK_CHARS", 1)
    _check(docs[:40])


def test_vocabulary_lookup_matches_dict(dictionary_words):
    docs = [normalize(t) for t in HOSTILE] + ["小区物业费太贵，飞线充电没人管，c++与TELNUM㐀abcdefg"] * 3
    toks = [tokenize_normalized(d) for d in docs]
    seen = sorted({t for ts in toks for t in ts})
    vocab = {t: i for i, t in enumerate(seen[::2] + dictionary_words[:500] + ["㐀", "abcdefg", "中华人民共和国"])}
    ids, counts = segment.Vocabulary(vocab).lookup(docs)
    assert counts.tolist() == [len(ts) for ts in toks]
    assert ids.tolist() == [vocab.get(t, -1) for ts in toks for t in ts]
    ids, counts = segment.Vocabulary({}).lookup(docs)
    assert (ids == -1).all() and counts.sum() == sum(map(len, toks))


def _word_block(fast):
    """The _WordBlock of a FastPredictor."""
    from classifier.fastpath import _WordBlock
    blocks = [b for b in fast.blocks if isinstance(b, _WordBlock)]
    assert len(blocks) == 1 and blocks[0].vocab is not None
    return blocks[0]


def _assert_batch_equals_single(fast, texts):
    """transform/predict_proba of a batch equal the same texts one by one, word ids included."""
    block = _word_block(fast)
    assert len(texts) >= block.BATCH_MIN
    docs = fast.normalize_many(texts)
    ids, lengths = block._token_ids(docs)
    singles = [block._token_ids([d]) for d in docs]
    assert lengths.tolist() == [int(n[0]) for _, n in singles]
    assert ids.tolist() == [i for s, _ in singles for i in s.tolist()]
    batch = fast.transform(texts)
    one_by_one = [fast.transform([t]) for t in texts]
    for i, row in enumerate(one_by_one):
        assert np.array_equal(batch[i].indices, row.indices)
        assert np.array_equal(batch[i].data, row.data)
    single_p = np.vstack([fast.predict_proba([t]) for t in texts])
    assert np.allclose(fast.predict_proba(texts), single_p, atol=1e-9)


def _texts(rows, n=60):
    """Test texts: training rows plus hostile strings (no lone surrogates: _CharBlock rejects them)."""
    hostile = [t for t in HOSTILE if "\ud800" not in t]
    return [r["text"] for r in rows[:n]] + hostile + ["电话13812345678，身份证11010119900307777X，打12345"]


def test_fast_predictor_batch_equals_single(trained, small_rows):
    from classifier.fastpath import FastPredictor
    pipe = trained.pipeline
    fast = FastPredictor(pipe)
    texts = _texts(small_rows)
    _assert_batch_equals_single(fast, texts)
    assert np.allclose(fast.predict_proba(texts), pipe.predict_proba(texts), atol=1e-5)


def test_raw_text_tokenizer_batch_equals_single(small_rows):
    """Pipelines without a normalising step (tokenizer=tokenize, like the 110 split model)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from classifier.fastpath import FastPredictor
    words = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, 2))
    pipe = Pipeline([("features", FeatureUnion([("word", words)])), ("clf", LogisticRegression())])
    pipe.fit([r["text"] for r in small_rows], [r["label"] for r in small_rows])
    fast = FastPredictor(pipe)
    texts = _texts(small_rows)
    _assert_batch_equals_single(fast, texts)
    assert np.allclose(fast.predict_proba(texts), pipe.predict_proba(texts), atol=1e-5)


def test_classifier_predict_unchanged(model_dir, small_rows):
    from classifier.model import Classifier
    clf = Classifier.load(model_dir)
    texts = _texts(small_rows)
    batch = clf.predict(texts)
    singles = [clf.predict([t])[0] for t in texts]
    assert [p.category for p in batch] == [p.category for p in singles]
    assert np.allclose([p.confidence for p in batch], [p.confidence for p in singles], atol=1e-9)
    expected = clf.pipeline.predict_proba(texts)
    assert [p.category for p in batch] == [str(clf.pipeline.classes_[i]) for i in expected.argmax(axis=1)]


def test_shipped_model_batch_equals_single():
    from classifier.model import DEFAULT_MODEL_DIR, Classifier
    if not (DEFAULT_MODEL_DIR / "metadata.json").is_file():
        pytest.skip("no shipped model in classifier/model/")
    clf = Classifier.load(DEFAULT_MODEL_DIR)
    rows = read_training_csv(DATA / "handwritten_eval.csv")
    _assert_batch_equals_single(clf._fast, _texts(rows, 100))

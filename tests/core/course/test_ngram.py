"""core.course.ngram: counted n-gram models, held to brute-force counting and to golden numbers."""

from collections import Counter

import numpy as np
import pytest

from core.course.ngram import (
    NGramCounts,
    NGramModel,
    bigram_matrix,
    check_order,
    encode_chars,
    split_train_val,
    window_codes,
)
from core.mirrors.sampling import sample as sample_from_logits
from core.tokenize.char import CharTokenizer


def test_docstring_example_by_hand():
    model = NGramModel.fit(np.array([0, 1, 0, 1, 1]), order=1, vocab_size=2)
    # after 0: "1" twice, "0" never -> (0 + 1) / (2 + 2), (2 + 1) / (2 + 2)
    np.testing.assert_allclose(model.next_probs([0]), [0.25, 0.75])
    # after 1: 0 once, 1 once -> 2/4 each; unigram: two 0s, three 1s -> 3/7, 4/7
    np.testing.assert_allclose(model.next_probs([1]), [0.5, 0.5])
    np.testing.assert_allclose(model.next_probs([]), [3 / 7, 4 / 7])
    # the chain rule: log P(0 1 1) = log P(0) + log P(1 | 0) + log P(1 | 1)
    expected = np.log([3 / 7, 0.75, 0.5])
    np.testing.assert_allclose(model.sequence_log_probs([0, 1, 1]), expected)


def test_window_codes_are_base_v_digits():
    assert window_codes(np.array([1, 2, 3]), 2, 10).tolist() == [12, 23]
    assert window_codes(np.array([1, 2, 3]), 3, 10).tolist() == [123]
    assert window_codes(np.array([1, 2]), 3, 10).tolist() == []
    assert window_codes(np.array([4, 5]), 0, 10).tolist() == [0, 0, 0]


@pytest.mark.parametrize("order", [0, 1, 2, 3])
@pytest.mark.parametrize("alpha", [1.0, 0.1])
def test_log_probs_equal_brute_force_counting(order, alpha):
    rng = np.random.default_rng(order)
    V = 5
    ids = rng.integers(0, V, size=300)
    model = NGramModel.fit(ids, order, V, alpha=alpha)
    held_out = rng.integers(0, V, size=40)
    # brute force counts over the training ids, scored on held-out ids
    train = [int(i) for i in ids]
    expected = []
    for t, c in enumerate(held_out):
        j = min(t, order)
        grams = Counter(tuple(train[s : s + j + 1]) for s in range(len(train) - j))
        contexts = Counter(g[:-1] for g in grams.elements())
        ctx = tuple(int(x) for x in held_out[t - j : t])
        expected.append(np.log((grams[(*ctx, int(c))] + alpha) / (contexts[ctx] + alpha * V)))
    np.testing.assert_allclose(model.sequence_log_probs(held_out), expected)


def test_counts_equal_a_counter():
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 4, size=500)
    table = NGramCounts.count(ids, 2, 4)
    grams = Counter(tuple(ids[s : s + 3]) for s in range(len(ids) - 2))
    decoded = {
        tuple(int(d) for d in np.base_repr(g, 4).zfill(3)): n
        for g, n in zip(table.grams, table.gram_counts)
    }
    assert decoded == {tuple(int(x) for x in g): n for g, n in grams.items()}
    assert table.gram_counts.sum() == len(ids) - 2 == table.context_counts.sum()
    contexts = Counter(g[:2] for g in grams.elements())
    assert table.distinct_contexts == len(contexts)


def test_probabilities_sum_to_one_and_unseen_contexts_are_uniform():
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 3, size=200)  # tokens 3 and 4 never occur
    model = NGramModel.fit(ids, 2, vocab_size=5)
    for context in ([], [0], [1, 2], [2, 2, 0]):
        probs = model.next_probs(context)
        assert probs.shape == (5,) and probs.sum() == pytest.approx(1.0)
        assert (probs > 0).all()  # add-one: nothing has probability 0
    np.testing.assert_allclose(model.next_probs([3, 4]), np.full(5, 0.2))  # never seen
    assert model.perplexity([3, 4, 3, 4, 3, 4])  # finite, although 3 and 4 were never seen
    counts, total = model.next_counts([0, 1])
    assert counts.sum() == total


def test_a_model_that_saw_nothing_relevant_has_perplexity_v():
    model = NGramModel.fit(np.array([0, 0, 0, 0]), 1, vocab_size=7)
    # contexts 1..6 never occurred: every prediction after them is 1/7
    held_out = np.array([0, 1, 2, 3, 4, 5, 6, 1])
    log_probs = model.sequence_log_probs(held_out)
    np.testing.assert_allclose(log_probs[2:], np.log(1 / 7))
    assert NGramModel.fit(np.array([0, 0]), 0, 3, alpha=1e9).perplexity([1, 2]) == pytest.approx(3)


def test_unseen_context_fraction():
    model = NGramModel.fit(np.array([0, 1, 0, 1]), 1, vocab_size=3)
    # contexts of positions 1..4 of [0, 1, 2, 0, 1]: 0 seen, 1 seen, 2 unseen, 0 seen
    assert model.unseen_context_fraction([0, 1, 2, 0, 1]) == pytest.approx(0.25)
    assert model.unseen_context_fraction([2]) == 0.0


def test_sampling_is_seeded_uses_core_filters_and_greedy_is_argmax():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 6, size=400)
    model = NGramModel.fit(ids, 2, 6)
    a = model.sample(np.random.default_rng(7), 30, prompt=[1, 2], top_k=3)
    b = model.sample(np.random.default_rng(7), 30, prompt=[1, 2], top_k=3)
    assert a == b and len(a) == 30
    # the same draws, one at a time, through core.mirrors.sampling
    gen, context = np.random.default_rng(7), [1, 2]
    for _ in range(30):
        logits = np.log(model.next_probs(context[-2:]))
        context.append(sample_from_logits(logits, gen, 1.0, 3, None))
    assert context[2:] == a
    greedy = model.sample(np.random.default_rng(0), 10, prompt=[0], temperature=0)
    context = [0]
    for token in greedy:
        assert token == int(np.argmax(model.next_probs(context[-2:])))
        context.append(token)
    assert model.sample(np.random.default_rng(0), 0) == []


def test_bigram_matrix_is_the_order_1_table():
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 5, size=300)
    matrix = bigram_matrix(ids, 5)
    table = NGramCounts.count(ids, 1, 5)
    pairs, totals = table.lookup(np.arange(25))
    np.testing.assert_array_equal(matrix.ravel(), pairs)
    np.testing.assert_array_equal(matrix.sum(axis=1), totals[::5])
    model = NGramModel([NGramCounts.count(ids, 0, 5), table])
    np.testing.assert_allclose(model.next_probs([3]), (matrix[3] + 1) / (matrix[3].sum() + 5))


def test_encode_chars_equals_char_tokenizer():
    text = "To be, or not to be:\nthat is the question."
    tok = CharTokenizer.from_text(text + "Z")
    assert encode_chars(text, tok.vocab).tolist() == tok.encode(text)
    assert encode_chars("", tok.vocab).tolist() == []
    assert encode_chars("é", ["é", "a"]).tolist() == [0]
    with pytest.raises(ValueError, match=r"'%', '\(' .*position 2"):
        encode_chars("To%(", tok.vocab)
    with pytest.raises(ValueError, match="empty"):
        encode_chars("a", [])


def test_split_train_val_equals_the_torch_split():
    torch = pytest.importorskip("torch")
    from core.data.lm import TokenSplits

    ids = np.arange(1003)
    splits = TokenSplits.from_ids(ids, 1003, encode=list, decode=list)
    train, val = split_train_val(ids)
    assert train.tolist() == splits.train.tolist() and val.tolist() == splits.val.tolist()
    assert isinstance(splits.train, torch.Tensor)
    with pytest.raises(ValueError, match="val_fraction"):
        split_train_val(ids, 1.0)


@pytest.mark.parametrize(
    "order, vocab, message",
    [(-1, 5, ">= 0"), (True, 5, ">= 0"), (1.5, 5, ">= 0"), (10, 65, "int64"), (1, 0, "vocab")],
)
def test_bad_orders_are_refused(order, vocab, message):
    with pytest.raises(ValueError, match=message):
        check_order(order, vocab)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        NGramModel.fit(np.array([0, 3]), 1, 3)
    with pytest.raises(ValueError, match="alpha"):
        NGramModel.fit(np.array([0, 1]), 1, 3, alpha=0)
    with pytest.raises(ValueError, match="empty"):
        NGramModel.fit(np.array([0, 1]), 1, 3).perplexity([])
    with pytest.raises(ValueError, match="orders 0, 1"):
        NGramModel([NGramCounts.count(np.array([0, 1]), 1, 3)])


def test_tiny_shakespeare_golden_perplexities(data_available):
    """The numbers lesson 1 shows: add-one, 90/10 split, every validation character scored."""
    from core.data.files import read_text

    text = read_text("tinyshakespeare")
    tok = CharTokenizer.from_text(text)
    train, val = split_train_val(encode_chars(text, tok.vocab))
    assert (len(train), len(val), tok.vocab_size) == (1_003_854, 111_540, 65)
    tables = [NGramCounts.count(train, j, 65) for j in range(7)]
    perplexity = [NGramModel(tables[: k + 1]).perplexity(val) for k in range(7)]
    expected = [28.43, 11.96, 7.91, 7.05, 8.79, 13.37, 20.63]
    np.testing.assert_allclose(perplexity, expected, atol=0.01)
    assert int(np.argmin(perplexity)) == 3  # three characters of context is best
    unseen = [NGramModel(tables[: k + 1]).unseen_context_fraction(val) for k in (1, 3, 6)]
    np.testing.assert_allclose(unseen, [0.0, 0.0139, 0.208], atol=0.001)


def test_context_counts_by_hand():
    model = NGramModel.fit(np.array([0, 1, 0, 1, 1]), 2, vocab_size=2)
    # position 0: empty context (5 tokens), 1: context (0,) seen twice, 2: (0, 1) seen twice
    # (followed by 0 and by 1), 3: (1, 0) once, 4: (0, 0) never
    assert model.context_counts([0, 1, 0, 0, 1]).tolist() == [5, 2, 2, 1, 0]

# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25.2",
#     "anywidget>=0.11",
#     "traitlets>=5.9",
#     "numpy>=1.26",
#     "altair>=5.4",
#     "pandas>=2.1",
# ]
# ///
"""Lesson 1 (module 4.1): what is a language model?

A probability for every text, one next token at a time (the chain rule); the smallest real
one, a character bigram counted from Tiny Shakespeare; perplexity; why longer counted
contexts stop helping; next-token prediction as the one task behind many; and temperature,
top-k and top-p on one live distribution.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="1 · What is a Language Model?")


@app.cell(hide_code=True)
def _():
    import json
    import time
    from collections import Counter
    from functools import cache
    from itertools import pairwise

    import altair as alt
    import marimo as mo
    import numpy as np
    import pandas as pd

    from core.course.attention_lessons import format_number
    from core.course.catalog import next_lesson_markdown, where_shown
    from core.course.ngram import (
        NGramCounts,
        NGramModel,
        bigram_matrix,
        encode_chars,
        split_train_val,
    )
    from core.data.files import DataUnavailableError, fetch
    from core.mirrors.sampling import entropy, filter_logits, softmax
    from core.tokenize.char import CharTokenizer
    from widgets import NextTokenDistribution

    def shown(char):
        """A character as the tables print it: a newline is ↵, a space is ␣."""
        return {"\n": "↵", " ": "␣"}.get(char, char)

    def marked_draw(model, tokenizer, prompt_ids, drawn_ids):
        """(HTML of a drawn text, how many of its characters came after a context training
        never saw): those are red and underlined."""
        _blind = model.context_counts([*prompt_ids, *drawn_ids])[len(prompt_ids) :] == 0
        _spans = []
        for _char, _is_blind in zip(tokenizer.decode(list(drawn_ids)), _blind):
            _piece = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": "↵"}.get(_char, _char)
            _spans.append(
                f'<span style="color:#c0392b;text-decoration:underline">{_piece}</span>'
                if _is_blind
                else _piece
            )
        return "".join(_spans), int(_blind.sum())

    return (
        CharTokenizer,
        Counter,
        DataUnavailableError,
        NGramCounts,
        NGramModel,
        NextTokenDistribution,
        alt,
        bigram_matrix,
        cache,
        encode_chars,
        entropy,
        fetch,
        filter_logits,
        format_number,
        json,
        marked_draw,
        mo,
        next_lesson_markdown,
        np,
        pairwise,
        pd,
        shown,
        softmax,
        split_train_val,
        time,
        where_shown,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # What is a Language Model?

    *Module 4.1 · Lesson 1 of 18*

    Which of these is English: *to be, or not to be* or *eb ot ton ro ,eb ot*? You know at
    once, though both use the same letters. A **language model** is a machine that knows it
    too, with a number: it gives every text a probability. By the end of this lesson you
    will have built one from counts, measured how good it is, found where counting stops
    working, and steered how it writes.
    """)
    return


@app.cell(hide_code=True)
def _(CharTokenizer, DataUnavailableError, encode_chars, fetch, mo, split_train_val):
    class _Progress:
        """The download's progress as a marimo bar (core.data takes any tqdm-like class)."""

        def __init__(self, total=None, desc="", **_):
            self._bar = mo.status.progress_bar(total=total, title=desc, remove_on_exit=True)

        def __enter__(self):
            self._inner = self._bar.__enter__()
            return self

        def __exit__(self, *exc):
            return self._bar.__exit__(*exc)

        def update(self, n=1):
            self._inner.update(increment=n)

    try:
        text = fetch("tinyshakespeare", tqdm_class=_Progress).read_text(encoding="utf-8")
        data_problem = None
    except DataUnavailableError as _err:
        text, data_problem = None, str(_err)

    if text is None:
        tokenizer = train_ids = val_ids = None
        _shown = mo.callout(
            mo.md(
                "**This lesson needs Tiny Shakespeare** (a text file of plays, the text every "
                "model in it is counted from), and it could not be found or downloaded:\n\n"
                f"> {data_problem}\n\n"
                "On your machine, fetch it once from a terminal in the course folder with "
                "`python -m core.data fetch tinyshakespeare` (or set `COURSE_DATA_DIR` to a "
                "folder that holds `tinyshakespeare.txt`), then reload this page. On the web "
                "site the page downloads it itself: check your connection and reload."
            ),
            kind="warn",
        )
    else:
        tokenizer = CharTokenizer.from_text(text)
        train_ids, val_ids = split_train_val(encode_chars(text, tokenizer.vocab))
        _shown = mo.md(
            f"The text: **Tiny Shakespeare**, {len(text):,} characters of plays, "
            f"{tokenizer.vocab_size} distinct characters "
            f"({sum(c.isalpha() for c in tokenizer.vocab)} letters; punctuation, space, "
            "newline and the rest). The tokens of this lesson are those characters. "
            f"As everywhere in this course, the first 90% ({len(train_ids):,} characters) is "
            f"for counting (training) and the last 10% ({len(val_ids):,}) is held out: a model "
            "is judged on text it never saw, the validation set of series 1."
        )
    _shown
    return text, tokenizer, train_ids, val_ids


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 1 · A model you can hold

    A text is a sequence of tokens $x_1 x_2 \dots x_T$. Any probability of a whole sequence
    can be written one token at a time, each given everything before it (the **chain rule**
    of probability, no assumption made):

    $$P(x_1 \dots x_T) = P(x_1)\, P(x_2 \mid x_1)\, P(x_3 \mid x_1 x_2) \cdots
    = \prod_{t=1}^{T} P(x_t \mid x_{<t}).$$

    So a language model only has to answer one question, over and over: **what comes
    next?** Give it that and it can score a text (multiply), and write one (draw a token,
    append it, ask again). Every language model in this course, GPT-2 included, works this way.

    The laziest answer says every character is equally likely next, $1/V$ each. Writing
    with it: start anywhere, draw a character, append it, draw again
    (**autoregressive generation**). Here is what it writes (change the seed for another
    draw):
    """)
    return


@app.cell
def _(mo):
    seed_number = mo.ui.number(value=0, start=0, stop=10_000, step=1, label="random seed")
    seed_number
    return (seed_number,)


@app.cell(hide_code=True)
def _(mo, np, seed_number, tokenizer):
    mo.stop(tokenizer is None)
    _rng = np.random.default_rng(seed_number.value)
    mo.vstack(
        [
            mo.plain_text(tokenizer.decode(_rng.integers(0, tokenizer.vocab_size, 200).tolist())),
            mo.md(
                "Noise. It never learned that *e* is common and *Q* is rare, that a *q* wants "
                "a *u*, that words are separated by spaces."
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    The smallest real fix: look at the previous character, and count. In the training
    text, how often was each character followed by each other one? That table of counts
    is a **bigram model**, the first language model of Karpathy's *makemore* series; here
    it is, counted from Shakespeare.
    """)
    return


@app.cell
def _(Counter, bigram_matrix, mo, pairwise, text, tokenizer, train_ids):
    mo.stop(train_ids is None)
    # by hand, on the first 20,000 training characters: count every adjacent pair
    _n = 20_000
    _pairs = Counter(pairwise(text[:_n]))  # ('F', 'i'), ('i', 'r'), ...
    # core.course.ngram does the same in NumPy; counts[a, b]: b followed a
    _core = bigram_matrix(train_ids[:_n], tokenizer.vocab_size)  # (V, V)
    _same = sum(_pairs.values()) == _core.sum() and all(
        _core[tokenizer.stoi[a], tokenizer.stoi[b]] == c for (a, b), c in _pairs.items()
    )
    counts = bigram_matrix(train_ids, tokenizer.vocab_size)  # all of the training text
    mo.callout(
        mo.md(
            f"Counting pairs by hand (a `Counter` over the first {_n:,} characters) and "
            "`core.course.ngram.bigram_matrix` "
            + (
                "agree on every pair, so the lesson counts with core from here on."
                if _same
                else "disagree: something is wrong."
            )
        ),
        kind="success" if _same else "danger",
    )
    return (counts,)


@app.cell(hide_code=True)
def _(alt, counts, format_number, mo, np, pd, shown, tokenizer):
    _V = tokenizer.vocab_size
    _labels = [shown(c) for c in tokenizer.vocab]
    _a, _b = np.meshgrid(np.arange(_V), np.arange(_V), indexing="ij")
    _rows = counts.sum(axis=1)
    _frame = pd.DataFrame(
        {
            "previous": np.array(_labels)[_a.ravel()],
            "next": np.array(_labels)[_b.ravel()],
            "count": counts.ravel(),
            "share of the row": (counts / np.maximum(_rows, 1)[:, None]).ravel().round(4),
        }
    )
    _frame = _frame[_frame["count"] > 0]
    _heatmap = (
        alt.Chart(_frame, title="Bigram counts from Tiny Shakespeare (training 90%)")
        .mark_rect()
        .encode(
            x=alt.X(
                "next:N",
                sort=_labels,
                title="next character",
                axis=alt.Axis(labelAngle=0, labelFontSize=8),
            ),
            y=alt.Y(
                "previous:N",
                sort=_labels,
                title="previous character",
                axis=alt.Axis(labelFontSize=8),
            ),
            color=alt.Color(
                "count:Q",
                scale=alt.Scale(type="log", scheme="blues"),
                title="count (log scale)",
            ),
            tooltip=["previous", "next", "count", "share of the row"],
        )
        .properties(width=620, height=620)
    )
    _empty = int((counts == 0).sum())
    _q_next = int((counts[tokenizer.stoi["q"]] > 0).sum())
    _q_next_words = "a single column" if _q_next == 1 else f"{_q_next} columns"
    _upper = np.array([c.isupper() for c in tokenizer.vocab])
    _lower = np.array([c.islower() for c in tokenizer.vocab])
    _upper_upper = counts[_upper][:, _upper].sum() / counts[_upper].sum()
    _lower_upper = int(counts[_lower][:, _upper].sum())
    mo.vstack(
        [
            _heatmap,
            mo.md(
                f"Rows are the previous character, columns the next; hover a cell for its "
                f"count. {_V}×{_V} = {_V * _V:,} possible pairs, of which {_empty:,} never "
                f"occur (white): *q* is followed by {_q_next_words} only. After a capital, "
                f"{format_number(100 * _upper_upper, 0)}% of next characters are capitals too "
                "(names in capitals, like *ROMEO:*), while a lowercase letter is followed by "
                "a capital "
                + ("never" if _lower_upper == 0 else f"only {_lower_upper:,} times")
                + ": the empty block in the lower middle."
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    A row of counts becomes a distribution by dividing by the row's total. One problem:
    a pair that never occurred would get probability 0, and a single 0 makes a whole text
    impossible (the product above is then 0). So each count gets **one added** (add-one,
    or Laplace, smoothing):

    $$P(b \mid a) = \frac{N(a\,b) + 1}{N(a) + V},$$

    where $N(a\,b)$ counts *a* followed by *b*, $N(a)$ counts *a* followed by anything, and
    $V$ is the number of characters. Pick a row:
    """)
    return


@app.cell
def _(mo, shown, tokenizer):
    mo.stop(tokenizer is None)
    row_dropdown = mo.ui.dropdown(
        options={shown(c): c for c in tokenizer.vocab},
        value="t",
        label="previous character",
    )
    row_dropdown
    return (row_dropdown,)


@app.cell(hide_code=True)
def _(counts, mo, np, row_dropdown, shown, tokenizer):
    _a = tokenizer.stoi[row_dropdown.value]
    _row = counts[_a]
    _total = int(_row.sum())
    _top = np.argsort(-_row, kind="stable")[:8]
    _lines = ["| next | count N(a b) | share of the row |", "|---|---:|---:|"]
    for _b in _top:
        if _row[_b]:
            _lines.append(
                f"| {shown(tokenizer.vocab[_b])} | {_row[_b]:,} | {_row[_b] / _total:.4f} |"
            )
    _never = int((_row == 0).sum())
    mo.md(
        f"After **{shown(row_dropdown.value)}** (N(a) = {_total:,} times in training), the most "
        "frequent next characters:\n\n"
        + "\n".join(_lines)
        + f"\n\n{_never} of the {tokenizer.vocab_size} characters never followed it; add-one "
        f"gives each of them 1 / ({_total:,} + {tokenizer.vocab_size})."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 1.** With add-one smoothing, what is $P(\text{u} \mid \text{q})$, the
    probability that a *q* is followed by a *u*? Pick *q* above to read the two counts you
    need.
    """)
    return


@app.cell
def _(mo):
    q_number = mo.ui.number(value=None, step=0.001, label="P(u | q) =")
    q_number
    return (q_number,)


@app.cell(hide_code=True)
def _(counts, format_number, mo, q_number, tokenizer):
    mo.stop(tokenizer is None)
    _q, _u, _V = tokenizer.stoi["q"], tokenizer.stoi["u"], tokenizer.vocab_size
    _pair, _total = int(counts[_q, _u]), int(counts[_q].sum())
    _answer = (_pair + 1) / (_total + _V)
    _value = q_number.value
    if _value is None:
        _kind, _text = "neutral", "Type your answer above."
    elif abs(_value - _answer) <= 0.002:
        _kind, _text = (
            "success",
            f"Correct: ({_pair} + 1) / ({_total} + {_V}) = {format_number(_answer, 3)}. Every *q* "
            f"in the training text was followed by *u*, yet the model keeps "
            f"{format_number(1 - _answer, 3)} for the other {_V - 1} characters: add-one is "
            "generous to what it never saw.",
        )
    elif abs(_value - _pair / _total) <= 0.002:
        _kind, _text = (
            "warn",
            f"Not {format_number(_value, 3)}: that is the raw share N(q u) / N(q) = {_pair} / "
            f"{_total}. Hint: add-one adds 1 to the count above and V = {_V} below.",
        )
    else:
        _kind, _text = (
            "warn",
            f"Not {format_number(_value, 3)}. Hint: read N(q u) and N(q) from the table for *q*, "
            f"then compute (N(q u) + 1) / (N(q) + V) with V = {_V} characters (the +V "
            "below balances the +1 given to each of the V possible next characters).",
        )
    mo.callout(mo.md(f"**Exercise 1.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ### Writing with it

    Now write as before, but draw each character from the row of the previous one
    (starting after a newline, with the same seed as above):
    """)
    return


@app.cell
def _(NGramCounts, NGramModel, cache, mo, train_ids, tokenizer):
    mo.stop(train_ids is None)
    ALPHA = 1.0  # add-one smoothing; see section 2

    @cache
    def counts_for(order):
        """The training counts of one order (context length), counted once per session."""
        return NGramCounts.count(train_ids, order, tokenizer.vocab_size)

    def model_of(order):
        """The add-ALPHA model of this order (counts of orders 0 … order)."""
        return NGramModel([counts_for(j) for j in range(order + 1)], ALPHA)

    bigram = model_of(1)
    return ALPHA, bigram, counts_for, model_of


@app.cell
def _():
    DIST_ORDER = 3  # the model of sections 3 and 4: three characters of context
    N_DRAWS, DRAW_LENGTH = 8, 40  # the repeated draws of section 4
    return DIST_ORDER, DRAW_LENGTH, N_DRAWS


@app.cell(hide_code=True)
def _(bigram, encode_chars, mo, np, seed_number, tokenizer):
    _rng = np.random.default_rng(seed_number.value)
    _sample = tokenizer.decode(bigram.sample(_rng, 300, encode_chars("\n", tokenizer.vocab)))
    mo.vstack(
        [
            mo.plain_text(_sample),
            mo.md(
                "Not Shakespeare, but no longer noise: words of the right length, capitals "
                "after newlines, names followed by a colon. All from one table of counts."
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ### Scoring a text

    The same table scores any text: by the chain rule its probability is the product of
    one conditional per character (the first character, which has nothing before it, gets
    its plain frequency). Probabilities of long texts are tiny, so we add **log**-probabilities
    instead, and call $-\log P(x_t \mid x_{t-1})$ the **surprisal** of a character (in
    nats: natural logs): 0 for a certain character, large for an unexpected one. Type a
    sentence:
    """)
    return


@app.cell
def _(mo):
    sentence_text = mo.ui.text(value="To be, or not to be", label="your sentence", full_width=True)
    sentence_text
    return (sentence_text,)


@app.cell(hide_code=True)
def _(alt, bigram, encode_chars, format_number, json, mo, np, pd, sentence_text, shown, tokenizer):
    def _score(sentence):
        _ids = encode_chars(sentence, tokenizer.vocab)
        return _ids, bigram.sequence_log_probs(_ids)

    _sentence = sentence_text.value
    if not _sentence:
        _shown = mo.callout(mo.md("Type a sentence (it is empty)."), kind="warn")
    elif len(_sentence) > 200:
        _shown = mo.callout(
            mo.md(
                f"That is {len(_sentence)} characters; keep it to 200 so the chart stays readable."
            ),
            kind="warn",
        )
    else:
        _lp = None
        try:
            _ids, _lp = _score(_sentence)
        except ValueError:
            _missing = sorted(set(_sentence) - set(tokenizer.vocab))
            _lp = None
            _shown = mo.callout(
                mo.md(
                    f"This model has never seen {', '.join(repr(c) for c in _missing)}: its "
                    f"{tokenizer.vocab_size} characters are the ones in Tiny Shakespeare, so it "
                    "cannot score them (it has no token for them at all; lesson 2's tokens "
                    "cover every text). Remove them to score the rest."
                ),
                kind="warn",
            )
        if _lp is not None:
            _surprisal = -_lp
            _frame = pd.DataFrame(
                {
                    "position": np.arange(len(_ids)),
                    "character": [shown(c) for c in _sentence],
                    "P(character | previous)": np.exp(_lp).round(4),
                    "surprisal (nats)": _surprisal.round(3),
                }
            )
            _chars = json.dumps([shown(c) for c in _sentence])
            _chart = (
                alt.Chart(_frame)
                .mark_bar()
                .encode(
                    x=alt.X(
                        "position:O",
                        title="character of the sentence",
                        axis=alt.Axis(labelExpr=f"{_chars}[datum.value]", labelAngle=0),
                    ),
                    y=alt.Y("surprisal (nats):Q", title="surprisal −log P (nats)"),
                    tooltip=list(_frame.columns),
                )
                .properties(width=min(640, 28 * len(_ids) + 40), height=180)
            )
            _reversed = _sentence[::-1]
            _, _lp_rev = _score(_reversed)
            _gap = float(_lp.sum() - _lp_rev.sum())  # log of P(sentence) / P(reversed)

            def _sci(x):
                """x as 7.62 × 10<sup>−20</sup>."""
                _m, _e = f"{x:.2e}".split("e")
                return f"{_m} × 10<sup>{format_number(int(_e), 0)}</sup>"

            _shown = mo.vstack(
                [
                    _chart,
                    mo.md(
                        f"log P = **{format_number(_lp.sum())}** nats over {len(_ids)} "
                        f"characters, so P = e<sup>{format_number(_lp.sum())}</sup> ≈ "
                        f"{_sci(np.exp(_lp.sum()))}. Mean surprisal "
                        f"{format_number(_surprisal.mean(), 3)} nats per character, so "
                        f"perplexity e<sup>{format_number(_surprisal.mean(), 3)}</sup> = "
                        f"{format_number(np.exp(_surprisal.mean()))} (explained just below). "
                        f"The same characters reversed, *{_reversed}*, score log P = "
                        f"{format_number(_lp_rev.sum())}, so the reversed text is "
                        f"e<sup>{format_number(abs(_gap))}</sup> ≈ {_sci(np.exp(abs(_gap)))} "
                        f"times {'less' if _gap >= 0 else 'more'} likely. The most surprising "
                        f"character here is *{shown(_sentence[int(np.argmax(_surprisal))])}* "
                        f"at position {int(np.argmax(_surprisal))}."
                    ),
                ]
            )
    _shown
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ### One number for a model: perplexity

    Average the surprisal over a long held-out text and you have the model's
    **cross-entropy** (the loss a GPT is trained to lower in lesson 11). Its exponential is the
    **perplexity**:

    $$\text{PPL} = \exp\Big(-\frac{1}{T}\sum_{t=1}^{T} \log P(x_t \mid x_{<t})\Big)
    = \Big(\prod_t P(x_t \mid x_{<t})\Big)^{-1/T}.$$

    It reads as a number of choices: a model that is as unsure as a fair pick among $n$
    characters at every step has perplexity $n$. Measured on the held-out 10%:
    """)
    return


@app.cell(hide_code=True)
def _(bigram, format_number, mo, model_of, np, tokenizer, val_ids):
    uniform_perplexity = float(tokenizer.vocab_size)
    unigram_perplexity = model_of(0).perplexity(val_ids)
    bigram_perplexity = bigram.perplexity(val_ids)
    # cited, not measured here: nanoGPT's README, its character-level Shakespeare GPT
    # (same text, same 90/10 split, contexts of up to 256 characters)
    _nanogpt_loss = 1.4697
    mo.md(
        f"""
| model | what it knows | held-out perplexity |
|:---|:---|---:|
| uniform | nothing: 1/V for each of {tokenizer.vocab_size} characters | {format_number(uniform_perplexity)} |
| unigram (order 0) | how common each character is | {format_number(unigram_perplexity)} |
| **bigram** (order 1) | the previous character | **{format_number(bigram_perplexity)}** |
| nanoGPT, char-level (cited) | the previous 256 characters, learned | {format_number(np.exp(_nanogpt_loss))} |

One character of context takes the model from choosing among about
{format_number(unigram_perplexity, 0)} characters to choosing among about {format_number(bigram_perplexity, 0)}.
The last row is not computed here: Karpathy's nanoGPT
README reports a validation loss of {_nanogpt_loss} for a small GPT trained on this same text
and split, and e<sup>{_nanogpt_loss}</sup> = {format_number(np.exp(_nanogpt_loss))}. That gap is what the
rest of this course builds.
"""
    )
    return bigram_perplexity, unigram_perplexity, uniform_perplexity


@app.cell(hide_code=True)
def _(bigram, encode_chars, format_number, mo, np, tokenizer):
    _log_probs = bigram.sequence_log_probs(encode_chars("the", tokenizer.vocab))
    the_probs = [round(float(p), 4) for p in np.exp(_log_probs)]  # as printed below
    mo.md(
        rf"""
**Exercise 2.** The bigram model gives the three characters of *the* these probabilities:
$P(\text{{t}}) = {format_number(the_probs[0], 4)}$ (first character: its frequency),
$P(\text{{h}} \mid \text{{t}}) = {format_number(the_probs[1], 4)}$,
$P(\text{{e}} \mid \text{{h}}) = {format_number(the_probs[2], 4)}$.
What is the model's perplexity on *the*?
"""
    )
    return (the_probs,)


@app.cell
def _(mo):
    ppl_number = mo.ui.number(value=None, step=0.01, label="perplexity on “the” =")
    ppl_number
    return (ppl_number,)


@app.cell(hide_code=True)
def _(format_number, mo, np, ppl_number, the_probs):
    _p = np.array(the_probs)
    _answer = float(np.prod(_p) ** (-1 / 3))
    _value = ppl_number.value

    def _near(x):
        return _value is not None and abs(_value - x) <= 0.02 * x

    if _value is None:
        _kind, _text = "neutral", "Type your answer above."
    elif _near(_answer):
        _kind, _text = (
            "success",
            f"Correct: (p₁·p₂·p₃)^(−1/3) = {format_number(_answer)}, the same as "
            f"exp(mean surprisal) = exp({format_number(-np.log(_p).mean(), 3)}). On *the* the "
            f"model is as unsure as a fair choice among {format_number(_answer, 1)} characters.",
        )
    elif _near(float(1 / np.prod(_p))):
        _kind, _text = (
            "warn",
            f"Not {format_number(_value)}: that is 1 / (p₁·p₂·p₃), the inverse probability of "
            "the whole word. Hint: perplexity is per character, so take the cube root (the "
            "power −1/T with T = 3).",
        )
    elif _near(float(np.mean(1 / _p))):
        _kind, _text = (
            "warn",
            f"Not {format_number(_value)}: that is the arithmetic mean of 1/p. Hint: average "
            "the surprisals −log p (or take the geometric mean of the p's), then invert.",
        )
    else:
        _kind, _text = (
            "warn",
            f"Not {format_number(_value)}. Hint: average the three surprisals −ln p, then take "
            "exp of that average.",
        )
    mo.callout(mo.md(f"**Exercise 2.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo, tokenizer):
    _V = tokenizer.vocab_size if tokenizer is not None else "V"
    mo.md(
        rf"""
    ## 2 · Why counting is not enough

    One character of context helped a lot. So count longer contexts: a model of **order
    k** predicts each character from the $k$ before it,

    $$P(x_t \mid x_{{t-k}} \dots x_{{t-1}}) = \frac{{N(\text{{context}}\;x_t) + 1}}{{N(\text{{context}}) + V}}.$$

    Its table has a row for each of the $V^k$ possible contexts and $V$ columns: not
    square any more. The rules, stated once (they are `core.course.ngram`'s):

    - **Smoothing:** add-one, as above, at every order.
    - **Unseen context:** a context that never occurred in training has $N = 0$, so every
      character gets $1/V$: the model knows nothing there.
    - **Short context:** the first $k$ characters of a text have fewer than $k$ before them;
      each uses the context it has (the first uses plain frequency).
    - **Unseen characters:** the vocabulary is the {_V} characters of the whole file, so
      every held-out character has a token; text with any other character cannot be scored.
      (Strictly, that is a peek at the held-out text, the data leakage of series 1; here it
      only decides which characters exist, not how often they follow each other.)
    - **Held-out perplexity:** every character of the held-out 10%, scored once.

    Counting is fast in NumPy: each window of $k+1$ characters becomes one integer (its
    characters as digits in base {_V}), and one sort (`np.unique`) counts them all.
    """
    )
    return


@app.cell
def _(mo):
    order_prediction = mo.ui.radio(
        options=["keep falling", "fall, then rise", "stay about the same"],
        value=None,
        label="Predict first: as the context grows from 1 to 7 characters, the held-out "
        "perplexity will …",
    )
    order_prediction
    return (order_prediction,)


@app.cell
def _(mo):
    order_slider = mo.ui.slider(
        1, 7, value=1, step=1, label="characters of context k", show_value=True
    )
    return (order_slider,)


@app.cell(hide_code=True)
def _(mo, order_prediction, order_slider):
    mo.stop(
        order_prediction.value is None,
        mo.md("*The order slider appears here once you have made your prediction.*"),
    )
    order_slider
    return


@app.cell(hide_code=True)
def _(
    ALPHA,
    bigram_perplexity,
    encode_chars,
    format_number,
    mo,
    model_of,
    np,
    order_prediction,
    marked_draw,
    order_slider,
    seed_number,
    time,
    tokenizer,
    val_ids,
):
    mo.stop(order_prediction.value is None)
    _k, _V = order_slider.value, tokenizer.vocab_size
    _start = time.perf_counter()
    order_model = model_of(_k)
    _seconds = time.perf_counter() - _start
    order_perplexity = order_model.perplexity(val_ids)
    _seen = order_model.context_counts(val_ids)[_k:]
    _unseen, _thin = float(np.mean(_seen == 0)), float(np.mean(_seen < ALPHA * _V))
    _distinct = order_model.tables[_k].distinct_contexts

    _prompt = encode_chars("\n", tokenizer.vocab)
    _drawn = order_model.sample(np.random.default_rng(seed_number.value), 240, _prompt)
    _html, _ = marked_draw(order_model, tokenizer, _prompt, _drawn)
    _sample = mo.Html(
        '<div style="font-family:monospace;white-space:pre-wrap;line-height:1.5;'
        'border:1px solid #ccc;border-radius:4px;padding:8px">'
        + _html.replace("↵", "↵<br>")
        + "</div>"
    )
    _change = "lower" if order_perplexity < bigram_perplexity else "higher"
    mo.vstack(
        [
            mo.md(
                f"**k = {_k}** (a {_k + 1}-gram model): held-out perplexity "
                f"**{format_number(order_perplexity)}**, {_change} than the bigram's "
                f"{format_number(bigram_perplexity)}.\n\n"
                f"- The table has {_V}<sup>{_k}</sup> = {_V**_k:,} rows (contexts) × {_V} "
                "columns; "
                f"training filled {_distinct:,} of the rows.\n"
                f"- {100 * _unseen:.1f}% of the held-out characters come after a context "
                f"training never saw: there the prediction is uniform, 1/{_V}.\n"
                f"- {100 * _thin:.1f}% come after a context seen fewer than {_V} times, "
                f"where add-one's {_V} pseudo-counts outweigh the real ones.\n"
                f"- Counted in {_seconds:.2f} s (orders counted before are kept).\n\n"
                f"A sample at k = {_k} (same seed as above); characters drawn after a context "
                "training never saw are red and underlined:"
            ),
            _sample,
        ]
    )
    return order_model, order_perplexity


@app.cell
def _(mo):
    best_order_number = mo.ui.number(value=None, step=1, label="best k =")
    return (best_order_number,)


@app.cell(hide_code=True)
def _(best_order_number, mo, order_prediction):
    # the exercise needs the slider, which waits for the prediction
    mo.stop(order_prediction.value is None)
    mo.vstack(
        [
            mo.md(
                "**Exercise 3.** Move the slider through all seven orders. Which context "
                "length gives the **lowest** held-out perplexity?"
            ),
            best_order_number,
        ]
    )
    return


@app.cell(hide_code=True)
def _(best_order_number, format_number, mo, model_of, order_prediction, val_ids):
    mo.stop(order_prediction.value is None)
    _value = best_order_number.value
    if _value is None:
        _kind, _text = "neutral", "Type your answer above."
    elif _value != int(_value) or not 1 <= _value <= 7:
        _kind, _text = (
            "warn",
            f"Not {_value}: the slider's context lengths are the whole numbers 1 to 7.",
        )
    else:
        # the check measures every order itself (the tables are counted once per session)
        _ppl = {k: model_of(k).perplexity(val_ids) for k in range(1, 8)}
        _best = min(_ppl, key=_ppl.get)
        if int(_value) == _best:
            _kind, _text = (
                "success",
                f"Correct: k = {_best}, perplexity {format_number(_ppl[_best])}. Beyond it "
                f"the counts thin out: k = {_best + 1} gives {format_number(_ppl[_best + 1])}, "
                f"k = 7 gives {format_number(_ppl[7])}, worse than the bigram's "
                f"{format_number(_ppl[1])}.",
            )
        elif int(_value) == 7:
            _kind, _text = (
                "warn",
                f"Not 7: at k = 7 the perplexity is {format_number(_ppl[7])}. More context "
                "would help if the counts were there; move the slider up one step at a "
                "time and watch where the number turns.",
            )
        elif int(_value) in _ppl and int(_value) < _best:
            _kind, _text = (
                "warn",
                f"Not {int(_value)}: k = {int(_value) + 1} is lower still "
                f"({format_number(_ppl[int(_value) + 1])} against "
                f"{format_number(_ppl[int(_value)])}). Keep going up.",
            )
        else:
            _kind, _text = (
                "warn",
                f"Not {int(_value)}: its perplexity is {format_number(_ppl[int(_value)])}, "
                f"more than k = {int(_value) - 1}'s {format_number(_ppl[int(_value) - 1])}. "
                "Hint: step the slider down until the number stops falling.",
            )
    mo.callout(mo.md(f"**Exercise 3.** {_text}"), kind=_kind)
    return


@app.cell
def _(mo):
    curve_button = mo.ui.run_button(label="Measure all seven orders")
    return (curve_button,)


@app.cell(hide_code=True)
def _(best_order_number, curve_button, mo, order_prediction):
    # the whole curve gives exercise 3 away: it waits for an answer
    mo.stop(order_prediction.value is None)
    mo.stop(
        best_order_number.value is None,
        mo.md("*Once you have answered exercise 3, a button here measures all seven orders.*"),
    )
    curve_button
    return


@app.cell(hide_code=True)
def _(
    ALPHA,
    alt,
    best_order_number,
    curve_button,
    format_number,
    mo,
    model_of,
    np,
    order_prediction,
    pd,
    time,
    tokenizer,
    val_ids,
):
    mo.stop(order_prediction.value is None or best_order_number.value is None)
    mo.stop(
        not curve_button.value,
        mo.md(
            "Press **Measure all seven orders** to see the whole curve at once (it counts "
            "the orders you have not visited yet; a few seconds at most)."
        ),
    )
    _rows, _start = [], time.perf_counter()
    with mo.status.progress_bar(total=7, title="Counting and scoring orders 1 … 7") as _bar:
        for _k in range(1, 8):
            _model = model_of(_k)
            _seen = _model.context_counts(val_ids)[_k:]
            _rows.append(
                {
                    "context length k": _k,
                    "held-out perplexity": _model.perplexity(val_ids),
                    "contexts seen in training": _model.tables[_k].distinct_contexts,
                    "held-out share after an unseen context": float(np.mean(_seen == 0)),
                    f"share after a context seen < {tokenizer.vocab_size} times": float(
                        np.mean(_seen < ALPHA * tokenizer.vocab_size)
                    ),
                }
            )
            _bar.update()
    curve = pd.DataFrame(_rows)
    _chart = (
        alt.Chart(curve, title="Counted n-gram models, add-one, Tiny Shakespeare held-out 10%")
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "context length k:O", title="characters of context k", axis=alt.Axis(labelAngle=0)
            ),
            y=alt.Y("held-out perplexity:Q", title="held-out perplexity (lower is better)"),
            tooltip=list(curve.columns),
        )
        .properties(width=520, height=260)
    )
    _lines = [
        f"| k | held-out perplexity | contexts seen in training | held-out characters after "
        f"an unseen context | after a context seen < {tokenizer.vocab_size} times |",
        "|---:|---:|---:|---:|---:|",
    ]
    for _row in _rows:
        _v = list(_row.values())
        _lines.append(
            f"| {_v[0]} | {format_number(_v[1])} | {_v[2]:,} | {100 * _v[3]:.1f}% | "
            f"{100 * _v[4]:.1f}% |"
        )
    _best = int(curve["held-out perplexity"].idxmin())
    _ppl = curve["held-out perplexity"].to_numpy()
    _shape = (
        "fall, then rise"
        if 0 < _best < len(_ppl) - 1
        else ("keep falling" if _best == len(_ppl) - 1 else "rise from k = 1 on")
    )
    _verdict = "as you predicted" if order_prediction.value == _shape else "not what you predicted"
    mo.vstack(
        [
            _chart,
            mo.md("\n".join(_lines)),
            mo.md(
                f"Measured in {time.perf_counter() - _start:.1f} s. Best at k = "
                f"{curve['context length k'][_best]} "
                f"({format_number(curve['held-out perplexity'][_best])}). You predicted "
                f"*{order_prediction.value}*; the measured curve does *{_shape}*, "
                f"{_verdict}."
            ),
        ]
    )
    return (curve,)


@app.cell(hide_code=True)
def _(best_order_number, mo, order_prediction, tokenizer, train_ids, where_shown):
    # the explanation waits until the learner has looked for the turning point
    mo.stop(order_prediction.value is None or best_order_number.value is None or train_ids is None)
    _where = where_shown(mo)
    _how = {
        "editor": "change `ALPHA` in the cell that defines `counts_for` (section 1) to 0.01",
        "app": "open this lesson in the editor (`marimo edit`, or `just edit`), change `ALPHA` "
        "in the cell that defines `counts_for` (section 1) to 0.01",
        "site": "open this page's edit view (the *edit* link of the site), change `ALPHA` in "
        "the cell that defines `counts_for` (section 1) to 0.01 and run it",
    }[_where]
    _V = tokenizer.vocab_size
    mo.md(
        rf"""
    ### Why it turns

    Each extra character multiplies the number of possible contexts by {_V}, while the
    training text stays at {len(train_ids):,} characters. Long contexts are either **never seen**
    (the model falls back to a uniform guess) or seen **a handful of times** (then add-one's
    {_V} pseudo-counts drown the few real ones). The sample shows the first failure: once it
    wanders into a context it never counted, it draws uniformly, which leads to more
    contexts it never counted, and it cannot find its way back.

    Smoothing is not the cure. Add-one is the case $\alpha = 1$ of add-$\alpha$,
    $(N(\text{{context}}\;x_t) + \alpha) / (N(\text{{context}}) + \alpha V)$. To see it, {_how},
    then measure the curve again: it moves and its best k can shift, but it still turns,
    since unseen contexts stay uniform whatever $\alpha$ is. (Classical count models *back
    off* to shorter contexts when a long one is rare; that helps, and is still counting.)

    The real problem is that a count table treats every context as a stranger: *the king*
    and *the queen*, *thee* and *thou* share nothing. A model that **learns** a
    representation of its context can share strength between similar contexts, and then
    more context keeps helping: nanoGPT's 256 characters reach the perplexity in the table
    of section 1. Lesson 3 gives tokens learned vectors; lesson 4 asks how a token can use a
    long context at all, which is the problem attention solves.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 3 · One task for everything

    Next-token prediction sounds narrow. It is not: almost any task can be written as a
    text whose continuation is the answer. A model trained to continue text well enough,
    on text that contains such continuations, does all of them with one objective. Each
    example below is **one token stream**: the grey part is given, the green part is what
    the model must predict, one token at a time.
    """)
    return


@app.cell(hide_code=True)
def _(mo, tokenizer):
    TASKS = {
        "translation": ("English: good night\nFrench:", " bonne nuit"),
        "question answering": ("Q: Who wrote Hamlet?\nA:", " William Shakespeare"),
        "classification": ("Review: I loved every minute.\nSentiment:", " positive"),
        "code": ("def square(x):\n    return", " x * x"),
    }

    def _stream(prompt, answer):
        _known = set(tokenizer.vocab) if tokenizer is not None else set()
        _cells = []
        for _part, _colour in ((prompt, "#e8e8e8"), (answer, "#c8ecc8")):
            for _char in _part:
                _label = {"\n": "↵", " ": "␣", "<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(
                    _char, _char
                )
                _border = "1px solid #bbb" if _char in _known else "2px dashed #c0392b"
                _cells.append(
                    f'<span style="display:inline-block;min-width:0.9em;text-align:center;'
                    f"margin:1px;padding:1px 2px;font-family:monospace;background:{_colour};"
                    f'color:#222;border:{_border};border-radius:3px">{_label}</span>'
                )
        return "".join(_cells)

    _rows = "".join(
        f'<div style="margin:6px 0"><b>{_task}</b><br>{_stream(*_pair)}</div>'
        for _task, _pair in TASKS.items()
    )
    _missing = (
        sorted({c for _pair in TASKS.values() for c in "".join(_pair)} - set(tokenizer.vocab))
        if tokenizer is not None
        else []
    )
    mo.vstack(
        [
            mo.Html(_rows),
            mo.md(
                "Characters with a red dashed border are not among Tiny Shakespeare's "
                f"{tokenizer.vocab_size if tokenizer is not None else 65} characters "
                f"({', '.join(repr(c) for c in _missing)}): our model could not even read "
                "those tasks. Lesson 2's tokens cover every text."
                if _missing
                else ""
            ),
        ]
    )
    return (TASKS,)


@app.cell(hide_code=True)
def _(DIST_ORDER, TASKS, encode_chars, mo, model_of, np, tokenizer):
    _prompt = TASKS["question answering"][0]
    _model = model_of(DIST_ORDER)
    _ids = encode_chars(_prompt, tokenizer.vocab)
    _greedy = tokenizer.decode(_model.sample(np.random.default_rng(0), 30, _ids, temperature=0))
    mo.md(
        f"The format is universal; the knowledge is not. Our order-{DIST_ORDER} Shakespeare "
        "model, asked "
        f"the question above, continues (always taking its most likely character): "
        f"`{_greedy.replace(chr(10), '↵')}`. It predicts plays because it counted plays. "
        "GPT-2, which you will load in lesson 13, was trained on WebText, about 8 million "
        "web pages (Radford et al., 2019), which contain questions and their answers, "
        "translations and code; its paper reports it translating and summarising, crudely, "
        "with no training for either, from prompts like the ones above (*TL;DR:* after an article "
        "for a summary)."
    )
    return


@app.cell(hide_code=True)
def _(DIST_ORDER, mo):
    mo.md(
        rf"""
    ## 4 · Temperature, top-k, top-p

    Writing means drawing from the next-token distribution again and again, and how you
    draw changes what you get. Here is one distribution: the order-{DIST_ORDER} model's
    guess for the character after the context below (it reads only the last {DIST_ORDER}
    characters). Its log-probabilities play the part of a network's **logits**.
    """
    )
    return


@app.cell
def _(mo):
    context_text = mo.ui.text(value="my lord, th", label="context", full_width=True)
    context_text
    return (context_text,)


@app.cell
def _(NextTokenDistribution, mo, np, tokenizer):
    mo.stop(tokenizer is None)
    dist_widget = mo.ui.anywidget(
        NextTokenDistribution(
            tokens=list(tokenizer.vocab),
            logits=np.zeros(tokenizer.vocab_size).tolist(),
            max_bars=12,
        )
    )
    dist_widget
    return (dist_widget,)


@app.cell(hide_code=True)
def _(context_problem, mo):
    mo.callout(mo.md(context_problem), kind="warn") if context_problem else None
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Temperature** $T$ divides the logits before the softmax, the same softmax that turned
    a classifier's scores into class probabilities in series 2:
    $p_i \propto \exp(z_i / T)$. $T = 1$ leaves the distribution as the model made it.

    **Exercise 4.** Predict before you touch the temperature slider (it appears once you
    have answered both):
    """)
    return


@app.cell
def _(mo):
    _options = [
        "all mass on the most likely character",
        "uniform over all characters",
        "unchanged",
    ]
    cold_radio = mo.ui.radio(
        options=_options, value=None, label="As T → 0, the distribution becomes …"
    )
    hot_radio = mo.ui.radio(options=_options, value=None, label="As T → ∞, it becomes …")
    mo.hstack([cold_radio, hot_radio], justify="start", gap=3)
    return cold_radio, hot_radio


@app.cell(hide_code=True)
def _(cold_radio, hot_radio, mo):
    _right = {
        "cold": "all mass on the most likely character",
        "hot": "uniform over all characters",
    }
    # the rest of section 4 (slider, by-hand code, draws) shows the answer: it waits for this
    temperature_predicted = cold_radio.value is not None and hot_radio.value is not None
    if not temperature_predicted:
        _kind, _text = "neutral", "Answer both predictions above."
    elif cold_radio.value == _right["cold"] and hot_radio.value == _right["hot"]:
        _kind, _text = (
            "success",
            "Correct. Dividing by a small T stretches the gaps between logits, so the largest "
            "wins everything (T = 0 is defined as that limit: greedy decoding). Dividing by a "
            "large T shrinks every gap to 0, and equal logits mean equal probabilities. Now "
            "check it with the slider.",
        )
    else:
        _wrong = []
        if cold_radio.value != _right["cold"]:
            _wrong.append(
                "Hint for T → 0: z/T makes every gap between logits huge, so what does "
                "softmax do with one logit far above the rest?"
            )
        if hot_radio.value != _right["hot"]:
            _wrong.append(
                "Hint for T → ∞: z/T makes every gap tiny, so what does softmax give when "
                "all logits are (nearly) equal?"
            )
        _kind, _text = "warn", "Not quite. " + " ".join(_wrong)
    mo.callout(mo.md(f"**Exercise 4.** {_text}"), kind=_kind)
    return (temperature_predicted,)


@app.cell
def _(mo, tokenizer):
    mo.stop(tokenizer is None)
    temperature_slider = mo.ui.slider(
        steps=[0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 100.0],
        value=1.0,
        label="temperature T",
        show_value=True,
    )
    top_k_slider = mo.ui.slider(
        0, tokenizer.vocab_size, value=0, step=1, label="top-k (0 = off)", show_value=True
    )
    top_p_slider = mo.ui.slider(
        0.05, 1.0, value=1.0, step=0.05, label="top-p (1 = off)", show_value=True
    )
    return temperature_slider, top_k_slider, top_p_slider


@app.cell(hide_code=True)
def _(mo, temperature_predicted, temperature_slider):
    mo.stop(
        not temperature_predicted,
        mo.md(
            "*The temperature slider and the rest of this section appear here once you "
            "have answered both predictions.*"
        ),
    )
    temperature_slider
    return


@app.cell(hide_code=True)
def _(DIST_ORDER, context_text, encode_chars, mo, model_of, np, tokenizer):
    mo.stop(tokenizer is None)
    dist_model = model_of(DIST_ORDER)
    try:
        context_ids = encode_chars(context_text.value, tokenizer.vocab)
        context_problem = None
    except ValueError:
        context_ids = encode_chars("my lord, th", tokenizer.vocab)
        context_problem = (
            "The context has characters outside Tiny Shakespeare's "
            f"{tokenizer.vocab_size}: "
            + ", ".join(repr(c) for c in sorted(set(context_text.value) - set(tokenizer.vocab)))
            + ". Showing the default context *my lord, th* instead."
        )
    if context_problem is None and len(context_ids) == 0:
        context_problem = (
            "The context is empty, so this is the distribution of a first character: "
            "plain character frequency."
        )
    logits = np.log(dist_model.next_probs(context_ids))  # (V,) log-probabilities
    return context_ids, context_problem, dist_model, logits


@app.cell
def _(temperature_slider, top_k_slider, top_p_slider):
    # the slider settings as the sampling functions take them (None: filter off)
    settings = dict(
        temperature=float(temperature_slider.value),
        top_k=int(top_k_slider.value) or None,
        top_p=float(top_p_slider.value) if top_p_slider.value < 1 else None,
    )
    return (settings,)


@app.cell(hide_code=True)
def _(dist_widget, filter_logits, logits, settings, softmax):
    # the widget shows the distribution at the current settings; final_probs is what is drawn from
    dist_widget.update(logits=logits.tolist(), **settings)
    final_probs = softmax(filter_logits(logits, **settings))
    return (final_probs,)


@app.cell(hide_code=True)
def _(
    entropy,
    format_number,
    logits,
    mo,
    np,
    settings,
    shown,
    softmax,
    temperature_predicted,
    tokenizer,
):
    mo.stop(not temperature_predicted)
    _H = [float(entropy(softmax(logits, t))) for t in (1.0, settings["temperature"])]
    _V = tokenizer.vocab_size
    _lines = [
        r"How spread out is a distribution? Its **entropy** $H(p) = -\sum_i p_i \ln p_i$ is "
        "the mean surprisal of a token drawn from $p$ itself (nats): 0 when one token holds "
        f"all the mass, ln {_V} = {format_number(np.log(_V))} for a uniform choice among "
        f"{_V}. Like perplexity, e<sup>H</sup> reads as a number of equally likely choices.",
        f"Here: the model's distribution **{format_number(_H[0])}** nats (≈ "
        f"{format_number(np.exp(_H[0]), 1)} choices); after temperature "
        f"T = {settings['temperature']:g}, **{format_number(_H[1])}** nats (≈ "
        f"{format_number(np.exp(_H[1]), 1)} choices).",
    ]
    if settings["temperature"] == 0:
        _lines.append(
            f"**T = 0** is greedy: only *{shown(tokenizer.vocab[int(np.argmax(logits))])}*, "
            "the most likely character, is left (probability 1, entropy 0), and every draw is "
            "the same. Dividing by 0 is undefined, so T = 0 is defined as the limit T → 0."
        )
    mo.md("\n\n".join(_lines))
    return


@app.cell(hide_code=True)
def _(context_ids, dist_model, format_number, mo, temperature_predicted, shown, tokenizer):
    mo.stop(not temperature_predicted)
    _counts, _total = dist_model.next_counts(context_ids)
    _never = _counts == 0
    _tail = float(dist_model.next_probs(context_ids)[_never].sum())
    _context = "".join(
        shown(c) for c in tokenizer.decode(context_ids.tolist())[-dist_model.order :]
    )
    mo.md(
        rf"""
    ### Cutting the tail: top-k and top-p

    **Top-k** keeps the $k$ most likely tokens; **top-p** (nucleus sampling) keeps the
    smallest set of most likely tokens whose probability reaches $p$. Both then renormalise
    what is kept to sum to 1. Both cut the tail of the distribution, where a model is least
    reliable (Holtzman et al., 2019, who proposed top-p, found that sampling from the tail
    is what derails long texts). Here the tail is add-one's: the {int(_never.sum())}
    characters that never followed *{_context}* in training (seen {_total:,} times) share
    {format_number(100 * _tail, 1)}% of the probability. That looks harmless, but a draw
    that reaches a rarer context meets a fatter tail (section 2), and one step into it can
    leave the counted text for good. Set k or p and watch the grey bars in the chart above:
    """
    )
    return


@app.cell(hide_code=True)
def _(mo, temperature_predicted, top_k_slider, top_p_slider):
    mo.stop(not temperature_predicted)
    mo.hstack([top_k_slider, top_p_slider], justify="start", gap=2)
    return


@app.cell(hide_code=True)
def _(
    entropy,
    final_probs,
    format_number,
    logits,
    mo,
    temperature_predicted,
    np,
    settings,
    softmax,
    tokenizer,
):
    mo.stop(not temperature_predicted)
    _scaled = softmax(logits, settings["temperature"])
    # removed by the truncation: possible after temperature, gone after top-k / top-p
    _removed = (_scaled > 0) & ~(final_probs > 0)
    _H = float(entropy(final_probs))
    if settings["top_k"] or settings["top_p"]:
        _text = (
            f"The truncation removed **{int(_removed.sum())}** of {tokenizer.vocab_size} "
            f"characters, which held **{format_number(100 * float(_scaled[_removed].sum()), 1)}%**"
            " of the probability after temperature; the kept ones are renormalised to sum to "
            f"1. Entropy after truncation: **{format_number(_H)}** nats (≈ "
            f"{format_number(np.exp(_H), 1)} choices)."
        )
        if settings["temperature"] == 0:
            _text += " At T = 0 only one character was left to keep, so there is nothing to cut."
    else:
        _text = "Top-k and top-p are off: every character can still be drawn."
    mo.md(_text)
    return


@app.cell(hide_code=True)
def _(by_hand, mo, temperature_predicted):
    mo.stop(not temperature_predicted)
    import inspect as _inspect
    import textwrap as _textwrap

    try:  # the cell below, shown here once the predictions are in (its code gives them away)
        _source = _textwrap.dedent(_inspect.getsource(by_hand))
    except (OSError, TypeError):
        _source = "# the source of by_hand is in the next cell of this notebook"
    mo.vstack(
        [
            mo.md("Written out by hand: temperature, then top-k, then top-p on what top-k left."),
            mo.ui.code_editor(value=_source, language="python", disabled=True, min_height=1),
        ]
    )
    return


@app.cell(hide_code=True)
def _(np):
    def by_hand(logits, temperature, top_k=None, top_p=None):
        """The sampling distribution after temperature, top-k and top-p, step by step."""
        z = np.asarray(logits, dtype=float)
        if temperature == 0:  # the limit: everything on the largest logit
            p = (np.arange(len(z)) == np.argmax(z)).astype(float)
        else:
            p = np.exp((z - z.max()) / temperature)
            p = p / p.sum()
        ranked = np.argsort(-p, kind="stable")  # most likely first
        keep = np.zeros(len(p), dtype=bool)
        keep[ranked[: top_k or len(p)]] = True
        if top_p is not None:
            q = np.where(keep, p, 0.0) / p[keep].sum()  # renormalised after top-k
            mass_before = np.cumsum(q[ranked]) - q[ranked]
            keep[ranked[mass_before >= top_p]] = False
        p = np.where(keep, p, 0.0)
        return p / p.sum()

    return (by_hand,)


@app.cell(hide_code=True)
def _(
    by_hand, filter_logits, format_number, logits, mo, temperature_predicted, np, settings, softmax
):
    mo.stop(not temperature_predicted)
    _cases = [settings, dict(temperature=0.7, top_k=5), dict(temperature=1.5, top_p=0.8)]
    _gap = max(
        float(np.abs(by_hand(logits, **c) - softmax(filter_logits(logits, **c))).max())
        for c in _cases
    )
    mo.callout(
        mo.md(
            f"`by_hand` against `core.mirrors.sampling.filter_logits` (the NumPy twin of "
            f"`core.model.generate`'s filters) on this distribution, at your settings and two "
            f"others: largest difference {_gap:.1e}. "
            + (
                "They agree, so from here on the lesson samples with core's."
                if _gap < 1e-9
                else "They disagree: the by-hand version has a bug."
            )
        ),
        kind="success" if _gap < 1e-9 else "danger",
    )
    return


@app.cell(hide_code=True)
def _(DRAW_LENGTH, N_DRAWS, mo, temperature_predicted):
    mo.stop(not temperature_predicted)
    mo.md(
        f"""
    ### The variety a setting gives

    {N_DRAWS} continuations of the context, {DRAW_LENGTH} characters each, drawn one after
    another from one random generator seeded with the seed of section 1, at the settings
    above:
    """
    )
    return


@app.cell(hide_code=True)
def _(
    DRAW_LENGTH,
    N_DRAWS,
    context_ids,
    dist_model,
    marked_draw,
    mo,
    np,
    seed_number,
    settings,
    temperature_predicted,
    tokenizer,
):
    mo.stop(not temperature_predicted)
    _rng = np.random.default_rng(seed_number.value)
    _draws = [dist_model.sample(_rng, DRAW_LENGTH, context_ids, **settings) for _ in range(N_DRAWS)]
    _marked = [marked_draw(dist_model, tokenizer, context_ids, d) for d in _draws]
    _rows = "".join(
        f'<tr><td style="padding:2px 8px;text-align:right">{i + 1}</td>'
        f'<td style="padding:2px 8px;font-family:monospace;white-space:pre">{html}</td></tr>'
        for i, (html, _) in enumerate(_marked)
    )
    distinct_draws = len({tuple(d) for d in _draws})
    _blind = sum(n for _, n in _marked)
    # the same seed again, from a fresh generator: the same lines, one by one
    _again = np.random.default_rng(seed_number.value)
    draws_repeat = all(
        np.array_equal(d, dist_model.sample(_again, DRAW_LENGTH, context_ids, **settings))
        for d in _draws
    )
    mo.vstack(
        [
            mo.Html(f"<table>{_rows}</table>"),
            mo.md(
                f"**{distinct_draws} distinct** of {N_DRAWS}; {_blind} of the "
                f"{N_DRAWS * DRAW_LENGTH} characters were drawn after a context training never "
                "saw (red). Drawn again from a fresh generator with the same seed "
                f"({seed_number.value}), the {N_DRAWS} lines come out "
                + ("identical" if draws_repeat else "different (a bug)")
                + ": the variety comes from drawing again and again from one generator, "
                "and the seed makes the whole set repeatable (change it in section 1 for "
                "another set).\n\n"
                "Try T = 0 (one greedy line, over and over), T = 0.5, top-k 3, and T = 2: "
                "lower temperature and tighter truncation keep the draws on the counted text "
                "and make them alike; higher temperature buys variety with nonsense."
            ),
        ]
    )
    return distinct_draws, draws_repeat


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Recap

    You can now:

    - write the probability of any text as a product of next-token probabilities (the
      chain rule), and generate by drawing one token at a time;
    - count a bigram model with add-one smoothing and compute, by hand, one of its
      probabilities and its perplexity ($\exp$ of the mean surprisal) on a text;
    - measure what longer counted contexts do to held-out perplexity, explain the curve
      from the counts, and say why models that learn to share strength between contexts
      are the way out;
    - write translation, question answering, classification and code as continuations of
      one token stream;
    - predict what temperature does at its two limits, read a distribution's
      entropy, say what top-k and top-p cut from its tail, and make a set of draws
      repeatable with a seed.

    Our tokens were characters. Lesson 2 asks what the tokens should be.
    """)
    return


@app.cell(hide_code=True)
def _(mo, next_lesson_markdown):
    mo.md(next_lesson_markdown(1, mo))
    return


if __name__ == "__main__":
    app.run()

# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25.2",
#     "anywidget>=0.11",
#     "traitlets>=5.9",
#     "numpy>=1.26",
# ]
# ///
"""Lesson 6 (module 4.2): values and the attention output.

V as what a token hands over when attended to, kept apart from what makes it relevant
(Q, K); the whole single-head operation; the residual stream; and attention implemented by
the learner, checked against core.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="6 · Values and the Attention Output")


@app.cell(hide_code=True)
def _():
    import marimo as mo
    import numpy as np

    from core.course.attention_lessons import (
        FEATURES,
        SENTENCES,
        check_attention_function,
        format_number,
        markdown_matrix,
        slot_labels,
        toy_sentence,
    )
    from core.course.catalog import next_lesson_markdown
    from core.mirrors.attention import attention_stages
    from widgets import AttentionTrace

    def matrix_block(title, matrix, rows, columns, **options):
        """A bold title over a labelled table (options go to `markdown_matrix`)."""
        return mo.vstack(
            [mo.md(title), mo.md(markdown_matrix(matrix, rows, columns, **options))], gap=0
        )

    return (
        AttentionTrace,
        FEATURES,
        SENTENCES,
        attention_stages,
        check_attention_function,
        format_number,
        markdown_matrix,
        matrix_block,
        mo,
        next_lesson_markdown,
        np,
        slot_labels,
        toy_sentence,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Values and the Attention Output

    *Module 4.2 · Lesson 6 of 18*

    In lesson 5 you taught *bark* **where to look**: at its owner. This lesson decides
    **what it takes away** from the tokens it looks at, assembles the whole attention
    head, and ends with you writing it yourself.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 1 · Matching is not contributing

    Until now each token received a weighted mix of the other tokens' *embeddings*:
    output $= \text{weights} \cdot X$. But why a token is relevant and what it should hand
    over are different questions. Take the queries and keys that solve lesson 5's
    exercise:
    """)
    return


@app.cell
def _():
    # lesson 5's solution: bark's query asks for an owner (slot 0) ...
    W_Q_SOLVED = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
    # ... and dog's and tree's keys both answer "I am an owner" (slot 0)
    W_K_SOLVED = [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    return W_K_SOLVED, W_Q_SOLVED


@app.cell(hide_code=True)
def _(FEATURES, SENTENCES, W_K_SOLVED, matrix_block, mo, np, slot_labels, toy_sentence):
    _tokens, _X = toy_sentence(SENTENCES[0])
    _, _X_tree = toy_sentence(SENTENCES[1])
    _K = np.vstack([_X, _X_tree[1:2]]) @ np.array(W_K_SOLVED)
    _names = [*_tokens, "tree"]
    mo.hstack(
        [
            matrix_block(
                "**W_K** (lesson 5's answer)",
                W_K_SOLVED,
                FEATURES,
                slot_labels("k"),
                corner="feature",
                decimals=1,
            ),
            matrix_block("**keys** k = x W_K", _K, _names, slot_labels("k"), corner="token"),
            mo.md(
                "*dog* and *tree* get the **same key**, (1, 0, 0): "
                "it says only *I am an owner*. That is just what matching needs (bark "
                "should find either), and just what bark cannot use as information: "
                "it needs to know **which** owner it has."
            ),
        ],
        justify="start",
        gap=2,
        widths=[1, 1, 2],
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 2 · A third projection: the value

    So each token gets a third vector, its **value** $v_j = x_j W_V$: what token *j*
    hands over when someone attends to it. The output of token *i* mixes values, not
    embeddings:

    $$\text{output}_i = \sum_j w_{ij}\, v_j, \qquad \text{output} = \text{weights}\cdot V.$$

    $W_Q$ and $W_K$ below start at lesson 5's answer; $W_V$ is yours. Rows are the
    embedding's features, columns the slots of each vector.
    """)
    return


@app.cell
def _(FEATURES, SENTENCES, W_K_SOLVED, W_Q_SOLVED, mo, np, slot_labels):
    def _projection(label, slot, value):
        return mo.ui.matrix(
            value,
            min_value=-3,
            max_value=3,
            step=0.1,
            precision=1,
            row_labels=list(FEATURES),
            column_labels=slot_labels(slot),
            label=label,
        )

    wq_matrix = _projection("W_Q: what to look for", "q", W_Q_SOLVED)
    wk_matrix = _projection("W_K: what to be found by", "k", W_K_SOLVED)
    wv_matrix = _projection("W_V: what to hand over", "v", np.eye(3).tolist())
    sentence_radio = mo.ui.radio(options=list(SENTENCES), value=SENTENCES[0], label="sentence")
    mo.hstack([wq_matrix, wk_matrix, wv_matrix, sentence_radio], justify="start", gap=2)
    return sentence_radio, wk_matrix, wq_matrix, wv_matrix


@app.cell
def _(attention_stages, np, toy_sentence, wk_matrix, wq_matrix, wv_matrix):
    W_Q = np.array(wq_matrix.value, dtype=float)  # (C, d) = (3, 3)
    W_K = np.array(wk_matrix.value, dtype=float)
    W_V = np.array(wv_matrix.value, dtype=float)  # (C, d_v) = (3, 3)

    def head(text, values=None):
        """(tokens, stages) of one causal attention head on a toy sentence.

        values: a matrix used as W_V instead of the edited one (to compare choices).
        """
        _tokens, _X = toy_sentence(text)
        _W_V = W_V if values is None else values
        return _tokens, attention_stages(_X, W_Q, W_K, _W_V)

    return W_K, W_Q, W_V, head


@app.cell(hide_code=True)
def _(FEATURES, SENTENCES, W_K, head, markdown_matrix, mo, np, slot_labels):
    def _bark_output(text, values):
        _tokens, _s = head(text, values)
        return _s["output"][_tokens.index("bark")]

    _choices = {
        "V = X (no projection)": np.eye(3),
        "V = K (reuse W_K)": W_K,
        "V = X W_V (yours)": None,
    }
    _rows, _labels = [], []
    for _name, _values in _choices.items():
        for _text in SENTENCES:
            _rows.append(_bark_output(_text, _values))
            _labels.append(f"{_name}, “{_text}”")
    mo.md(
        "**bark's output** in each sentence, for three choices of values "
        "(slots v₀ v₁ v₂; with W_V = I they are the features "
        f"{', '.join(FEATURES)}):\n\n"
        + markdown_matrix(_rows, _labels, slot_labels("v"), corner="values")
        + "\n\nReusing the key as the value gives bark the **same** output in both "
        "sentences: it learns *that* it has an owner, not *which*. The raw embedding works "
        "here, but hands over everything, bark's own *owned* included, which bark already "
        "knows. With hundreds of features per token, a head should pass on only what its "
        "question needs: that choice is $W_V$."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 1.** Set $W_V$ so that bark's output says **which owner it has and nothing
    else**: more $v_0$ than $v_1$ after a dog, more $v_1$ than $v_0$ after a tree, and
    $v_2 = 0$ (bark already knows it is *owned*; hearing it again from itself and from
    *'s* is noise).
    """)
    return


@app.cell(hide_code=True)
def _(SENTENCES, format_number, head, mo):
    def _bark(text):
        _tokens, _s = head(text)
        return _s["output"][_tokens.index("bark")]

    _dog, _tree = _bark(SENTENCES[0]), _bark(SENTENCES[1])

    def _vec(v):
        return "(" + ", ".join(format_number(x) for x in v) + ")"

    _problems = []
    if not _dog[0] > _dog[1]:
        _problems.append("after *dog*, v₀ should exceed v₁")
    if not _tree[1] > _tree[0]:
        _problems.append("after *tree*, v₁ should exceed v₀")
    if max(abs(_dog[2]), abs(_tree[2])) > 0.05:
        _problems.append("v₂ should be 0 in both sentences")
    _now = f"bark's output: {_vec(_dog)} after dog, {_vec(_tree)} after tree."
    if not _problems:
        _kind, _text = (
            "success",
            f"Correct. {_now} The key made bark *find* its owner; the value made the owner "
            "*tell* bark what it is.",
        )
    else:
        _kind, _text = (
            "warn",
            f"{_now} Not yet: {'; '.join(_problems)}. Hint: row *r* of W_V says where "
            "feature *r* of an attended token goes. Send *animal* to v₀, *plant* to v₁, "
            "and give the *owned* row nothing.",
        )
    mo.callout(mo.md(f"**Exercise 1.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 3 · The whole head

    $$\text{output} = \mathrm{softmax}\!\left(\mathrm{mask}\!\left(\frac{Q K^\top}{\sqrt{d}}\right)\right) V,
    \qquad Q = XW_Q,\; K = XW_K,\; V = XW_V.$$

    Three projections of the same embeddings, one score per pair, one softmax per row,
    one weighted sum per token. Every number, for the sentence and matrices you chose
    above (click a row to follow it; hover a number to see how it was computed):
    """)
    return


@app.cell
def _(AttentionTrace, FEATURES, SENTENCES, attention_stages, mo, slot_labels, toy_sentence):
    _tokens, _X = toy_sentence(SENTENCES[0])
    trace = mo.ui.anywidget(
        AttentionTrace(
            tokens=_tokens,
            stages=attention_stages(_X),
            selected_query=3,
            feature_labels=list(FEATURES),
            query_labels=slot_labels("q"),
            key_labels=slot_labels("k"),
            value_labels=slot_labels("v"),
        )
    )
    trace
    return (trace,)


@app.cell
def _(W_K, W_Q, W_V, head, sentence_radio, trace):
    tokens, stages = head(sentence_radio.value)
    trace.update(tokens=tokens, stages={**stages, "W_Q": W_Q, "W_K": W_K, "W_V": W_V})
    return stages, tokens


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 2.** From the trace's **weights** and **V** for *the dog 's bark*, compute
    by hand slot $v_0$ of bark's output: $\sum_j w_{\text{bark},j}\, v_{j,0}$, four
    products added.
    """)
    return


@app.cell
def _(mo):
    output_number = mo.ui.number(value=None, step=0.01, label="output[bark, v₀] =")
    output_number
    return (output_number,)


@app.cell(hide_code=True)
def _(SENTENCES, format_number, head, mo, np, output_number):
    _tokens, _s = head(SENTENCES[0])
    _w, _v = _s["weights"][3], _s["V"][:, 0]
    _answer = float(_w @ _v)
    _terms = " + ".join(f"{format_number(a)}·{format_number(b)}" for a, b in zip(_w, _v))
    if output_number.value is None:
        _kind, _text = "neutral", "Type your answer above."
    elif np.isclose(output_number.value, _answer, atol=0.011):
        _kind, _text = "success", f"Correct: {_terms} = {format_number(_answer)}."
    else:
        _kind, _text = (
            "warn",
            f"Not {format_number(output_number.value)}. Hint: take bark's row of the weights "
            "(four numbers, one per token) and column v₀ of V (one number per token); "
            "multiply them pairwise and add.",
        )
    mo.callout(mo.md(f"**Exercise 2.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 4 · The residual stream

    The output does not replace a token's vector: it is **added** to it,
    $x_i \leftarrow x_i + \text{output}_i$, like the skip connection of a ResNet. Each
    layer of a transformer reads this running sum, the **residual stream**, and writes its
    contribution back into it; nothing is overwritten, so *bark* keeps *owned* and gains
    its owner. (Adding needs the output to be as wide as $x$; in GPT an output projection
    ensures it, lesson 7.)
    """)
    return


@app.cell(hide_code=True)
def _(FEATURES, SENTENCES, format_number, head, matrix_block, mo, toy_sentence):
    _blocks, _barks = [], []
    for _text in SENTENCES:
        _tokens, _s = head(_text)
        _X = toy_sentence(_text)[1]
        _after = _X + _s["output"]
        _barks.append(_after[3])
        _blocks.append(
            matrix_block(f"**x + output** in “{_text}”", _after, _tokens, FEATURES, corner="token")
        )
    _before = toy_sentence(SENTENCES[0])[1][3]
    _same_before = "(" + ", ".join(format_number(v) for v in _before) + ")"
    mo.vstack(
        [
            mo.hstack(_blocks, justify="start", gap=2),
            mo.md(
                f"Read with W_V's slots as the features (as in exercise 1). In lesson 4, bark "
                f"was {_same_before} in both sentences. After one attention head it is "
                f"({', '.join(format_number(v) for v in _barks[0])}) after a dog and "
                f"({', '.join(format_number(v) for v in _barks[1])}) after a tree: "
                "the context is in the vector now."
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 5 · Implement it yourself

    **Exercise 3.** Open this lesson in the editor (`marimo edit`, or `just edit`) and
    complete `my_attention` in the cell below: causal single-head attention in NumPy,
    from $X$ and the three matrices. The check compares it with `core.mirrors.attention` on
    random inputs of two shapes and tells you what is missing.
    """)
    return


@app.cell
def _(np):
    def my_attention(X, W_Q, W_K, W_V):
        """softmax(mask(Q Kᵀ / √d)) V for X (T, C), W_Q and W_K (C, d), W_V (C, d_v).

        Returns the (T, d_v) output. Row i may only attend to rows j <= i.
        """
        Q = X @ W_Q  # (T, d)
        K = X @ W_K  # (T, d)
        V = X @ W_V  # (T, d_v)
        scores = Q @ K.T  # (T, T)
        # TODO 1: divide the scores by √d, where d = Q.shape[1]
        # TODO 2: set scores[i, j] = -np.inf wherever j > i (np.triu(..., k=1) finds them)
        # TODO 3: softmax each row: exp(scores - row max), divided by the row's sum
        weights = scores
        return weights @ V

    return (my_attention,)


@app.cell(hide_code=True)
def _(check_attention_function, mo, my_attention):
    _result = check_attention_function(my_attention)
    mo.callout(
        mo.md(
            f"**Exercise 3.** {'Correct. ' if _result.passed else ''}{_result.message}"
            + (
                " From here on the course uses `core.mirrors.attention` in the browser and "
                "`core.model.attention` in PyTorch, which a test holds equal to it."
                if _result.passed
                else ""
            )
        ),
        kind="success" if _result.passed else "warn",
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Recap

    - Queries and keys decide **where** a token looks; values decide **what** it receives.
      A key may blur what a value must keep (dog and tree share a key, not a value).
    - One head: $\mathrm{softmax}(\mathrm{mask}(QK^\top/\sqrt{d}))\,V$ with
      $Q, K, V = XW_Q, XW_K, XW_V$.
    - The output is added to the token's vector: the residual stream carries what the
      token was plus what it gathered.
    - It fits in a dozen lines of NumPy; the check holds yours to `core`.

    One head answers one question (here: *who owns me?*). A token has many. Lesson 7 runs
    several heads side by side.
    """)
    return


@app.cell(hide_code=True)
def _(mo, next_lesson_markdown):
    mo.md(next_lesson_markdown(6, mo))
    return


if __name__ == "__main__":
    app.run()

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
(Q, K); one token read three ways (q, k, v); the echo a token gets back when V = X, measured;
values narrower than the embedding (d_v < C, d < C); the whole single-head operation; the
residual stream; and attention implemented by the learner in NumPy, checked against core.
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
        trial_shapes_text,
    )
    from core.course.catalog import next_lesson_markdown, where_shown
    from core.mirrors.attention import attention_stages
    from widgets import AttentionTrace

    def matrix_block(title, matrix, rows, columns, **options):
        """A bold title over a labelled table (options go to `markdown_matrix`)."""
        return mo.vstack(
            [mo.md(title), mo.md(markdown_matrix(matrix, rows, columns, **options))], gap=0
        )

    def vector_text(values):
        """A vector as the prose writes it: (0.30, 0.30, 1.00)."""
        return "(" + ", ".join(format_number(v) for v in values) + ")"

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
        trial_shapes_text,
        vector_text,
        where_shown,
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

    Until now each token received a weighted mix of the visible tokens' *embeddings*
    (its own included):
    output $= \text{weights} \cdot X$. But why a token is relevant and what it should hand
    over are different questions. Take the queries and keys that solve lesson 5's
    exercise, on the same toy (four tokens, three made-up features):
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
def _(
    FEATURES,
    SENTENCES,
    W_K_SOLVED,
    matrix_block,
    mo,
    np,
    slot_labels,
    toy_sentence,
    vector_text,
):
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
                f"*dog* and *tree* get the **same key**, {vector_text(_K[1])}: "
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
def _(mo):
    mo.md(r"""
    ### One token, three roles

    Every token now has three vectors. Here are *bark*'s, computed from the matrices above:
    """)
    return


@app.cell(hide_code=True)
def _(FEATURES, SENTENCES, W_K, W_Q, W_V, matrix_block, mo, np, toy_sentence, vector_text):
    _tokens, _X = toy_sentence(SENTENCES[0])
    _x = _X[_tokens.index("bark")]
    _q, _k, _v = _x @ W_Q, _x @ W_K, _x @ W_V

    # x on the left; its three readings side by side, one row per slot (q, k and v are all
    # 3 wide here, section 3 narrows them)
    _readings = matrix_block(
        "**three readings of it**",
        np.column_stack([_q, _k, _v]),
        [f"{_i}" for _i in range(len(_q))],
        ["q = x W_Q: looks for", "k = x W_K: is found by", "v = x W_V: hands over"],
        corner="slot",
    )
    _same = [
        _name
        for _name, _a, _b in (("q and k", _q, _k), ("q and v", _q, _v), ("k and v", _k, _v))
        if (_a == _b).all()
    ]
    mo.vstack(
        [
            mo.hstack(
                [
                    matrix_block("**bark's x**", _x[:, None], list(FEATURES), ["bark"]),
                    mo.md("→"),
                    _readings,
                ],
                justify="start",
                align="center",
                gap=2,
                widths=[1, 1, 4],
            ),
            mo.md(
                f"One vector, {vector_text(_x)}, read three ways: q = {vector_text(_q)}, "
                f"k = {vector_text(_k)}, v = {vector_text(_v)}. Nothing in *bark* is a query, "
                "a key or a value. They are what three **learned matrices** make of the same "
                "embedding, and training sets the matrices, not the word: edit W_Q above and "
                "bark's q changes while its x stays as it was."
                + (
                    f" (Right now {' and '.join(_same)} coincide: the matrices that make them "
                    "are equal on bark's features.)"
                    if _same
                    else ""
                )
                + " Another head (lesson 7) brings three matrices of its own and reads bark "
                "three more ways; a later layer reads a bark whose vector already holds its "
                "context (section 5)."
            ),
        ]
    )
    return


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
        + "\n\n"
        + (
            "Reusing the key as the value gives bark the **same** output in both "
            "sentences: it learns *that* it has an owner, not *which*."
            if np.allclose(_rows[2], _rows[3])
            else "Reusing the key as the value tells the sentences apart only because your "
            "W_K now gives dog and tree different keys, which matching did not need."
        )
        + " The raw embedding tells them apart, but hands over everything, including "
        "what bark already knows. How much of what bark receives is that?"
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ### The echo, measured

    With $V = X$, bark's output is $\sum_j w_{\text{bark},j}\, x_j$: four rows of $X$, each
    scaled by bark's weight on it, and one of those rows is **bark's own**. Attention that
    bark pays to itself hands it back what it already is.

    **Predict** before the table appears: of everything bark receives (the four
    contributions' lengths added up), what percentage is its own embedding coming back?
    """)
    return


@app.cell
def _(mo):
    echo_number = mo.ui.number(value=None, step=1, label="bark's own share, in %")
    echo_number
    return (echo_number,)


@app.cell(hide_code=True)
def _(FEATURES, W_V, echo_number, format_number, head, markdown_matrix, mo, np, sentence_radio):
    mo.stop(
        echo_number.value is None,
        mo.md("*The measurement appears here once you have typed a prediction.*"),
    )

    def _contributions(values):
        """(tokens, weights of bark's row, the rows w_j v_j, each row's share of the total length)."""
        _tokens, _s = head(sentence_radio.value, values)
        _b = _tokens.index("bark")
        _w = _s["weights"][_b]
        _rows = _w[:, None] * _s["V"]
        _lengths = np.linalg.norm(_rows, axis=1)
        _total = _lengths.sum()
        _shares = _lengths / _total if _total > 0 else np.zeros_like(_lengths)
        return _tokens, _w, _rows, _shares, _b

    _tokens, _w, _rows, _shares, _b = _contributions(np.eye(len(FEATURES)))
    _table = np.column_stack([_w, _rows, 100 * _shares])
    _owned = _rows[:, FEATURES.index("owned")]
    _owned_echo = _owned[_b] / _owned.sum() if _owned.sum() > 0 else 0.0
    _, _, _, _yours, _ = _contributions(W_V)
    _guess = echo_number.value
    _echo = 100 * _shares[_b]
    mo.stop(
        not 0 <= _guess <= 100,
        mo.md(f"*A share is between 0 and 100%, not {format_number(_guess, 0)}: guess again.*"),
    )
    mo.vstack(
        [
            mo.md(
                f"**bark's output with V = X**, row by row, in “{sentence_radio.value}”:\n\n"
                + markdown_matrix(
                    _table,
                    _tokens,
                    ["weight w", *(f"w·{f}" for f in FEATURES), "share %"],
                    corner="from token",
                    bold=np.broadcast_to(np.arange(len(_tokens))[:, None] == _b, _table.shape),
                )
            ),
            mo.md(
                f"You guessed {format_number(_guess, 0)}%"
                + (
                    " (close)"
                    if abs(_guess - _echo) <= 5
                    else f" ({format_number(abs(_guess - _echo), 0)} points "
                    f"{'over' if _guess > _echo else 'under'})"
                )
                + "; bark's own row is "
                f"**{format_number(_echo, 0)}%** of what it receives, and "
                f"{format_number(100 * _owned_echo, 0)}% of the *owned* it receives is its "
                "own. That part is an echo: bark learns nothing from it. "
                + (
                    "Your W_V is still I, so it hands the same echo back; exercise 1 below "
                    "asks you to change that."
                    if np.allclose(W_V, np.eye(len(FEATURES)))
                    else f"With your W_V the echo is {format_number(100 * _yours[_b], 0)}%: "
                    "W_V decides what comes back, the echo included."
                    if _yours.sum() > 0
                    else "With your W_V nothing at all is handed over (every v is 0)."
                )
                + " With hundreds of features per token, a head should pass on only what "
                "its question needs: that choice is $W_V$."
            ),
        ]
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
def _(SENTENCES, head, mo, vector_text):
    def _bark(text):
        _tokens, _s = head(text)
        return _s["output"][_tokens.index("bark")]

    _dog, _tree = _bark(SENTENCES[0]), _bark(SENTENCES[1])
    _problems = []
    if not _dog[0] > _dog[1]:
        _problems.append("after *dog*, v₀ should exceed v₁")
    if not _tree[1] > _tree[0]:
        _problems.append("after *tree*, v₁ should exceed v₀")
    if max(abs(_dog[2]), abs(_tree[2])) > 0.05:
        _problems.append("v₂ should be 0 in both sentences")
    _now = f"bark's output: {vector_text(_dog)} after dog, {vector_text(_tree)} after tree."
    # the hints say which rows or column decide what is wrong, never the matrix itself
    _hints = []
    if not (_dog[0] > _dog[1] and _tree[1] > _tree[0]):
        _hints.append(
            "row *r* of W_V says where feature *r* of an attended token goes: which "
            "feature does dog have and tree not, and the other way round?"
        )
    if max(abs(_dog[2]), abs(_tree[2])) > 0.05:
        _hints.append(
            "column v₂ of bark's output still receives something: which rows of W_V "
            "put a number other than 0 in column v₂?"
        )
    if not _problems:
        _kind, _text = (
            "success",
            f"Correct. {_now} The key made bark *find* its owner; the value made the owner "
            "*tell* bark what it is.",
        )
    else:
        _kind, _text = (
            "warn",
            f"{_now} Not yet: {'; '.join(_problems)}. Hint: {' And '.join(_hints)}",
        )
    mo.callout(mo.md(f"**Exercise 1.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(FEATURES, SENTENCES, head, mo, np):
    _C = len(FEATURES)
    # does the learner's W_V leave v₂ empty for every token of both sentences?
    _v2 = np.concatenate([head(_text)[1]["V"][:, _C - 1] for _text in SENTENCES])
    _empty = (
        "Your W_V leaves $v_2 = 0$ for every token of both sentences: a slot that carries nothing."
        if np.abs(_v2).max() < 1e-12
        else "Exercise 1 asks for $v_2 = 0$ in bark's output: once it is solved, that "
        "slot tells bark nothing."
    )
    mo.md(
        f"""
    ## 3 · Hand over only what is needed

    {_empty} Nothing forces $W_V$ to be square. It maps the embedding's $C$ features to
    $d_v$ slots, and $d_v$ may be smaller than $C$: $W_V$ is then $C \\times d_v$, taller than
    wide, and $V$ is $T \\times d_v$. Queries and keys have their own width $d$, and
    lesson 5's answer uses only their slot 0, so $d$ can shrink as well.

    Set the two widths. From here on the lesson keeps the first $d$ columns of $W_Q$ and
    $W_K$ and the first $d_v$ columns of $W_V$ (the embedding keeps its $C = {_C}$ features):
    """
    )
    return


@app.cell
def _(mo):
    d_slider = mo.ui.slider(1, 3, value=3, label="d, the width of q and k", show_value=True)
    dv_slider = mo.ui.slider(1, 3, value=2, label="d_v, the width of v", show_value=True)
    mo.hstack([d_slider, dv_slider], justify="start", gap=3)
    return d_slider, dv_slider


@app.cell
def _(W_K, W_Q, W_V, attention_stages, d_slider, dv_slider, toy_sentence):
    d, d_v = d_slider.value, dv_slider.value
    W_Q_kept, W_K_kept = W_Q[:, :d], W_K[:, :d]  # (C, d)
    W_V_kept = W_V[:, :d_v]  # (C, d_v)

    def kept_head(text):
        """(tokens, stages) of the head with the widths chosen in section 3."""
        _tokens, _X = toy_sentence(text)
        return _tokens, attention_stages(_X, W_Q_kept, W_K_kept, W_V_kept)

    return W_K_kept, W_Q_kept, W_V_kept, d, d_v, kept_head


@app.cell(hide_code=True)
def _(
    FEATURES,
    SENTENCES,
    W_V,
    W_V_kept,
    d,
    d_v,
    format_number,
    head,
    kept_head,
    matrix_block,
    mo,
    np,
    slot_labels,
    vector_text,
):
    _C = len(FEATURES)
    _barks, _dropped, _where = [], 0.0, ""
    for _text in SENTENCES:
        _tokens, _s = kept_head(_text)
        _barks.append(_s["output"][_tokens.index("bark")])
        _gone = np.abs(head(_text)[1]["V"][:, d_v:])  # the value slots past d_v
        if _gone.size and _gone.max() > _dropped:
            _dropped = float(_gone.max())
            _i, _j = np.unravel_index(_gone.argmax(), _gone.shape)
            _where = f"{_tokens[_i]}'s {slot_labels('v', _C)[d_v + _j]}"
    _tokens, _narrow = kept_head(SENTENCES[0])
    _, _wide = head(SENTENCES[0])
    _b = 3
    if d_v == _C:
        _lost = f"At d_v = {_C} nothing is dropped."
    elif _dropped < 1e-12:
        _lost = (
            f"The dropped slot{'s were' if _C - d_v > 1 else ' was'} 0 for every token in "
            f"both sentences: nothing was lost, and {_C * d_v} numbers of W_V do the work "
            f"of {_C * _C}."
        )
    else:
        _lost = (
            f"The dropped slot{'s' if _C - d_v > 1 else ''} carried up to "
            f"{format_number(_dropped)} ({_where}): that information no longer reaches "
            "anyone."
        )
    _same_scores = np.allclose(_narrow["scores"], _wide["scores"])
    _scale = (
        f"With d = {d}, bark's raw scores are {vector_text(_narrow['scores'][_b])}"
        + (f" (with all three slots: {vector_text(_wide['scores'][_b])})" if d < _C else "")
        + f"; divided by √{d} = {format_number(np.sqrt(d), 3)}, its weights are "
        f"{vector_text(_narrow['weights'][_b])}"
    )
    if d < _C:
        _scale += f" instead of {vector_text(_wide['weights'][_b])}: " + (
            "the same scores, a smaller √d, a sharper softmax. The scale follows d, the "
            "width of the dot products, not C."
            if _same_scores
            else "the dropped slots of W_Q and W_K were in use, so the scores changed too."
        )
    else:
        _scale += "."
    mo.vstack(
        [
            mo.hstack(
                [
                    matrix_block(
                        f"**W_V kept** ({_C} × {d_v}: C × d_v)",
                        W_V_kept,
                        FEATURES,
                        slot_labels("v", d_v),
                        corner="feature",
                        decimals=1,
                    ),
                    matrix_block(
                        f"**V** in “{SENTENCES[0]}” ({len(_narrow['V'])} × {d_v}: T × d_v)",
                        _narrow["V"],
                        _tokens,
                        slot_labels("v", d_v),
                        corner="token",
                    ),
                ],
                justify="start",
                gap=2,
            ),
            mo.md(
                f"bark's output now has {d_v} slot{'s' if d_v > 1 else ''}: "
                f"{vector_text(_barks[0])} after a dog, {vector_text(_barks[1])} after a "
                f"tree. {_lost}\n\n{_scale}"
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(format_number, mo):
    _C, _heads = 768, 12  # GPT-2 small's n_embd and n_head (its published config)
    mo.md(
        "Real models are built this way. GPT-2 small (Radford et al., 2019; `n_embd` and "
        f"`n_head` in its published configuration) has a C = {_C}-wide embedding and "
        f"{_heads} heads per layer, each with d = d_v = {_C} / {_heads} = "
        f"{format_number(_C / _heads, 0)}. A head that hands over "
        f"{format_number(_C / _heads, 0)} numbers out of {_C} cannot pass everything on, so "
        "its $W_V$ must choose. Lesson 7 puts several narrow heads side by side, each "
        "choosing something else."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 4 · The whole head

    $$\text{output} = \mathrm{softmax}\!\left(\mathrm{mask}\!\left(\frac{Q K^\top}{\sqrt{d}}\right)\right) V,
    \qquad Q = XW_Q,\; K = XW_K,\; V = XW_V.$$

    Three projections of the same embeddings, one score per pair, one softmax per row,
    one weighted sum per token. Every number, for the sentence, matrices and widths you
    chose above; each title gives the matrix's shape in numbers and in letters (T tokens,
    C features, d query/key slots, d_v value slots). Click a row to follow it; hover a
    number to see how it was computed:
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
def _(W_K_kept, W_Q_kept, W_V_kept, d, d_v, kept_head, sentence_radio, slot_labels, trace):
    tokens, stages = kept_head(sentence_radio.value)
    trace.update(
        tokens=tokens,
        stages={**stages, "W_Q": W_Q_kept, "W_K": W_K_kept, "W_V": W_V_kept},
        query_labels=slot_labels("q", d),
        key_labels=slot_labels("k", d),
        value_labels=slot_labels("v", d_v),
    )
    return stages, tokens


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 2.** The trace shows bark's output, $\sum_j w_{\text{bark},j}\, v_j$, with
    bark's echo of itself included. Now mask bark's **own** key as well, as if it were the
    future: what does bark receive in slot $v_0$? Work it out from the trace's **weights**
    and **V** for *the dog 's bark*, without a softmax by hand.
    """)
    return


@app.cell
def _(mo):
    output_number = mo.ui.number(value=None, step=0.01, label="bark's v₀ without itself =")
    output_number
    return (output_number,)


@app.cell(hide_code=True)
def _(SENTENCES, format_number, kept_head, mo, np, output_number):
    _tokens, _s = kept_head(SENTENCES[0])
    _b = _tokens.index("bark")
    _w, _v = _s["weights"][_b], _s["V"][:, 0]
    _others = np.arange(len(_tokens)) != _b
    # -inf on bark's own score: the softmax shares 1 among the others in the same proportions
    _total = _w[_others].sum()
    _answer = float(_w[_others] @ _v[_others] / _total)
    _unscaled = float(_w[_others] @ _v[_others])  # bark's term dropped, not renormalised
    _with_self = float(_w @ _v)  # the trace's own output
    _terms = " + ".join(
        f"{format_number(a)}·{format_number(b)}" for a, b in zip(_w[_others], _v[_others])
    )
    _guess = output_number.value

    def _close(target):
        return _guess is not None and bool(np.isclose(_guess, target, atol=0.011))

    if _guess is None:
        _kind, _text = "neutral", "Type your answer above."
    elif _close(_answer):
        _kind, _text = (
            "success",
            f"Correct: ({_terms}) / {format_number(_total)} = {format_number(_answer)}. "
            f"With its echo bark's v₀ was {format_number(_with_self)}: masking a key does "
            "not lose the other weights, it rescales them to sum to 1 again.",
        )
    elif _close(_with_self):
        _kind, _text = (
            "warn",
            f"{format_number(_guess)} is bark's output *with* itself, the trace's output "
            "cell. Leave bark's own weight out.",
        )
    elif _close(_unscaled):
        _kind, _text = (
            "warn",
            f"You dropped bark's own term, but the three weights left sum to "
            f"{format_number(_total)}, not 1. With bark's key at −∞, the softmax shares 1 "
            "among the others in the same proportions: divide by their sum.",
        )
    else:
        _kind, _text = (
            "warn",
            f"Not {format_number(_guess)}. Hint: take bark's row of the weights without "
            "bark's own weight (three numbers), divide each by their sum so they add to 1 "
            "again, multiply them by column v₀ of V for the same three tokens, and add. "
            "Pick *the dog 's bark* above to see those numbers in the trace.",
        )
    mo.callout(mo.md(f"**Exercise 2.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 5 · The residual stream

    The output does not replace a token's vector: it is **added** to it,
    $x_i \leftarrow x_i + \text{output}_i$, like the skip connection of a ResNet. Each
    layer of a transformer reads this running sum, the **residual stream**, and writes its
    contribution back into it; nothing is overwritten, so *bark* keeps *owned* and gains
    its owner.
    """)
    return


@app.cell(hide_code=True)
def _(
    FEATURES,
    SENTENCES,
    W_V_kept,
    d_v,
    kept_head,
    matrix_block,
    mo,
    np,
    toy_sentence,
    vector_text,
):
    _C = len(FEATURES)
    # output (T, d_v) back to the C features: slot k onto feature k, a stand-in for GPT's
    # output projection W_O (lesson 7); with d_v = C it is the identity
    _W_O = np.eye(d_v, _C)
    _blocks, _barks, _next_v = [], [], []
    for _text in SENTENCES:
        _tokens, _s = kept_head(_text)
        _X = toy_sentence(_text)[1]
        _after = _X + _s["output"] @ _W_O
        _barks.append(_after[3])
        _next_v.append(_after[3] @ W_V_kept)
        _blocks.append(
            matrix_block(f"**x + output** in “{_text}”", _after, _tokens, FEATURES, corner="token")
        )
    _before = toy_sentence(SENTENCES[0])[1][3]
    _width = "Adding needs the output to be as wide as x. " + (
        f"Here it is not: the output has d_v = {d_v} slots, x has C = {_C} features. GPT "
        "maps the output back to C with one more learned matrix, the output projection "
        "W_O (lesson 7). The tables use a stand-in that puts slot vₖ back on feature k "
        f"and leaves {' and '.join(FEATURES[d_v:])} at 0."
        if d_v < _C
        else "Here d_v = C, and slot vₖ is added to feature k, as exercise 1 reads "
        "them. (In GPT an output projection W_O maps the output back to C; lesson 7.)"
    )
    mo.vstack(
        [
            mo.md(_width),
            mo.hstack(_blocks, justify="start", gap=2),
            mo.md(
                f"In lesson 4, bark was {vector_text(_before)} in both sentences. After one "
                f"attention head it is {vector_text(_barks[0])} after a dog and "
                f"{vector_text(_barks[1])} after a tree: the context is in the vector now. "
                "So a second layer reading bark's new vector with the very same W_V gets "
                f"v = {vector_text(_next_v[0])} after a dog and {vector_text(_next_v[1])} "
                "after a tree: the same word, the same matrix, different values. A value "
                "belongs to a token in its context, read by one head, never to the word."
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo, where_shown):
    # where the learner can type code: the editor, not the app (`marimo run` shows no code).
    # On the site the reading view shows no code and its edit view does, but both run the
    # same WebAssembly kernel, which marimo always starts in edit mode
    # (`mo.app_meta().mode == "edit"` in both): one instruction covers the two views.
    where = where_shown(mo)
    return (where,)


@app.cell(hide_code=True)
def _(mo, trial_shapes_text, where):
    _how = {
        "editor": "Write it in the cell below: replace the `raise NotImplementedError` line "
        "with your code and run the cell (Ctrl+Enter, ⌘+Enter on a Mac). The check under "
        "it answers at once.",
        "site": "On the course site, code is written in the lesson's **edit view**. If "
        "you see the code of the cell `def my_attention` under this text, you are in it: "
        "replace its `raise NotImplementedError` line with your code and run the cell "
        "(Ctrl+Enter, ⌘+Enter on a Mac); the check under it answers at once. If you see no "
        "code, you are in the reading view: open the edit view with the green *Edit this "
        "lesson and do its exercises* link (bottom left) first. Edits made in the browser "
        "are not saved: copy your code out if you want to keep it.",
        "app": "The app shows no code and cannot edit it. Open this lesson in the editor "
        "(`just edit` in the course folder, or `marimo edit "
        "lessons/4-2-6-values-and-attention-output.py`), or in the course site's edit "
        "view, and write it in the cell `def my_attention` under this text.",
    }[where]
    mo.md(
        r"""
    ## 6 · Implement it yourself

    **Exercise 3.** Write the whole head in NumPy: a function `my_attention(X, W_Q, W_K,
    W_V)` that returns causal single-head attention, every step of section 4 in order:
    the three projections, the scores, the scale, the mask, the softmax of each row, the
    weighted sum of the values. The check runs it on random inputs of the shapes """
        + trial_shapes_text()
        + r""", compares it with `core.mirrors.attention`, and names the usual mistakes (a missing scale, a missing mask,
    the softmax over the wrong axis, …).

    """
        + _how
    )
    return


@app.cell
def _():
    def my_attention(X, W_Q, W_K, W_V):
        """Causal single-head attention, softmax(mask(Q Kᵀ / √d)) V.

        X (T, C); W_Q and W_K (C, d); W_V (C, d_v). Returns the output, (T, d_v).
        Row i may attend only to rows j <= i. NumPy is `np`.
        """
        # 1. project: Q and K are (T, d), V is (T, d_v)
        # 2. scores: every query against every key, (T, T)
        # 3. scale: divide by √d, d being the width of the queries and keys
        # 4. mask: -inf wherever the key comes after the query (j > i)
        # 5. softmax each row: exp(score - the row's max), divided by the row's sum
        # 6. the output: the weights times the values
        raise NotImplementedError("write the six steps above")

    return (my_attention,)


@app.cell(hide_code=True)
def _(
    SENTENCES,
    W_K_kept,
    W_Q_kept,
    W_V_kept,
    check_attention_function,
    kept_head,
    mo,
    my_attention,
    np,
    toy_sentence,
    vector_text,
):
    _result = check_attention_function(my_attention)
    _text = _result.message
    if _result.passed:
        _tokens, _X = toy_sentence(SENTENCES[0])
        _yours = np.asarray(my_attention(_X, W_Q_kept, W_K_kept, W_V_kept))[3]
        _core = kept_head(SENTENCES[0])[1]["output"][3]
        _text = (
            f"Correct. {_text} On *{SENTENCES[0]}* with the matrices of section 4 it gives "
            f"bark {vector_text(_yours)}; the trace (core) gives {vector_text(_core)}. "
            "From here on the course uses `core.mirrors.attention` in the browser and "
            "`core.model.attention` in PyTorch, which a test holds equal to it."
        )
    _kind = "success" if _result.passed else ("warn" if _result.started else "neutral")
    mo.callout(mo.md(f"**Exercise 3.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Lesson 10 builds the same head in PyTorch, inside the GPT you will train: the
    projections become `nn.Linear(C, d, bias=False)` layers, which store the transpose of
    $W$ ($d \times C$, computing $x W^\top$), the input gains a batch dimension,
    $(B, T, C)$.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Recap

    - Queries and keys decide **where** a token looks; values decide **what** it receives.
      A key may blur what a value must keep (dog and tree share a key, not a value).
    - q, k and v are three readings of **one** vector by three learned matrices, not
      properties of the word: change a matrix, or the token's context, and they change.
    - With $V = X$ a token gets part of itself back, an echo you measured; $W_V$ decides
      what is handed over, and it may be narrower than the embedding ($d_v < C$), as each
      head of a real model is.
    - One head: $\mathrm{softmax}(\mathrm{mask}(QK^\top/\sqrt{d}))\,V$ with
      $Q, K, V = XW_Q, XW_K, XW_V$; the scale follows $d$, not $C$.
    - The output is added to the token's vector: the residual stream carries what the
      token was plus what it gathered.
    - You can write the head in a dozen lines of NumPy; the check holds yours to `core`.

    One head answers one question (here: *who owns me?*). A token has many. Lesson 7 runs
    several narrow heads side by side.
    """)
    return


@app.cell(hide_code=True)
def _(mo, next_lesson_markdown):
    mo.md(next_lesson_markdown(6, mo))
    return


if __name__ == "__main__":
    app.run()

# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25.2",
#     "anywidget>=0.11",
#     "traitlets>=5.9",
#     "numpy>=1.26",
# ]
# ///
"""Lesson 7 (module 4.2): multi-head attention.

One softmax row cannot serve two relations at once; H heads of width C/H can. Split, attend,
concatenate, project with W_O (the fused form proved equal to the per-head loop); the cost
is that of one wide head; and the heads of a trained character-level GPT on the learner's own
text, with previous-token and induction heads measured.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="7 · Multi-Head Attention")


@app.cell(hide_code=True)
def _():
    import time

    import marimo as mo
    import numpy as np

    from core.course.attention_lessons import format_number, markdown_matrix, slot_labels
    from core.course.catalog import next_lesson_markdown, where_shown
    from core.course.heads import (
        FEATURES,
        GOAL,
        GPT2_SMALL,
        LABEL_THRESHOLD,
        SENTENCES,
        TOY_EMBEDDINGS,
        attention_cost,
        check_concat_row,
        check_two_heads,
        distance_profile,
        head_label,
        ideal_heads,
        induction_score,
        previous_token_score,
        relation_shares,
        repeated_random_text,
        toy_sentence,
        uniform_causal,
    )
    from core.course.lesson_model import load_lesson_model
    from core.mirrors.attention import attention_stages, scaled_dot_product
    from core.mirrors.gpt import merge_heads, multi_head_attention, split_heads
    from widgets import AttentionHeatmap

    def matrix_block(title, matrix, rows, columns, **options):
        """A bold title over a labelled table (options go to `markdown_matrix`)."""
        return mo.vstack(
            [mo.md(title), mo.md(markdown_matrix(matrix, rows, columns, **options))], gap=0
        )

    def vec(values, decimals=2):
        return "(" + ", ".join(format_number(v, decimals) for v in values) + ")"

    return (
        AttentionHeatmap,
        FEATURES,
        GOAL,
        GPT2_SMALL,
        LABEL_THRESHOLD,
        SENTENCES,
        TOY_EMBEDDINGS,
        attention_cost,
        attention_stages,
        check_concat_row,
        check_two_heads,
        distance_profile,
        format_number,
        head_label,
        ideal_heads,
        induction_score,
        load_lesson_model,
        markdown_matrix,
        matrix_block,
        merge_heads,
        mo,
        multi_head_attention,
        next_lesson_markdown,
        np,
        previous_token_score,
        relation_shares,
        repeated_random_text,
        scaled_dot_product,
        slot_labels,
        split_heads,
        time,
        toy_sentence,
        uniform_causal,
        vec,
        where_shown,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Multi-Head Attention

    *Module 4.2 · Lesson 7 of 18*

    In lesson 6 one attention head answered one question for *bark*: *who owns me?* A
    token has more than one question. This lesson shows why one head cannot answer two,
    runs several heads side by side, takes the arithmetic apart shape by shape, and then
    looks inside a trained GPT to see what its heads actually do on text you type.
    """)
    return


@app.cell(hide_code=True)
def _(FEATURES, GOAL, SENTENCES, TOY_EMBEDDINGS, markdown_matrix, mo):
    mo.md(
        r"""
    ## 1 · One head must choose

    The toy table of lessons 4–6 gets a fourth feature, **describes**: 1 for a word that
    says what the noun after it is like. Two new words carry it, *loud* and *rough*, each
    with a faint hint of what it usually describes (*loud* things are mostly animals,
    *rough* things mostly plants). Every other word has describes = 0. Still a toy: real
    embeddings have hundreds of learned features that nobody named.

    """
        + markdown_matrix(
            list(TOY_EMBEDDINGS.values()), list(TOY_EMBEDDINGS), FEATURES, corner="token"
        )
        + f"""

    The sentences are *{"* and *".join(SENTENCES)}*.
    *bark* now needs **two** things at once: its **owner** (dog or tree: which kind of bark)
    and its **describing word** (loud or rough: what the bark is like). Your task: one
    head, $W_Q$ and $W_K$ of size {len(FEATURES)} × {len(FEATURES)}, such that bark gives
    **at least {GOAL}** of its attention to its owner **and at least {GOAL}** to its describing
    word, in both sentences. The matrices start at lesson 5's answer (bark's query asks
    for an owner; dog's and tree's keys answer).
    """
    )
    return


@app.cell
def _(FEATURES, mo, np, slot_labels):
    def _projection(label, slot, value):
        return mo.ui.matrix(
            value,
            min_value=-3,
            max_value=3,
            step=0.1,
            precision=1,
            row_labels=list(FEATURES),
            column_labels=slot_labels(slot, len(FEATURES)),
            label=label,
        )

    _wq = np.zeros((4, 4))
    _wq[2, 0] = 2.0  # bark's query (from its *owned* feature) asks for an owner in slot 0
    _wk = np.zeros((4, 4))
    _wk[0, 0] = _wk[1, 0] = 1.0  # animals and plants answer in slot 0
    one_wq_matrix = _projection("one head · W_Q", "q", _wq.tolist())
    one_wk_matrix = _projection("one head · W_K", "k", _wk.tolist())
    mo.hstack([one_wq_matrix, one_wk_matrix], justify="start", gap=2)
    return one_wk_matrix, one_wq_matrix


@app.cell(hide_code=True)
def _(
    GOAL,
    SENTENCES,
    attention_stages,
    markdown_matrix,
    mo,
    np,
    one_wk_matrix,
    one_wq_matrix,
    relation_shares,
    toy_sentence,
):
    _W_Q = np.array(one_wq_matrix.value, dtype=float)
    _W_K = np.array(one_wk_matrix.value, dtype=float)
    one_head_rows, one_head_shares = [], []
    for _text in SENTENCES:
        _tokens, _X = toy_sentence(_text)
        _weights = attention_stages(_X, _W_Q, _W_K)["weights"]
        one_head_rows.append(_weights[-1])
        one_head_shares.append(relation_shares(_tokens, _weights))
    _owner = min(s["owner"] for s in one_head_shares)
    _describer = min(s["describer"] for s in one_head_shares)
    _met = _owner >= GOAL and _describer >= GOAL
    mo.vstack(
        [
            mo.md(
                "**bark's row of attention weights** (query bark ↓, key →), one head:\n\n"
                + markdown_matrix(
                    one_head_rows,
                    [f"“{t}”" for t in SENTENCES],
                    ["the", "dog / tree", "'s", "loud / rough", "bark"],
                    corner="sentence",
                )
            ),
            mo.callout(
                mo.md(
                    f"Owner: **{_owner:.2f}**, describing word: **{_describer:.2f}** "
                    "(the smaller of the two sentences). "
                    + (
                        "Goal met."
                        if _met
                        else f"Goal not met: both must reach {GOAL}. Keep trying, then "
                        "answer the question below."
                    )
                ),
                kind="success" if _met else "warn",
            ),
        ]
    )
    return one_head_rows, one_head_shares


@app.cell
def _(GOAL, mo):
    one_head_prediction = mo.ui.radio(
        options=[
            "Yes: with large enough numbers",
            "Yes: with negative numbers somewhere",
            "No: no W_Q and W_K can do it",
        ],
        label=f"Can any W_Q and W_K give bark {GOAL} on its owner and {GOAL} on its describing "
        "word?",
    )
    one_head_prediction
    return (one_head_prediction,)


@app.cell(hide_code=True)
def _(GOAL, format_number, mo, one_head_prediction, one_head_rows, one_head_shares):
    _best = max(s["owner"] + s["describer"] for s in one_head_shares)
    _row = one_head_rows[0]
    if one_head_prediction.value is None:
        _out = mo.md("*Choose an answer to read on.*")
    else:
        _right = one_head_prediction.value.startswith("No")
        _out = mo.md(
            ("**Right.** " if _right else "**No.** ")
            + "One head has **one softmax per query**, and a softmax row sums to 1: bark's "
            f"row now is {' + '.join(format_number(w) for w in _row)} = "
            f"{format_number(sum(_row))}. Whatever goes to the owner is taken from the "
            f"describing word. Owner + describing word is {format_number(_best)} now and can "
            f"never pass 1, so {GOAL} + {GOAL} is out of reach for any matrices, however "
            "large. (A classifier's softmax, from the earlier series, works the same way: "
            "raising one class's probability lowers the others'.)"
            "\n\nAnd a split is not a fix: what bark receives is **one** weighted average "
            "of values. With half on *dog* and half on *loud*, each clue arrives at half "
            "strength, blended into the same vector with the other. A head is one question "
            "with one budget of attention; two questions need two budgets."
        )
    _out
    return


@app.cell(hide_code=True)
def _(FEATURES, mo):
    _C, _H = len(FEATURES), 2
    mo.md(
        rf"""
    ## 2 · Two heads, two rows

    So give bark two heads. Each head $h$ has its **own** $W_Q^h$, $W_K^h$, $W_V^h$ and
    runs its own attention, with its own softmax. The heads share the model's width
    rather than each taking all of it: with $H = {_H}$ heads in a model of width
    $C = {_C}$, a head's queries, keys and values have width $D = C/H = {_C // _H}$
    (section 4 asks what that does to the cost). That is why the table
    grew to {_C} features: $H$ must divide $C$.

    Head 0 starts at lesson 5's answer cut to width {_C // _H} (bark asks for an owner);
    head 1 starts at zero (it attends evenly). The values matter only from section 3 on:
    head 0's $W_V$ passes on *animal* and *plant* (which owner); head 1's sends *describes*
    to $v_0$ and the animal-or-plant hint to $v_1$ (+ for animal, − for plant).
    """
    )
    return


@app.cell
def _(FEATURES, mo, np, slot_labels):
    def _head_matrix(head, name, slot, value):
        return mo.ui.matrix(
            np.asarray(value, dtype=float).tolist(),
            min_value=-3,
            max_value=3,
            step=0.1,
            precision=1,
            row_labels=list(FEATURES),
            column_labels=slot_labels(slot, 2),
            label=f"head {head} · {name}",
        )

    _owner_query = np.zeros((4, 2))
    _owner_query[2, 0] = 2.0  # bark's query (its *owned* feature) asks in slot 0 ...
    _owner_key = np.zeros((4, 2))
    _owner_key[0, 0] = _owner_key[1, 0] = 1.0  # ... animals and plants answer there
    head0_wq = _head_matrix(0, "W_Q", "q", _owner_query)
    head0_wk = _head_matrix(0, "W_K", "k", _owner_key)
    head0_wv = _head_matrix(0, "W_V", "v", [[1, 0], [0, 1], [0, 0], [0, 0]])  # which owner
    head1_wq = _head_matrix(1, "W_Q", "q", np.zeros((4, 2)))
    head1_wk = _head_matrix(1, "W_K", "k", np.zeros((4, 2)))
    head1_wv = _head_matrix(1, "W_V", "v", [[0, 1], [0, -1], [0, 0], [1, 0]])  # what it says
    mo.vstack(
        [
            mo.hstack([head0_wq, head0_wk, head0_wv], justify="start", gap=2),
            mo.hstack([head1_wq, head1_wk, head1_wv], justify="start", gap=2),
        ]
    )
    return head0_wk, head0_wq, head0_wv, head1_wk, head1_wq, head1_wv


@app.cell
def _(
    attention_stages,
    head0_wk,
    head0_wq,
    head0_wv,
    head1_wk,
    head1_wq,
    head1_wv,
    np,
    toy_sentence,
):
    # each head's matrices, stacked: (H, C, D) = (2, 4, 2)
    W_Q_heads = np.array([head0_wq.value, head1_wq.value], dtype=float)
    W_K_heads = np.array([head0_wk.value, head1_wk.value], dtype=float)
    W_V_heads = np.array([head0_wv.value, head1_wv.value], dtype=float)

    def toy_heads(text):
        """(tokens, X, [stages of head 0, stages of head 1]) on a toy sentence."""
        _tokens, _X = toy_sentence(text)
        _stages = [
            attention_stages(_X, W_Q_heads[h], W_K_heads[h], W_V_heads[h])
            for h in range(len(W_Q_heads))
        ]
        return _tokens, _X, _stages

    return W_K_heads, W_Q_heads, W_V_heads, toy_heads


@app.cell
def _(AttentionHeatmap, SENTENCES, mo, np, toy_sentence):
    _tokens, _ = toy_sentence(SENTENCES[0])
    _even = np.tril(np.ones((len(_tokens), len(_tokens))))
    toy_maps = [
        mo.ui.anywidget(
            AttentionHeatmap(
                tokens=_tokens, weights=_even / _even.sum(1, keepdims=True), selected_query=4
            )
        )
        for _ in range(2)
    ]
    toy_sentence_radio = mo.ui.radio(options=list(SENTENCES), value=SENTENCES[0], label="sentence")
    return toy_maps, toy_sentence_radio


@app.cell(hide_code=True)
def _(SENTENCES, markdown_matrix, mo, relation_shares, toy_heads, toy_maps, toy_sentence_radio):
    _tokens, _, _stages = toy_heads(toy_sentence_radio.value)
    for _map, _s in zip(toy_maps, _stages):
        _map.update(tokens=_tokens, weights=_s["weights"])
    toy_shares = []
    _rows, _labels = [], []
    for _text in SENTENCES:
        _t, _, _st = toy_heads(_text)
        toy_shares.append([relation_shares(_t, _s["weights"]) for _s in _st])
        for _h, _share in enumerate(toy_shares[-1]):
            _rows.append([_share["owner"], _share["describer"]])
            _labels.append(f"head {_h}, “{_text}”")
    mo.vstack(
        [
            toy_sentence_radio,
            mo.hstack(
                [
                    mo.vstack([mo.md(f"**head {_h}** (query ↓, key →)"), _map])
                    for _h, _map in enumerate(toy_maps)
                ],
                justify="start",
                gap=2,
            ),
            mo.md(
                "bark's attention on each relation, head by head (each head's row sums to 1 "
                "on its own):\n\n"
                + markdown_matrix(_rows, _labels, ["owner", "describing word"], corner="head")
            ),
        ]
    )
    return (toy_shares,)


@app.cell(hide_code=True)
def _(GOAL, mo):
    mo.md(rf"""
    **Exercise 1.** Set the two heads so that **each finds one relation**: one head gives
    bark at least {GOAL} of its attention on its owner, the other at least {GOAL} on its
    describing word, in both sentences.
    """)
    return


@app.cell(hide_code=True)
def _(check_two_heads, mo, toy_shares):
    _result = check_two_heads(toy_shares)
    mo.callout(
        mo.md(f"**Exercise 1.** {'Correct: ' if _result.passed else 'Not yet: '}{_result.message}"),
        kind="success" if _result.passed else "warn",
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 3 · Split, attend, concatenate, project

    Two heads, each with its own small matrices, is how multi-head attention is usually
    *explained*. It is not how it is usually *computed*. GPT stores one $C \times C$
    matrix for all the queries, $W_Q = [\,W_Q^0 \mid W_Q^1 \mid \dots \mid W_Q^{H-1}\,]$: the
    heads' matrices side by side, head $h$ owning columns $hD$ to $(h+1)D - 1$ (the same
    for $W_K$, $W_V$). One product $XW_Q$ makes every head's queries at once, and a
    reshape **splits** them into heads. Each head **attends** on its own; the outputs are
    **concatenated** back to width $C$ and **projected** by one more matrix, $W_O$
    ($C \times C$), whose job you will see after exercise 2.
    """)
    return


@app.cell
def _(
    SENTENCES,
    W_K_heads,
    W_Q_heads,
    W_V_heads,
    attention_stages,
    merge_heads,
    multi_head_attention,
    np,
    scaled_dot_product,
    split_heads,
    toy_sentence,
    wo_matrix,
):
    W_O = np.array(wo_matrix.value, dtype=float)  # (H·D, C) = (4, 4)
    _tokens, X = toy_sentence(SENTENCES[0])  # (T, C) = (5, 4)
    H = len(W_Q_heads)

    def heads_by_loop(X, W_Q_heads, W_K_heads, W_V_heads, W_O):
        """The explanation: one head at a time, then side by side, then W_O."""
        outputs = []
        for W_Q_h, W_K_h, W_V_h in zip(W_Q_heads, W_K_heads, W_V_heads):
            outputs.append(attention_stages(X, W_Q_h, W_K_h, W_V_h)["output"])  # (T, D)
        concat = np.concatenate(outputs, axis=1)  # (T, H·D)
        return concat @ W_O  # (T, C)

    # the computation: one C × C matrix per projection, reshaped into heads
    W_Q = np.concatenate(list(W_Q_heads), axis=1)  # (C, H·D): head h owns columns hD … (h+1)D-1
    W_K = np.concatenate(list(W_K_heads), axis=1)
    W_V = np.concatenate(list(W_V_heads), axis=1)
    Q = split_heads(X @ W_Q, H)  # (T, C) -> (H, T, D)
    K = split_heads(X @ W_K, H)
    V = split_heads(X @ W_V, H)
    head_outputs, head_weights = scaled_dot_product(Q, K, V, causal=True)  # (H, T, D), (H, T, T)
    concat = merge_heads(head_outputs)  # (H, T, D) -> (T, H·D)
    fused = concat @ W_O  # (T, C)

    # and core's own multi-head attention (weights stored (out, in), as torch's nn.Linear)
    core_output, _ = multi_head_attention(
        X,
        np.concatenate([W_Q, W_K, W_V], axis=1).T,  # c_attn: (3C, C)
        np.zeros(3 * W_Q.shape[1]),
        W_O.T,  # c_proj: (C, C)
        np.zeros(W_O.shape[1]),
        H,
    )
    loop_output = heads_by_loop(X, W_Q_heads, W_K_heads, W_V_heads, W_O)
    differences = {
        "loop vs fused": np.abs(loop_output - fused).max(),
        "loop vs core": np.abs(loop_output - core_output).max(),
    }
    return (
        H,
        K,
        Q,
        V,
        W_O,
        W_Q,
        X,
        concat,
        differences,
        fused,
        head_outputs,
        head_weights,
    )


@app.cell(hide_code=True)
def _(
    H, K, Q, V, W_O, W_Q, X, concat, differences, fused, head_outputs, head_weights, mo, where_shown
):
    _steps = [
        ("X", "the tokens' embeddings", X),
        ("W_Q (also W_K, W_V)", "the heads' matrices side by side", W_Q),
        ("Q = split(X W_Q)", "one product, then reshape into heads", Q),
        ("K, V", "the same for keys and values", K),
        ("weights = softmax(mask(Q Kᵀ/√D))", "one T × T map per head", head_weights),
        ("weights · V", "each head's output", head_outputs),
        ("concat", "the heads side by side again", concat),
        ("W_O", "the output projection", W_O),
        ("output = concat · W_O", "back to the model's width", fused),
    ]
    _T, _C = X.shape
    _D = Q.shape[-1]
    _table = "| step | what | shape |\n|:---|:---|:---|\n" + "\n".join(
        f"| {name} | {what} | {' × '.join(map(str, a.shape))} |" for name, what, a in _steps
    )
    _same = max(differences.values()) < 1e-12
    _where_code = {
        "editor": "The code is in the cell above this table: change it and see.",
        "app": "To read the code of the loop and of the fused form, open the lesson in the "
        "editor (`just edit`).",
        "site": "To read the code of the loop and of the fused form, open this page's edit "
        "view (the link “Edit this lesson and do its exercises”).",
    }[where_shown(mo)]
    mo.vstack(
        [
            mo.md(
                f"Shapes for *the dog 's loud bark*: T = {_T} tokens, C = {_C} features, "
                f"H = {H} heads of D = {_D} (V has the same shape as K here, "
                f"{' × '.join(map(str, V.shape))}):\n\n" + _table
            ),
            mo.callout(
                mo.md(
                    "**The fused form is the loop.** Largest difference between the "
                    f"per-head loop and the fused form: {differences['loop vs fused']:.1e}; "
                    "between the loop and `core.mirrors.gpt.multi_head_attention` (the "
                    f"NumPy twin of core's PyTorch GPT): {differences['loop vs core']:.1e}, "
                    "for the matrices you set. "
                    + ("Equal to rounding." if _same else "They differ: a bug to report, please.")
                    + " Why it must be so: column block h of $X W_Q$ is $X$ times column "
                    "block h of $W_Q$, which is $X W_Q^h$; so the split of the big product "
                    "is each head's own product. The concatenation undoes the split, and "
                    "nothing between split and concatenation mixes heads. From here on the "
                    "course computes heads the fused way. " + _where_code
                ),
                kind="success" if _same else "danger",
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 2.** Compute bark's **concatenated row** (before $W_O$) for *the dog 's
    loud bark*, from the weights and values of each head below: for each head, bark's
    output is $\sum_j w_{\text{bark},j}\, v_j$ (one number per slot); then put the heads
    side by side.
    """)
    return


@app.cell(hide_code=True)
def _(H, V, head_weights, markdown_matrix, mo, slot_labels):
    _tokens = ["the", "dog", "'s", "loud", "bark"]
    mo.hstack(
        [
            mo.vstack(
                [
                    mo.md(
                        f"**head {h}**\n\n"
                        + markdown_matrix(head_weights[h][-1:], ["bark"], _tokens, corner="weights")
                        + "\n\n"
                        + markdown_matrix(V[h], _tokens, slot_labels("v", V.shape[-1]), corner="V")
                    )
                ]
            )
            for h in range(H)
        ],
        justify="start",
        gap=2,
    )
    return


@app.cell
def _(mo):
    concat_text = mo.ui.text(
        placeholder="e.g. 0.1, 0.2, 0.3, 0.4", label="bark's concatenated row:", full_width=True
    )
    concat_text
    return (concat_text,)


@app.cell(hide_code=True)
def _(H, V, W_O, check_concat_row, concat, concat_text, head_outputs, mo, np, vec):
    if not concat_text.value.strip():
        _out = mo.callout(mo.md("**Exercise 2.** Type your row above."), kind="neutral")
    else:
        # the tables show weights and values to 2 decimals: a row computed from them may be
        # off by 0.005 per unit of |v| summed over the tokens, plus the values' own rounding
        _tolerance = 0.011 + 0.005 * float(np.abs(V).sum(axis=1).max())
        _result = check_concat_row(
            concat_text.value,
            [head_outputs[h][-1] for h in range(H)],
            concat[-1] @ W_O,
            tol=_tolerance,
        )
        _out = mo.callout(
            mo.md(
                f"**Exercise 2.** {'Correct: ' if _result.passed else 'Not yet: '}"
                f"{_result.message}" + (f" {vec(concat[-1])}." if _result.passed else "")
            ),
            kind="success" if _result.passed else "warn",
        )
    _out
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **The output projection.** The concatenation holds each head's answer in its own
    slots, in an order that means nothing to the features the output is added back to
    (the residual stream of lesson 6). $W_O$ maps it back. Edit it here: rows are the
    slots of the concatenation (head 0's $D$ slots, then head 1's), columns the features.
    """)
    return


@app.cell
def _(FEATURES, mo):
    # start: head 0's slots go back to animal and plant, head 1's v₀ to describes, and its
    # animal-or-plant hint (v₁) half into animal, half (negated) into plant
    _W_O = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0.5, -0.5, 0, 0]]
    wo_matrix = mo.ui.matrix(
        [[float(v) for v in row] for row in _W_O],
        min_value=-3,
        max_value=3,
        step=0.1,
        precision=1,
        row_labels=["head 0 · v₀", "head 0 · v₁", "head 1 · v₀", "head 1 · v₁"],
        column_labels=list(FEATURES),
        label="W_O: concatenation slot → feature",
    )
    wo_matrix
    return (wo_matrix,)


@app.cell(hide_code=True)
def _(FEATURES, H, W_O, concat, markdown_matrix, mo, np):
    _D = concat.shape[1] // H
    _row = concat[-1]  # bark's concatenated row
    _parts = [_row[h * _D : (h + 1) * _D] @ W_O[h * _D : (h + 1) * _D] for h in range(H)]
    _both = [
        f for f, column in zip(FEATURES, np.array(_parts).T) if all(abs(v) > 1e-9 for v in column)
    ]
    _fed = [
        f
        for f, column in zip(FEATURES, W_O.T)
        if all(np.any(column[h * _D : (h + 1) * _D] != 0) for h in range(H))
    ]
    mo.md(
        "**What W_O does: it mixes the heads.** bark's output is its concatenated row times "
        "W_O. Split that product by rows of W_O: head h's D slots meet only W_O's D rows "
        "for head h, and the output is the **sum** of what each head writes:\n\n"
        + markdown_matrix(
            [*_parts, sum(_parts)],
            [f"head {h} writes" for h in range(H)] + ["output (the sum)"],
            FEATURES,
            corner="bark",
        )
        + "\n\n"
        + (
            f"W_O lets both heads write into **{', '.join(_fed)}**"
            + (f" (for bark now: {', '.join(_both)})" if _both else "")
            + ": those features of the output mix the heads. "
            if _fed
            else "With this W_O every feature hears from one head only: no mixing. Put a "
            "number in a row of head 0 and a row of head 1 of the same column to mix them. "
        )
        + "W_O is learned: it decides where each head's answer lands in the residual "
        "stream, and lets the next layer read the heads together."
    )
    return


@app.cell(hide_code=True)
def _(lesson, mo):
    _c = lesson.model.config
    mo.md(rf"""
    ## 4 · Heads are free

    The model of the next section has width $C = {_c.n_embd}$ and {_c.n_head} heads,
    each of width $D = {_c.n_embd // _c.n_head}$. Compare it with one head of width
    {_c.n_embd}: same $X$, same $C$, same $T$.
    """)
    return


@app.cell
def _(lesson, mo):
    _H = lesson.model.config.n_head
    cost_prediction = mo.ui.radio(
        options=[
            f"{_H} heads have about {_H} × the parameters of one head",
            f"{_H} heads have the same parameters and multiply-adds",
            f"{_H} heads have fewer parameters (each is {_H} × narrower)",
        ],
        label="Your prediction:",
    )
    cost_prediction
    return (cost_prediction,)


@app.cell(hide_code=True)
def _(
    GPT2_SMALL,
    attention_cost,
    cost_prediction,
    lesson,
    mo,
    multi_head_attention,
    np,
    scaled_dot_product,
    split_heads,
    time,
):
    def _cost_table(T, C, heads):
        _rows = [attention_cost(T, C, h) for h in heads]
        _head = "| | " + " | ".join(f"H = {h} (D = {C // h})" for h in heads) + " |\n"
        _head += "|:---|" + "---:|" * len(heads) + "\n"
        return _head + "\n".join(
            f"| {key} | " + " | ".join(f"{r[key]:,}" for r in _rows) + " |" for key in _rows[0]
        )

    def _timing(T, C, heads, repeats=30):
        """Seconds of the whole attention and of its step between split and concatenation,
        for each H in `heads`: the fastest of `repeats` runs, the H values interleaved so a
        busy machine slows them alike."""
        _rng = np.random.default_rng(0)
        _X = _rng.normal(size=(T, C))
        _args = (
            _rng.normal(size=(3 * C, C)), np.zeros(3 * C), _rng.normal(size=(C, C)), np.zeros(C)
        )  # fmt: skip
        _qkv = np.split(_rng.normal(size=(T, 3 * C)), 3, axis=1)
        _split = {H: [split_heads(part, H) for part in _qkv] for H in heads}
        _whole = {H: [] for H in heads}
        _step = {H: [] for H in heads}
        for _ in range(repeats):
            for H in heads:
                _start = time.perf_counter()
                multi_head_attention(_X, *_args, H)
                _middle = time.perf_counter()
                scaled_dot_product(*_split[H], causal=True)
                _whole[H].append(_middle - _start)
                _step[H].append(time.perf_counter() - _middle)
        return {H: (min(_whole[H]), min(_step[H])) for H in heads}

    _c = lesson.model.config
    _w = lesson.model.weights
    _per_layer = _w["h.0.attn.c_attn.weight"].size + _w["h.0.attn.c_proj.weight"].size
    _times = _timing(_c.block_size, _c.n_embd, [1, _c.n_head])
    (_one, _one_step), (_many, _many_step) = _times[1], _times[_c.n_head]
    _g = GPT2_SMALL
    _g1, _gH = attention_cost(_g["T"], _g["C"], 1), attention_cost(_g["T"], _g["C"], _g["H"])
    if cost_prediction.value is None:
        _out = mo.md("*Choose a prediction to see the counts.*")
    else:
        _right = "same" in cost_prediction.value
        _out = mo.md(
            ("**Right.** " if _right else "**No: the same.** ")
            + f"Counts for T = {_c.block_size}, C = {_c.n_embd} (attention only, no biases, "
            "the mask's savings not counted):\n\n"
            + _cost_table(_c.block_size, _c.n_embd, [1, 2, 4, 8])
            + "\n\nWhy: the heads **split** the width, they do not copy it. Each head's "
            "projections are C × D, so H of them are C × C, one head's worth; each head's "
            "scores cost T·T·D, so H of them cost T·T·C. Only the softmax runs H times "
            "(H·T·T exponentials, 1/D of the score products), small beside the rest. "
            f"The model's own arrays agree: the first layer's $W_Q, W_K, W_V$ (stored as one "
            f"{' × '.join(map(str, _w['h.0.attn.c_attn.weight'].shape))} matrix) and $W_O$ "
            f"({' × '.join(map(str, _w['h.0.attn.c_proj.weight'].shape))}) hold "
            f"{_per_layer:,} = 4 · {_c.n_embd}² numbers, and nothing in them says how many "
            "heads there are: the reshape does. GPT-2 small (Radford et al. 2019: "
            f"C = {_g['C']}, H = {_g['H']} heads of D = {_g['C'] // _g['H']}, T up to "
            f"{_g['T']:,}) has {_gH['parameters']:,} attention parameters per layer (no "
            f"biases) and {_gH['multiply-adds']:,} multiply-adds on a full context; with one "
            f"head it would have {_g1['parameters']:,} and {_g1['multiply-adds']:,}.\n\n"
            "**And the clock?** Measured here (NumPy, fastest of 30 runs each): "
            f"{_one * 1e3:.2f} ms with 1 head, {_many * 1e3:.2f} ms with {_c.n_head} "
            f"({_many / _one:.1f} ×). A clock is not a count: the multiply-adds above are "
            "equal, and wall time also depends on the implementation, the machine and what "
            "else runs on it; at a size this small, fixed overheads weigh a lot. What does "
            "grow with H is one row of the table: each head has its own T × T map, so "
            "scaling, masking and the softmax touch H·T·T numbers, "
            f"{_c.n_head} × as many as with one head (still only 1/D of the multiply-adds). "
            "The step between split and concatenation, where those maps live, took "
            f"{_one_step * 1e3:.2f} ms with 1 head and {_many_step * 1e3:.2f} ms with "
            f"{_c.n_head}. How much time that costs depends on the code and the sizes; the "
            "counts that fix a model's size and arithmetic do not change with H.\n\n"
            + "So heads are free in parameters and multiply-adds. What they trade is width: a "
            "head compares queries and keys in only D dimensions, so each can express "
            "simpler patterns than one head of width C, but there are H of them, each with "
            "its own softmax, and that is what section 1 needed."
        )
    _out
    return


@app.cell(hide_code=True)
def _(lesson, mo):
    _which = (
        "Below is a small GPT trained on Tiny Shakespeare, character by character"
        if lesson.trained
        else "Below is meant to be a small GPT trained on Tiny Shakespeare, character by "
        "character; its file is not here, so a random model of the same shape stands in "
        "(the callout below says which one command makes the trained one)"
    )
    mo.md(f"""
    ## 5 · What real heads attend to

    The toy heads did what you set. A trained model's heads set themselves, by gradient
    descent on next-character prediction. {_which}, running in this page in NumPy: the
    attention map of every head on **your text**, one layer at a time (click a head to
    enlarge it). Layers and heads are numbered from 0, as in the model's arrays.
    """)
    return


@app.cell
def _(load_lesson_model, mo):
    lesson = load_lesson_model(mo)
    return (lesson,)


@app.cell(hide_code=True)
def _(lesson, mo):
    mo.callout(
        mo.md(f"**Which model ran:** {lesson.description}"),
        kind="info" if lesson.trained else "warn",
    )
    return


@app.cell
def _(lesson, mo):
    real_source = mo.ui.radio(
        options=["my text", "a random string written twice"],
        value="my text",
        label="text",
        inline=True,
    )
    real_text = mo.ui.text_area(
        value="First Citizen:\nBefore we proceed any further, hear me speak.",
        label=f"your text (at most {lesson.block_size} characters: the model's context)",
        full_width=True,
        rows=2,
    )
    real_layer = mo.ui.slider(
        0, lesson.model.config.n_layer - 1, value=0, step=1, label="layer", show_value=True
    )
    return real_layer, real_source, real_text


@app.cell
def _(AttentionHeatmap, lesson, mo, np):
    _H = lesson.model.config.n_head
    real_map = mo.ui.anywidget(
        AttentionHeatmap(tokens=["a", "b"], weights=np.tile(np.eye(2), (_H, 1, 1)), decimals=2)
    )
    return (real_map,)


@app.cell(hide_code=True)
def _(lesson, mo, real_source, real_text, repeated_random_text):
    real_problem = None
    if real_source.value == "my text":
        _text = real_text.value
    else:
        _text = repeated_random_text(lesson.chars, lesson.block_size // 2, seed=0)
    if len(_text) > lesson.block_size:
        real_problem = (
            f"Your text has {len(_text)} characters; the model reads at most "
            f"{lesson.block_size}, so this shows the last {lesson.block_size}."
        )
        _text = _text[-lesson.block_size :]
    try:
        real_ids = lesson.encode(_text)
        if len(real_ids) < 2:
            raise ValueError("type at least two characters")
    except ValueError as _err:
        real_problem, real_ids = f"{_err}.", None
    _ = mo
    return real_ids, real_problem


@app.cell
def _(lesson, real_ids):
    real_weights = None if real_ids is None else lesson.model.forward(real_ids)[1]  # (L, H, T, T)
    return (real_weights,)


@app.cell(hide_code=True)
def _(
    lesson, mo, real_ids, real_layer, real_map, real_problem, real_source, real_text, real_weights
):
    if real_weights is not None:
        real_map.update(
            tokens=list(lesson.decode(real_ids)), weights=real_weights[real_layer.value]
        )
    _parts = [real_source, real_text] if real_source.value == "my text" else [real_source]
    if real_problem:
        _parts.append(mo.callout(mo.md(real_problem), kind="warn"))
    if real_weights is not None:
        _parts += [real_layer, real_map]
    mo.vstack(_parts)
    return


@app.cell(hide_code=True)
def _(LABEL_THRESHOLD, mo):
    mo.md(rf"""
    **What to look for.** A **previous-token head** draws a bright line just below the
    diagonal: every character looks one step back. That is how a layer can know *which
    character came before me*, which content alone cannot tell it (lesson 4: without
    positions attention is a bag; the model's learned position embeddings make one step
    back findable). An **induction head** builds on that one layer later: at a character
    it finds the **earlier occurrence** of the same character and attends to **what came
    after it**, the best guess for what comes next. On a random string written twice
    (choose it above; no character repeats within a copy), the second copy is predictable
    only that way: in the rows of the second copy, an induction head draws a diagonal
    stripe over the first copy's columns, one column right of each character's first
    occurrence. Olsson et al. (2022, *In-context learning and induction heads*)
    report induction heads in the transformers they studied with two or more layers,
    appearing abruptly during training.

    Two scores per head turn the pictures into numbers: **previous-token**, the mean
    weight a character puts on the one just before it; **induction**, the mean weight a
    character puts on the character that followed its latest earlier occurrence (over the
    characters that occurred before). A head gets the label when a score reaches
    {LABEL_THRESHOLD}.
    """)
    return


@app.cell
def _(AttentionHeatmap, ideal_heads, mo):
    ideal_map = mo.ui.anywidget(
        AttentionHeatmap(
            tokens=["a", "b"], weights=ideal_heads([0, 1]), decimals=2, selected_head=1
        )
    )
    return (ideal_map,)


@app.cell(hide_code=True)
def _(
    format_number,
    ideal_heads,
    ideal_map,
    induction_score,
    lesson,
    mo,
    previous_token_score,
    real_ids,
):
    if real_ids is None:
        _out = mo.md("")
    else:
        _ideal = ideal_heads(real_ids)
        ideal_map.update(tokens=list(lesson.decode(real_ids)), weights=_ideal)
        _prev = previous_token_score(_ideal[0])
        _ind = induction_score(_ideal[1], real_ids)
        _out = mo.vstack(
            [
                mo.md(
                    "**Made by hand, for comparison**, on the same text: head 0 is a "
                    f"perfect previous-token head (previous-token score "
                    f"{format_number(_prev)}), head 1 a perfect induction head (induction "
                    f"score {format_number(_ind) if _ind == _ind else '– (nothing repeats)'}"
                    "; characters with no earlier occurrence look at themselves). These are "
                    "not a model's heads: they are what the two labels mean."
                ),
                ideal_map,
            ]
        )
    _out
    return


@app.cell(hide_code=True)
def _(
    LABEL_THRESHOLD,
    distance_profile,
    format_number,
    head_label,
    induction_score,
    lesson,
    markdown_matrix,
    mo,
    np,
    previous_token_score,
    real_ids,
    real_layer,
    real_weights,
    uniform_causal,
):
    if real_weights is None:
        _out = mo.md("")
    else:
        _T = len(real_ids)
        _prev = previous_token_score(real_weights)  # (L, H)
        _ind = induction_score(real_weights, real_ids)
        _even = uniform_causal(_T)
        _base_prev, _base_ind = previous_token_score(_even), induction_score(_even, real_ids)
        _L, _H = _prev.shape

        def _score(value):
            return format_number(value) if value == value else "–"

        def _cell(layer, h):
            _label = head_label(_prev[layer, h], _ind[layer, h])
            _text = f"{_score(_prev[layer, h])} · {_score(_ind[layer, h])}"
            return f"**{_text}** {_label}" if _label else _text

        _table = (
            "| layer | " + " | ".join(f"head {h}" for h in range(_H)) + " |\n"
            + "|:---|" + "---:|" * _H + "\n"
            + "\n".join(
                f"| {layer} | " + " | ".join(_cell(layer, h) for h in range(_H)) + " |"
                for layer in range(_L)
            )
        )  # fmt: skip

        def _verdict(name, scores, baseline):
            if np.all(np.isnan(scores)):
                return f"No {name} score: no character of this text occurred before."
            _l, _h = np.unravel_index(np.nanargmax(scores), scores.shape)
            _best = scores[_l, _h]
            _where = f"layer {_l} head {_h}, {format_number(_best)}"
            _ratio = f"{_best / baseline:.1f} × an even spread" if baseline > 0 else ""
            _n = int(np.sum(scores >= LABEL_THRESHOLD))
            if _n:
                return f"**{_n} {name} head{'s' if _n > 1 else ''}** (strongest: {_where})."
            return (
                f"No {name} head reaches {LABEL_THRESHOLD}; the strongest is {_where} ({_ratio})."
            )

        _layer = real_layer.value
        _profiles = distance_profile(real_weights[_layer], 6)
        _baseline = distance_profile(_even, 6)
        _near = _profiles[:, :3].sum(axis=1)
        _columns = ["itself", *[f"{k} back" for k in range(1, 6)], "farther"]
        _out = mo.vstack(
            [
                mo.md(
                    f"**How far back the heads of layer {_layer} look** on this "
                    "text (the share of attention k characters back, averaged over the "
                    "characters; each row sums to 1):\n\n"
                    + markdown_matrix(
                        [*_profiles, _baseline],
                        [f"head {h}" for h in range(_H)] + ["an even spread"],
                        _columns,
                        corner="head",
                    )
                    + f"\n\nWithin the last three characters (itself, 1 and 2 back): "
                    f"{', '.join(format_number(v) for v in _near)} for heads 0–{_H - 1}, against "
                    f"{format_number(_baseline[:3].sum())} for an even spread."
                ),
                mo.md(
                    "**Scores of every head** (previous-token · induction) on this text; "
                    f"an even spread would score {_score(_base_prev)} · {_score(_base_ind)}."
                    "\n\n" + _table + "\n\n"
                    + _verdict("previous-token", _prev, _base_prev) + " "
                    + _verdict("induction", _ind, _base_ind)
                ),
                mo.md(
                    "This model is small and briefly trained "
                    f"({lesson.meta.get('steps', 0):,} steps, a context of "
                    f"{lesson.block_size} characters): what the scores say is what it "
                    "learned, not what a large model learns."
                    if lesson.trained
                    else "These are the random stand-in's heads: they spread their "
                    "attention almost evenly, which is what the scores say. Trained heads "
                    "differ; the callout above says how to get them."
                ),
            ]
        )  # fmt: skip
    _out
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    This is the view BertViz (Vig, 2019) gives of BERT and GPT-2, on a model small enough
    to run in your browser: every head of a layer at once, on text you choose, with the
    patterns measured rather than eyeballed.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Recap

    - One attention head has one softmax per token: its weights sum to 1, so two
      relations compete for one budget. A token that needs two things needs two heads.
    - Multi-head attention: split $XW_Q$, $XW_K$, $XW_V$ into $H$ heads of width
      $D = C/H$, attend in each, concatenate, project with $W_O$. You can name every
      shape from $(T, C)$ to $(H, T, D)$ and back.
    - The fused $C \times C$ form computes exactly the per-head loop (measured above,
      and why); $W_O$ is what mixes the heads.
    - $H$ heads cost what one head of width $C$ costs: $4C^2$ parameters, the same
      multiply-adds. The heads are narrower, not extra.
    - A trained model's heads set their own patterns. You can draw every head's map on
      your own text, score each head for the two patterns with names (previous-token,
      induction), and report what you find, even when no head reaches the mark.

    A layer of heads gathers information; nothing yet *computes* with it. Lesson 8 adds
    the feed-forward network, residual connections and layer norm around it: the
    transformer block.
    """)
    return


@app.cell(hide_code=True)
def _(mo, next_lesson_markdown):
    mo.md(next_lesson_markdown(7, mo))
    return


if __name__ == "__main__":
    app.run()

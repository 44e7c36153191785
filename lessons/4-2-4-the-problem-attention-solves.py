# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25.2",
#     "anywidget>=0.11",
#     "traitlets>=5.9",
#     "numpy>=1.26",
# ]
# ///
"""Lesson 4 (module 4.2): the problem attention solves.

Context changes meaning; a bag of words loses it; averaging is a weight matrix (uniform, causal
`tril`, then softmax(X Xᵀ) masked: Karpathy's data-dependent averaging); dot-product attention on
raw embeddings (no projections) lets tokens look at each other, does not restore word order (positions do),
and shows what one vector per token cannot express: the score matrix is symmetric, and a token tends to match itself most.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="4 · The Problem Attention Solves")


@app.cell(hide_code=True)
def _():
    import marimo as mo
    import numpy as np

    from core.course.attention_lessons import (
        FEATURES,
        SENTENCES,
        TOY_EMBEDDINGS,
        format_number,
        markdown_matrix,
        toy_sentence,
        toy_tokens,
    )
    from core.course.catalog import next_lesson_markdown
    from core.mirrors.attention import attention_stages, softmax
    from core.mirrors.positions import with_positions
    from widgets import AttentionHeatmap, VectorPlane

    def matrix_block(title, matrix, rows, columns, **options):
        """A bold title over a labelled table (options go to `markdown_matrix`)."""
        return mo.vstack(
            [mo.md(title), mo.md(markdown_matrix(matrix, rows, columns, **options))], gap=0
        )

    return (
        AttentionHeatmap,
        FEATURES,
        SENTENCES,
        TOY_EMBEDDINGS,
        VectorPlane,
        attention_stages,
        format_number,
        markdown_matrix,
        matrix_block,
        mo,
        next_lesson_markdown,
        np,
        softmax,
        toy_sentence,
        toy_tokens,
        with_positions,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # The Problem Attention Solves

    *Module 4.2 · Lesson 4 of 18*

    A word means different things next to different words, yet an embedding table gives
    every token one fixed vector. In this lesson you let tokens look at each other with the
    simplest tool there is, the dot product, and then find out, with your own hands, what
    that tool cannot express. Lesson 5 repairs it.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 1 · One word, two meanings

    *Bark* is a sound in **the dog's bark** and the skin of a trunk in **the tree's bark**.
    An embedding table (lesson 3) looks a token's vector up by its id alone, so the
    neighbours play no part. To see it in numbers, here is a toy table whose three
    features mean something:
    """)
    return


@app.cell(hide_code=True)
def _(FEATURES, TOY_EMBEDDINGS, markdown_matrix, mo):
    mo.md(
        markdown_matrix(
            list(TOY_EMBEDDINGS.values()),
            list(TOY_EMBEDDINGS),
            FEATURES,
            corner="token ↓ · feature →",
            decimals=1,
        )
        + "\n\n*bark* has a little of *animal* and of *plant*, because it may belong to "
        "either, and a lot of *owned*: it is something that belongs to someone."
    )
    return


@app.cell
def _(SENTENCES, toy_sentence):
    tokens_a, X_a = toy_sentence(SENTENCES[0])
    tokens_b, X_b = toy_sentence(SENTENCES[1])
    return X_a, X_b, tokens_a, tokens_b


@app.cell(hide_code=True)
def _(SENTENCES, X_a, X_b, mo, np):
    mo.md(
        f"Looked up in the table, *bark* is `{X_a[3].tolist()}` in *{SENTENCES[0]}* and "
        f"`{X_b[3].tolist()}` in *{SENTENCES[1]}*: the same vector "
        f"(`np.array_equal` says **{np.array_equal(X_a[3], X_b[3])}**). Whatever reads it "
        "next cannot tell which bark it is."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 2 · A bag of words loses the order

    The crudest way to give a token its context: average all the vectors of the sentence
    and hand that average to every token. But an average does not care about order.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 1.** Write a *different* sentence, using only the words
    `the dog tree 's bark`, whose average vector equals that of **the dog 's bark**.
    """)
    return


@app.cell
def _(mo):
    bag_text = mo.ui.text(placeholder="the ...", label="your sentence", full_width=True)
    bag_text
    return (bag_text,)


@app.cell(hide_code=True)
def _(SENTENCES, X_a, bag_text, format_number, mo, np, toy_sentence, toy_tokens):
    def _vector(v):
        return "[" + ", ".join(format_number(x) for x in v) + "]"

    _target = X_a.mean(axis=0)
    try:
        _tokens, _X = toy_sentence(bag_text.value)
        _problem = None
    except ValueError as _error:
        _problem = str(_error)
    if not bag_text.value.strip():
        _kind, _text = "neutral", "Type a sentence above."
    elif _problem is not None:
        _kind, _text = "warn", f"{_problem}."
    elif _tokens == toy_tokens(SENTENCES[0]):
        _kind, _text = "warn", "That is the sentence itself. Use the same words in another order."
    elif not np.allclose(_X.mean(axis=0), _target):
        _kind, _text = (
            "warn",
            f"Your average is {_vector(_X.mean(axis=0))}; *{SENTENCES[0]}* averages to "
            f"{_vector(_target)}. Hint: use the same four words, each once.",
        )
    else:
        _kind, _text = (
            "success",
            f"Correct: *{' '.join(_tokens)}* and *{SENTENCES[0]}* both average to "
            f"{_vector(_target)}. A bag of words cannot tell them apart, yet the same "
            "words in another order make another sentence (or no sentence at all).",
        )
    mo.callout(mo.md(f"**Exercise 1.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 3 · Let every token look at the others

    Better: give each token its *own* mix of the sentence, weighted by how well the other
    tokens match it. The simplest measure of a match is the **dot product**

    $$x_i \cdot x_j = \sum_f x_{i,f}\, x_{j,f} = |x_i|\,|x_j| \cos\theta,$$

    large when two vectors are long and point the same way, zero at a right angle, negative
    when they point apart. A **softmax** then turns each token's row of scores into weights
    that are positive and sum to 1, as it turned a classifier's scores into probabilities
    in series 2.

    Below, the four tokens of *the dog 's bark* with **two** of the table's features,
    *animal* across and *owned* up, so that you can drag them (*the* has neither and sits
    at the origin). On the right, row *i* shows how token *i* divides its attention
    (darker is more). The map already uses lesson 5's words: a row is a *query* (the token
    looking), a column a *key* (the token looked at).
    """)
    return


@app.cell
def _(AttentionHeatmap, FEATURES, TOY_EMBEDDINGS, VectorPlane, mo, np):
    _names = ["the", "dog", "'s", "bark"]
    _axes = ("animal", "owned")  # two of the table's three features, as (x, y)
    plane = mo.ui.anywidget(
        VectorPlane(
            names=_names,
            vectors=[[TOY_EMBEDDINGS[t][FEATURES.index(a)] for a in _axes] for t in _names],
            extent=2.0,
            axis_labels=_axes,
        )
    )
    plane_heatmap = mo.ui.anywidget(AttentionHeatmap(tokens=_names, weights=np.full((4, 4), 0.25)))
    mo.hstack([plane, plane_heatmap], justify="start", gap=1, align="start")
    return plane, plane_heatmap


@app.cell
def _(np, plane):
    plane_names = list(plane.names)
    plane_vectors = np.array(plane.vectors)
    plane_scores = plane_vectors @ plane_vectors.T  # (4, 4): every dot product at once
    return plane_names, plane_scores


@app.cell
def _(plane_heatmap, plane_names, plane_scores, softmax):
    plane_weights = softmax(plane_scores)  # each row sums to 1
    plane_heatmap.update(tokens=plane_names, weights=plane_weights)
    return (plane_weights,)


@app.cell(hide_code=True)
def _(markdown_matrix, mo, np, plane_names, plane_scores):
    mo.md(
        "The **scores** behind those weights: row *i*, column *j* holds "
        "$x_i \\cdot x_j$ (the diagonal in bold).\n\n"
        + markdown_matrix(
            plane_scores,
            plane_names,
            plane_names,
            corner="looking ↓ · looked at →",
            bold=np.eye(len(plane_names), dtype=bool),
        )
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 2.** *bark* needs its owner. Drag the arrows until **bark puts its largest
    weight on dog**, not on itself.
    """)
    return


@app.cell(hide_code=True)
def _(format_number, mo, np, plane_names, plane_scores, plane_weights):
    _bark, _dog = plane_names.index("bark"), plane_names.index("dog")
    _top = int(np.argmax(plane_weights[_bark]))
    if _top == _dog and plane_weights[_bark, _dog] > plane_weights[_bark, _bark]:
        _kind = "success"
        _text = (
            f"Correct: bark gives dog {format_number(plane_weights[_bark, _dog])} of its "
            f"attention. Now read dog's row: dog scores bark "
            f"{format_number(plane_scores[_dog, _bark])} (the same number as bark→dog), and "
            f"itself {format_number(plane_scores[_dog, _dog])}."
        )
    else:
        _kind = "warn"
        _text = (
            f"bark's largest weight is on **{plane_names[_top]}**: it scores itself "
            f"{format_number(plane_scores[_bark, _bark])} (its squared length) and dog "
            f"{format_number(plane_scores[_bark, _dog])}. Hint: bark · dog = |bark| |dog| cos θ; "
            "make dog longer, or point it more along bark."
        )
    mo.callout(mo.md(f"**Exercise 2.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 3.** Try for a minute to make *both* bark and dog prefer each other over
    themselves, then answer:
    """)
    return


@app.cell
def _(mo):
    mutual_radio = mo.ui.radio(
        options=[
            "yes, with the right drag",
            "no, never",
            "only if both vectors have the same length",
        ],
        label="Can two tokens each score the other above themselves?",
    )
    mutual_radio
    return (mutual_radio,)


@app.cell(hide_code=True)
def _(format_number, mo, mutual_radio, plane_names, plane_scores):
    _b, _d = plane_names.index("bark"), plane_names.index("dog")
    _now = (
        f"Right now bark·dog = {format_number(plane_scores[_b, _d])}, "
        f"bark·bark = {format_number(plane_scores[_b, _b])}, "
        f"dog·dog = {format_number(plane_scores[_d, _d])}."
    )
    if mutual_radio.value is None:
        _kind, _text = "neutral", f"Pick an answer. {_now}"
    elif mutual_radio.value == "no, never":
        _kind = "success"
        _text = (
            "Correct. Both would need $a\\cdot b > |a|^2$ and $a\\cdot b > |b|^2$, so "
            "$(a\\cdot b)^2 > |a|^2|b|^2$; but $a\\cdot b = |a||b|\\cos\\theta \\le |a||b|$. "
            "Whichever of the two is longer prefers itself, or at best ties. " + _now
        )
    else:
        _kind = "warn"
        _text = (
            "Not quite: try it in the plane, and watch which of the two prefers itself. "
            "Hint: compare $a\\cdot b = |a||b|\\cos\\theta$ with $|a|^2$ and $|b|^2$ when "
            "$|a| \\ge |b|$. " + _now
        )
    mo.callout(mo.md(f"**Exercise 3.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 4 · From averaging to attention: one weight matrix

    Section 2's bag of words is a matrix product too. Put the weights in a $T \times T$
    matrix $W$, every entry $1/T$: row $i$ of $W X$ is $\sum_j W_{ij}\, x_j$, the sentence's
    average, the same for every token. Attention has exactly this shape, $A X$; only the
    weights differ. Step from one to the other the way Karpathy does in *Let's build GPT*:

    1. **uniform average**: $W_{ij} = 1/T$ (section 2's bag of words).
    2. **causal average**: a model that predicts the next word may not look at the words
       after it (lesson 5 says why), so keep only the lower triangle (`np.tril`) and
       divide each row by its count: token $i$ averages tokens $0, \dots, i$.
    3. **softmax(X Xᵀ), masked**: the same triangle, but the weights inside it come from
       the dot products of section 3, so they depend on the tokens themselves. Karpathy
       calls it **data-dependent averaging**.

    Switch between the three: the map shows $W$ (row $i$: how token $i$ divides its
    weight), the table the rows of $W X$.
    """)
    return


@app.cell
def _(mo):
    averaging_radio = mo.ui.radio(
        options=["uniform average", "causal average (tril)", "softmax(X Xᵀ), masked"],
        value="uniform average",
        label="weights W",
    )
    return (averaging_radio,)


@app.cell
def _(AttentionHeatmap, mo, np, tokens_a):
    bridge_heatmap = mo.ui.anywidget(
        AttentionHeatmap(tokens=tokens_a, weights=np.full((len(tokens_a),) * 2, 1 / len(tokens_a)))
    )
    return (bridge_heatmap,)


@app.cell
def _(X_a, attention_stages, np, softmax):
    _T = len(X_a)
    _tril = np.tril(np.ones((_T, _T)))
    bridge_weights = {
        "uniform average": np.full((_T, _T), 1 / _T),
        "causal average (tril)": _tril / _tril.sum(axis=1, keepdims=True),  # rows sum to 1
        # lesson 5's causal mask, no projections, no scale: W_Q = W_K = I
        "softmax(X Xᵀ), masked": attention_stages(X_a, causal=True, scale=False)["weights"],
    }
    # Karpathy's way to the causal average: softmax of all-zero scores, -inf above the diagonal
    bridge_zero_scores = np.where(_tril == 1, 0.0, -np.inf)
    bridge_tril_matches = bool(
        np.allclose(softmax(bridge_zero_scores), bridge_weights["causal average (tril)"])
    )
    return bridge_tril_matches, bridge_weights


@app.cell
def _(X_a, averaging_radio, bridge_heatmap, bridge_weights, tokens_a):
    bridge_W = bridge_weights[averaging_radio.value]
    bridge_out = bridge_W @ X_a  # (T, T) @ (T, C) = (T, C): row i mixes the tokens by row i of W
    bridge_heatmap.update(tokens=tokens_a, weights=bridge_W)
    return bridge_W, bridge_out


@app.cell(hide_code=True)
def _(
    FEATURES,
    SENTENCES,
    X_a,
    averaging_radio,
    bridge_heatmap,
    bridge_out,
    matrix_block,
    mo,
    tokens_a,
):
    mo.vstack(
        [
            averaging_radio,
            mo.hstack(
                [
                    bridge_heatmap,
                    matrix_block(
                        f"**W X** for *{SENTENCES[0]}*",
                        bridge_out,
                        tokens_a,
                        FEATURES,
                        corner="new vector of ↓",
                    ),
                    matrix_block("**X**", X_a, tokens_a, FEATURES, corner="token", decimals=1),
                ],
                justify="start",
                gap=1.5,
                align="start",
                wrap=True,
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(
    X_a,
    averaging_radio,
    bridge_W,
    bridge_out,
    bridge_tril_matches,
    bridge_weights,
    format_number,
    mo,
    np,
    tokens_a,
):
    def _vec(v):
        return "(" + ", ".join(format_number(x) for x in v) + ")"

    _b = tokens_a.index("bark")
    _same_rows = bool(np.allclose(bridge_out, bridge_out[0]))
    _mode = averaging_radio.value
    if _mode == "uniform average":
        _text = (
            f"Every row of W X is the same (`np.allclose`: **{_same_rows}**), "
            f"{_vec(bridge_out[0])}, the average of section 2. Every token gets the whole "
            "sentence's average, including the words that come after it."
        )
    elif _mode == "causal average (tril)":
        _text = (
            f"Row *{tokens_a[0]}* sees only itself and keeps {_vec(bridge_out[0])}; row "
            f"*bark*, last, averages all {len(tokens_a)} tokens, {_vec(bridge_out[_b])} "
            "(the uniform average itself). The rows differ now, but only by position: token "
            f"*i* splits its weight equally, 1/(i+1), whatever the tokens are (bark gives "
            f"each token {format_number(bridge_W[_b, 0])}). Written Karpathy's way, a softmax "
            "of an all-zero score matrix with −∞ above the diagonal gives this same matrix "
            f"(`np.allclose`: **{bridge_tril_matches}**): zero scores, equal weights."
        )
    else:
        _tril = bridge_weights["causal average (tril)"]
        _row = ", ".join(f"*{t}* {format_number(w)}" for t, w in zip(tokens_a, bridge_W[_b]))
        _top = tokens_a[int(np.argmax(bridge_W[_b]))]
        _text = (
            "The same triangle, but inside it the weights follow the scores $X X^\\top$. "
            f"bark, which gave every token {format_number(_tril[_b, 0])} in the causal "
            f"average, now gives {_row}: most to "
            + (
                "itself, the vector that matches its own best (section 7 comes back to that)"
                if _top == "bark"
                else f"*{_top}*, the token whose vector matches bark's best"
            )
            + f". Row *bark* of W X is {_vec(bridge_out[_b])}, not the plain "
            f"average {_vec(X_a.mean(axis=0))}. That is attention: averaging with weights "
            "computed from the data."
        )
    mo.md(_text)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 5 · Trace it by hand: four tokens, three features

    Now the whole operation on the toy table, with nothing learned in it and no mask
    (every token sees every other, as in section 3):

    1. **scores** $S = X X^\top$, every token against every token;
    2. **weights** $A = \mathrm{softmax}(S)$, row by row;
    3. **new vectors** $A X$: token *i* becomes the mix $\sum_j A_{ij}\, x_j$.

    Edit the embedding table (drag an entry sideways, or double-click it and type).
    Both sentences are built from it.
    """)
    return


@app.cell
def _(FEATURES, TOY_EMBEDDINGS, mo):
    embedding_matrix = mo.ui.matrix(
        [list(v) for v in TOY_EMBEDDINGS.values()],
        min_value=-2,
        max_value=2,
        step=0.1,
        precision=1,
        row_labels=list(TOY_EMBEDDINGS),
        column_labels=list(FEATURES),
        label="embedding table: one row per token",
    )
    sentence_radio = mo.ui.radio(
        options=["the dog 's bark", "the tree 's bark"], value="the dog 's bark", label="sentence"
    )
    mo.hstack([embedding_matrix, sentence_radio], justify="start", gap=4)
    return embedding_matrix, sentence_radio


@app.cell
def _(TOY_EMBEDDINGS, embedding_matrix, np, sentence_radio, toy_tokens):
    table = dict(zip(TOY_EMBEDDINGS, np.array(embedding_matrix.value, dtype=float)))

    def embed(text):
        """(tokens, X) for a sentence, looked up in the edited table."""
        _tokens = toy_tokens(text)
        return _tokens, np.array([table[t] for t in _tokens])

    tokens, X = embed(sentence_radio.value)
    S = X @ X.T  # (4, 4) scores
    return S, X, embed, tokens


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 4.** Before the tables, one score by hand: from the embedding table above,
    compute the score of *bark* looking at *tree* in **the tree 's bark**,
    $x_\text{bark} \cdot x_\text{tree}$. (Edit the table first if you like: the check
    follows your numbers.) The tables appear once you have typed an answer.
    """)
    return


@app.cell
def _(mo):
    score_number = mo.ui.number(value=None, step=0.01, label="bark · tree =")
    score_number
    return (score_number,)


@app.cell(hide_code=True)
def _(FEATURES, embed, format_number, mo, np, score_number):
    _tokens, _X = embed("the tree 's bark")
    _bark, _tree = _X[_tokens.index("bark")], _X[_tokens.index("tree")]
    _answer = float(_bark @ _tree)
    _terms = " + ".join(
        f"{format_number(b, 1)}·{format_number(t, 1)}" for b, t in zip(_bark, _tree)
    )
    _plane = [FEATURES.index("animal"), FEATURES.index("owned")]  # section 3's two features
    # the usual slips, each named; checked only when it gives another number than the answer
    _slips = [
        (
            float(_bark[_plane] @ _tree[_plane]),
            "That uses only *animal* and *owned*, the two features of section 3's plane. "
            "Here all three count: add the *plant* product too.",
        ),
        (
            float(_bark @ _bark),
            "That is bark with itself, |bark|²: use tree's row for the second vector.",
        ),
        (float(_bark.sum() + _tree.sum()), "That adds the entries; multiply them pairwise."),
    ]
    _value = score_number.value
    if _value is None:
        _kind, _text = "neutral", "Type your answer above."
    elif np.isclose(_value, _answer, atol=0.006):
        _kind, _text = "success", f"Correct: {_terms} = {format_number(_answer)}."
    else:
        _kind = "warn"
        _text = next(
            (
                h
                for v, h in _slips
                if not np.isclose(v, _answer) and np.isclose(_value, v, atol=0.006)
            ),
            f"{format_number(_value)} is not it. Hint: multiply bark's and tree's entries "
            f"feature by feature ({', '.join(FEATURES)}) and add the three products.",
        )
    mo.callout(mo.md(f"**Exercise 4.** {_text}"), kind=_kind)
    return


@app.cell
def _(S, X, attention_stages, np, softmax):
    A = softmax(S)  # (4, 4) weights, each row sums to 1
    new_X = A @ X  # (4, 3) each token's mix of the sentence
    # verify: core's attention with no projections (W_Q = W_K = W_V = I), no mask, no scale
    trace_matches_core = bool(
        np.allclose(new_X, attention_stages(X, causal=False, scale=False)["output"])
    )
    return A, new_X, trace_matches_core


@app.cell(hide_code=True)
def _(A, FEATURES, S, X, matrix_block, mo, new_X, np, score_number, tokens):
    mo.stop(
        score_number.value is None,
        mo.md(
            "*The tables of scores, weights and new vectors appear here once you have "
            "typed an answer to exercise 4.*"
        ),
    )
    _diag = np.eye(len(tokens), dtype=bool)
    _pairs = "↓ looks at →"
    mo.hstack(
        [
            matrix_block("**X**: embeddings", X, tokens, FEATURES, corner="token", decimals=1),
            matrix_block("**S = X Xᵀ**: scores", S, tokens, tokens, corner=_pairs, bold=_diag),
            matrix_block(
                "**A = softmax(S)**: weights", A, tokens, tokens, corner=_pairs, bold=_diag
            ),
            matrix_block("**A X**: new vectors", new_X, tokens, FEATURES, corner="token"),
        ],
        justify="start",
        gap=1,
        wrap=True,
    )
    return


@app.cell(hide_code=True)
def _(
    A,
    FEATURES,
    SENTENCES,
    embed,
    format_number,
    markdown_matrix,
    mo,
    np,
    score_number,
    softmax,
    tokens,
    trace_matches_core,
):
    mo.stop(score_number.value is None)

    def _new_bark(text):
        _tokens, _X = embed(text)
        return (softmax(_X @ _X.T) @ _X)[_tokens.index("bark")]

    _b = tokens.index("bark")
    _barks = [_new_bark(s) for s in SENTENCES]
    _differ = not np.allclose(*_barks)
    _self, _owner = A[_b, _b], A[_b, 1]
    if _self > _owner:
        _where = (
            f"{format_number(_self)} to itself, only {format_number(_owner)} to "
            f"{tokens[1]}, its owner."
        )
    else:
        _where = (
            f"{format_number(_owner)} to {tokens[1]}, its owner, and "
            f"{format_number(_self)} to itself: your edited table lets bark find its owner "
            "first."
        )
    mo.md(
        "**Context works, a little.** bark's new vector in each sentence:\n\n"
        + markdown_matrix(_barks, [f"bark in “{s}”" for s in SENTENCES], FEATURES, corner="")
        + "\n\n"
        + (
            "The two barks now differ: each has taken in some of its owner. "
            if _differ
            else "The two barks are still the same vector: with your edited table, dog and tree "
            "contribute alike. "
        )
        + f"Look at where bark's attention went (row *bark* of **A**): {_where}\n\n"
        + "Those three steps are all of it: `core.mirrors.attention.attention_stages`, "
        "with no projections, no mask and no scale, gives the same **A X** (`np.allclose`: "
        f"**{trace_matches_core}**), and section 6 uses it."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 6 · Attention does not see the order either

    Section 2's bag of words forgot the order. Does attention bring it back? Run the same
    operation on the words of exercise 1 in another order, **the bark 's dog**, and line
    its rows up with those of **the dog 's bark**.
    """)
    return


@app.cell
def _(mo):
    position_checkbox = mo.ui.checkbox(
        value=False, label="give each token a position feature (sin p, cos p)"
    )
    return (position_checkbox,)


@app.cell
def _(FEATURES, attention_stages, embed, np, position_checkbox, with_positions):
    ORDER_SENTENCES = ("the dog 's bark", "the bark 's dog")

    def order_run(text, causal=False):
        """(tokens, columns, X, output) of raw attention softmax(X Xᵀ) X on `text`."""
        _tokens, _X = embed(text)
        _columns = list(FEATURES)
        if position_checkbox.value:
            _X = with_positions(_X, width=2)  # the features stay; two columns are added
            _columns += ["sin p", "cos p"]
        _out = attention_stages(_X, causal=causal, scale=False)["output"]  # W_Q = W_K = W_V = I
        return _tokens, _columns, _X, _out

    order_runs = [order_run(t) for t in ORDER_SENTENCES]
    _tokens_a, _, _, _out_a = order_runs[0]
    _tokens_b, _, _, _out_b = order_runs[1]
    order_perm = [_tokens_b.index(t) for t in _tokens_a]  # row of b that holds a's token
    # measured on the hand-made features only: the appended position columns differ anyway
    order_gap = float(np.abs(_out_b[order_perm] - _out_a)[:, : len(FEATURES)].max())
    return ORDER_SENTENCES, order_gap, order_perm, order_run, order_runs


@app.cell(hide_code=True)
def _(ORDER_SENTENCES, matrix_block, mo, order_runs):
    mo.hstack(
        [
            matrix_block(
                f"**softmax(X Xᵀ) X** for *{_text}*",
                _out,
                _tokens,
                _columns,
                corner=f"in “{_text}”",
            )
            for _text, (_tokens, _columns, _X, _out) in zip(ORDER_SENTENCES, order_runs)
        ],
        justify="start",
        gap=2,
        wrap=True,
    )
    return


@app.cell(hide_code=True)
def _(ORDER_SENTENCES, format_number, mo, order_gap, order_runs):
    _tokens_a, _tokens_b = order_runs[0][0], order_runs[1][0]
    _same = order_gap < 1e-9
    if _same:
        _text = (
            "**Same rows, reordered.** Every token gets exactly the same new vector in both "
            f"sentences (largest difference {format_number(order_gap, 3)}): *dog* is row "
            f"{_tokens_a.index('dog') + 1} of one table and row {_tokens_b.index('dog') + 1} "
            f"of the other, *bark* row {_tokens_a.index('bark') + 1} and row "
            f"{_tokens_b.index('bark') + 1}, with the same numbers. Each token mixes the same "
            "tokens with the same weights wherever they stand: without positions, attention "
            "is a weighted bag of words."
        )
    else:
        _text = (
            "**Now the order shows.** With a position feature the rows differ, and not only "
            "in the position columns: the largest difference in the hand-made features is "
            f"{format_number(order_gap, 3)}, so the weights themselves changed. *dog* at position "
            f"{_tokens_a.index('dog')} and *dog* at position {_tokens_b.index('dog')} are "
            "different vectors, so they match, and are matched, differently."
        )
    mo.callout(mo.md(_text), kind="success" if not _same else "warn")
    return


@app.cell(hide_code=True)
def _(ORDER_SENTENCES, format_number, mo, order_run):
    _rows = []
    for _text in ORDER_SENTENCES:
        _tokens, _, _, _out = order_run(_text, causal=True)
        _rows.append((_tokens, _out[_tokens.index("dog")]))
    _vec = ["(" + ", ".join(format_number(v) for v in r[:3]) + ")" for _, r in _rows]
    _seen = []
    for _t, _ in _rows:
        _names = [f"*{w}*" for w in _t[: _t.index("dog") + 1]]
        _seen.append(", ".join(_names[:-1]) + " and " + _names[-1])
    _positions = ", ".join(str(p) for p in range(len(_rows[0][0])))
    mo.md(
        rf"""
    Where does order come from, then? Section 4's triangle, the **causal mask** of lesson
    5, lets each token see only itself and the tokens before it. That lets order in, but
    only through *what* each token sees. With the mask, *dog* in *{ORDER_SENTENCES[0]}* sees {_seen[0]} and
    becomes {_vec[0]} in the hand-made features, while in *{ORDER_SENTENCES[1]}* it sees
    {_seen[1]} and becomes {_vec[1]}; what it does see is still a bag.

    The real answer is **positional encodings** (lesson 3): a vector for each position,
    joined to the token's embedding. Tick the box below to append two position features,
    $\sin p$ and $\cos p$ for positions $p = {_positions}$ (the simplest of lesson 3's
    sinusoids), to every token, leaving its hand-made features as they are. The tables
    above follow.
    """
    )
    return


@app.cell(hide_code=True)
def _(position_checkbox):
    position_checkbox
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 7 · What one vector per token cannot say
    """)
    return


@app.cell(hide_code=True)
def _(FEATURES, S, X, format_number, mo, np, tokens):
    _b, _d = tokens.index("bark"), 1
    _o = FEATURES.index("owned")
    _self_top = [t for i, t in enumerate(tokens) if S[i, i] > np.delete(S[i], i).max()]
    mo.md(
        f"""
    **The scores are symmetric.** $x_i \\cdot x_j = x_j \\cdot x_i$, so
    $S = S^\\top$ (here: **{np.allclose(S, S.T)}**). bark → {tokens[1]} scores
    {format_number(S[_b, _d])}, and {tokens[1]} → bark scores the same
    {format_number(S[_d, _b])}. Yet the relation is one-sided: *bark* needs an owner;
    *{tokens[1]}* does not need a bark.

    **A token tends to match itself best.** The diagonal holds $x_i \\cdot x_i = |x_i|^2$, and
    $x_i \\cdot x_j \\le |x_i|\\,|x_j|$, so unless a neighbour is longer *and* points the
    same way, the token's own score wins. Here {len(_self_top)} of {len(tokens)} tokens
    score themselves above every other token ({", ".join(_self_top)}). bark scores itself
    {format_number(S[_b, _b])}, of which {format_number(X[_b, _o] ** 2)} comes from
    *owned* alone. *owned* says "I belong to someone", and the token that has the most of
    it is {tokens[int(np.argmax(X[:, _o]))]}; {tokens[1]}, the owner bark is looking for, has
    {format_number(X[1, _o], 1)} of it, and scores {format_number(S[_b, 1])} with bark.

    **Two tokens cannot both prefer each other** (exercise 3): the longer one prefers
    itself, or at best ties.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    The root of all three: each token has **one** vector, used both for *what it looks
    for* and for *what it offers to others*. bark should look for "animal or plant" while
    offering "owned"; a single vector cannot point both ways.

    What if every token had two vectors made from its embedding by two learned matrices:
    a **query** for what it seeks and a **key** for what it offers? That is lesson 5.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Recap

    - An embedding table gives a token the same vector in every context.
    - Averaging a sentence (a bag of words) forgets the order.
    - Averaging is a weight matrix times $X$: uniform, causal (`tril`, each row averaged),
      or $\mathrm{softmax}(X X^\top)$ under the same triangle, whose weights come from the
      tokens themselves: data-dependent averaging.
    - Dot-product attention lets each token mix in the tokens that match it:
      $\mathrm{softmax}(X X^\top)\,X$.
    - It does not see word order: reorder the words and the rows come out reordered,
      nothing else. Order comes from positional encodings (lesson 3); the causal mask
      (lesson 5) lets it in only through what each token may see.
    - With raw embeddings the scores are symmetric and a token tends to match itself
      most, because one vector serves both to seek and to be found.
    """)
    return


@app.cell(hide_code=True)
def _(mo, next_lesson_markdown):
    mo.md(next_lesson_markdown(4, mo))
    return


if __name__ == "__main__":
    app.run()

# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25.2",
#     "numpy>=1.26",
#     "altair>=5.4",
#     "pandas>=2.1",
# ]
# ///
"""Lesson 3 (module 4.1): embeddings and positional encoding.

A token id becomes a vector by a table lookup (a one-hot row times a matrix), and gradient
descent moves only the rows of the tokens it saw; a word embedding trained on the spot on Tiny
Shakespeare, its nearest neighbours and a PCA view; why attention needs to be told the order;
sinusoidal encodings (PE(p + k) as a rotation of PE(p)), learned positions (GPT-2's wpe) and
what each costs past the trained length; rotary embeddings (RoPE) as the same rotation applied
to q and k.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="3 · Embeddings & Positional Encoding")


@app.cell(hide_code=True)
def _():
    import altair as alt
    import marimo as mo
    import numpy as np
    import pandas as pd
    import time

    from core.course.attention_lessons import format_number, markdown_matrix
    from core.course.catalog import next_lesson_markdown
    from core.course.embeddings import (
        count_loss,
        cosine_similarities,
        embedding_backward,
        nearest_neighbours,
        one_hot,
        pca_2d,
        prepare_pairs,
        train_word_embedding,
    )
    from core.data import REGISTRY, DataUnavailableError, read_text
    from core.mirrors.attention import attention_stages
    from core.mirrors.positions import (
        embed,
        frequencies,
        shift_rotation,
        sinusoidal_positions,
    )
    from core.mirrors.rope import rotate
    from core.mirrors.softmax import softmax

    return (
        DataUnavailableError,
        REGISTRY,
        alt,
        attention_stages,
        cosine_similarities,
        count_loss,
        embed,
        embedding_backward,
        format_number,
        frequencies,
        markdown_matrix,
        mo,
        nearest_neighbours,
        next_lesson_markdown,
        np,
        one_hot,
        pca_2d,
        pd,
        prepare_pairs,
        read_text,
        rotate,
        shift_rotation,
        sinusoidal_positions,
        softmax,
        time,
        train_word_embedding,
    )


@app.cell(hide_code=True)
def _(GPT2_VOCAB, mo):
    mo.md(rf"""
    # Embeddings & Positional Encoding

    *Module 4.1 · Lesson 3 of 18*

    Lesson 2 turned text into token ids: whole numbers, one per token (GPT-2's tokenizer has
    {GPT2_VOCAB:,} of them). A network computes with vectors. This lesson is about the two vectors every token gets on the way
    in: **what** it is (its embedding) and **where** it stands (its position).
    """)
    return


@app.cell
def _():
    # GPT-2 small as OpenAI released it (Radford et al. 2019; the checkpoint lesson 13 loads):
    # wte (50257, 768), wpe (1024, 768), 124,439,808 parameters in all.
    GPT2_VOCAB, GPT2_POSITIONS, GPT2_WIDTH, GPT2_PARAMETERS = 50_257, 1024, 768, 124_439_808
    return GPT2_PARAMETERS, GPT2_POSITIONS, GPT2_VOCAB, GPT2_WIDTH


@app.cell
def _(np):
    # A toy vocabulary of six words and a toy embedding table E (V, C) = (6, 4): random
    # numbers, as a model's table is before training.
    VOCAB = ["the", "dog", "bit", "man", "cat", "sat"]
    toy_E = np.random.default_rng(3).normal(0.0, 1.0, (len(VOCAB), 4)).round(2)
    STEP_LR = 0.5  # section 2's learning rate
    return STEP_LR, VOCAB, toy_E


@app.cell(hide_code=True)
def _(VOCAB, mo):
    _ids = {w: i for i, w in enumerate(VOCAB)}
    mo.md(
        rf"""
    ## 1 · An id is a name, not a quantity

    Give six words the ids {", ".join(f"*{w}* = {i}" for w, i in _ids.items())}. What if
    a network took the id itself as its input, a single number $x$? Its first layer,
    like every layer you trained in series 1, computes $x\,w + b$: here one score per
    possible next word, so $w$ and $b$ are rows of {len(VOCAB)} weights. Draw some
    weights and compare the scores of three neighbouring ids:
    """
    )
    return


@app.cell
def _(mo):
    redraw_button = mo.ui.button(
        label="draw other weights", value=0, on_click=lambda count: count + 1
    )
    redraw_button
    return (redraw_button,)


@app.cell
def _(VOCAB, np, redraw_button):
    _rng = np.random.default_rng(100 + redraw_button.value)
    _w, _b = _rng.normal(0.0, 1.0, (2, len(VOCAB)))  # one weight and one bias per next word
    id_scores = {w: VOCAB.index(w) * _w + _b for w in ("bit", "man", "cat")}  # x = the id
    id_midpoint = (id_scores["bit"] + id_scores["cat"]) / 2
    id_halfway = bool(np.allclose(id_scores["man"], id_midpoint))
    return id_halfway, id_midpoint, id_scores


@app.cell(hide_code=True)
def _(VOCAB, id_halfway, id_midpoint, id_scores, markdown_matrix, mo):
    _rows = [f"{w} (x = {VOCAB.index(w)})" for w in id_scores] + ["halfway between bit and cat"]
    mo.vstack(
        [
            mo.md(
                markdown_matrix(
                    [*id_scores.values(), id_midpoint],
                    _rows,
                    VOCAB,
                    corner="input ↓ · score of next word →",
                )
            ),
            mo.md(
                f"*man*'s scores are exactly halfway between *bit*'s and *cat*'s: "
                f"**{id_halfway}**. Draw again: it stays so, for every weight you could "
                f"train, because {VOCAB.index('man')} is halfway between "
                f"{VOCAB.index('bit')} and {VOCAB.index('cat')}. The network would be forced "
                "to predict for *man* the average of what it predicts for *bit* and *cat*, "
                "and a deeper one would spend its layers undoing an order that means "
                "nothing: the order of a vocabulary is an accident of how it was built."
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(VOCAB, mo):
    mo.md(
        f"""
    The honest input is a **one-hot** row: {len(VOCAB)} zeros with a single 1 in the word's
    column, so that no word is bigger than another, or between two others. Multiply it by
    a matrix $E$ of shape (V, C) = ({len(VOCAB)}, 4) and see what comes out. Pick a word:
    """
    )
    return


@app.cell
def _(VOCAB, mo):
    lookup_dropdown = mo.ui.dropdown(options=VOCAB, value="man", label="word")
    lookup_dropdown
    return (lookup_dropdown,)


@app.cell
def _(VOCAB, lookup_dropdown, np, one_hot, toy_E):
    lookup_id = VOCAB.index(lookup_dropdown.value)
    # by hand: a row of zeros with a 1 at the word's id, times E
    x_one_hot = np.zeros(len(VOCAB))
    x_one_hot[lookup_id] = 1.0
    product = x_one_hot @ toy_E  # (V,) @ (V, C) -> (C,)
    # the same, checked: core's one_hot, and plain row indexing
    assert np.array_equal(one_hot([lookup_id], len(VOCAB))[0], x_one_hot)
    lookup_equal = bool(np.array_equal(product, toy_E[lookup_id]))
    return lookup_equal, lookup_id, product, x_one_hot


@app.cell(hide_code=True)
def _(
    VOCAB,
    lookup_dropdown,
    lookup_equal,
    lookup_id,
    markdown_matrix,
    mo,
    np,
    product,
    toy_E,
    x_one_hot,
):
    _dims = [f"c{j}" for j in range(toy_E.shape[1])]
    _bold = np.zeros(toy_E.shape, dtype=bool)
    _bold[lookup_id] = True

    def _block(title, matrix, rows, columns, **options):
        return mo.vstack(
            [mo.md(title), mo.md(markdown_matrix(matrix, rows, columns, **options))], gap=0
        )

    mo.hstack(
        [
            _block(
                f"**one-hot of *{lookup_dropdown.value}*** (1, {len(VOCAB)})",
                x_one_hot[None],
                ["x"],
                VOCAB,
                decimals=0,
            ),
            _block(
                f"**E** ({len(VOCAB)}, {toy_E.shape[1]}), toy",
                toy_E,
                VOCAB,
                _dims,
                corner="word",
                bold=_bold,
            ),
            mo.vstack(
                [
                    _block("**one-hot @ E** (1, 4)", product[None], ["x E"], _dims),
                    _block(
                        f"**E[{lookup_id}]** (1, 4)",
                        toy_E[lookup_id][None],
                        [f"E[{lookup_id}]"],
                        _dims,
                    ),
                    mo.md(f"equal: **{lookup_equal}**"),
                ],
                gap=0.5,
            ),
        ],
        justify="start",
        gap=1.5,
    )
    return


@app.cell(hide_code=True)
def _(GPT2_VOCAB, GPT2_WIDTH, lookup_dropdown, lookup_id, mo):
    mo.md(
        f"""
    Every product with a zero vanishes, and the single 1 picks out one row: for
    *{lookup_dropdown.value}*, row {lookup_id}. A one-hot row times $E$ *is* a row lookup.
    So a model never builds the one-hot vector; it indexes, `E[id]`, which costs nothing,
    while the product would cost V × C multiplications per token (GPT-2 small's table, as
    OpenAI published it, is {GPT2_VOCAB:,} × {GPT2_WIDTH}: {GPT2_VOCAB * GPT2_WIDTH:,} for every
    token). This table of vectors, one row per token, is the **embedding**; in GPT-2
    and in `core.model` it is called `wte`.
    """
    )
    return


@app.cell(hide_code=True)
def _(STEP_LR, mo):
    mo.md(rf"""
    ## 2 · Gradient descent moves the rows you used

    Seen as a product, $E$ is the weight matrix of a linear layer (without bias) whose input
    is one-hot: the same learnable weights you trained in series 1, changed by the same
    gradient descent. What does one step of it do to the table? Take the smallest language
    model that uses $E$: each word's row $x_t = E[\text{{id}}_t]$, times a matrix
    $W$ (C, V), gives logits for the next word, scored by cross-entropy. Backpropagation
    brings a gradient $\partial L/\partial x_t$ for each position, and since
    $X = \text{{onehot}} \cdot E$,

    $$\frac{{\partial L}}{{\partial E}} = \text{{onehot}}^\top\,\frac{{\partial L}}{{\partial X}}:$$

    row *t* of the gradient is added into the row of the word at position *t*, and to
    nothing else. Type a sentence from the six words (at least two of them) and look at
    which rows one step of gradient descent (learning rate {STEP_LR}) changes.
    """)
    return


@app.cell
def _(VOCAB, mo):
    step_text = mo.ui.text(
        value="the dog bit the man",
        label=f"sentence (words: {', '.join(VOCAB)})",
        full_width=True,
    )
    step_text
    return (step_text,)


@app.cell
def _(STEP_LR, VOCAB, embedding_backward, np, one_hot, softmax, step_text, toy_E):
    def gradient_step(text, lr=STEP_LR):
        """One SGD step of the next-word model E[id] @ W on `text`: (ids, dE, E after, error)."""
        _words = text.lower().split()
        _unknown = [w for w in _words if w not in VOCAB]
        if _unknown:
            return (
                None,
                None,
                None,
                (
                    f"{', '.join(repr(w) for w in _unknown)} is not in the toy vocabulary; "
                    f"use only {', '.join(VOCAB)}."
                ),
            )
        if len(_words) < 2:
            return None, None, None, "Type at least two words: the model predicts each next one."
        _ids = [VOCAB.index(w) for w in _words]
        _W = np.random.default_rng(4).normal(0.0, 1.0, (toy_E.shape[1], len(VOCAB)))  # (C, V)
        _X = toy_E[_ids[:-1]]  # (T-1, C): every word that has a next word
        _P = softmax(_X @ _W)  # (T-1, V)
        _dlogits = (_P - one_hot(_ids[1:], len(VOCAB))) / len(_ids[1:])  # cross-entropy
        _dX = _dlogits @ _W.T  # (T-1, C): the gradient reaching each position's row
        _dE = one_hot(_ids[:-1], len(VOCAB)).T @ _dX  # by hand, as the formula says
        assert np.allclose(_dE, embedding_backward(_ids[:-1], _dX, len(VOCAB)))  # = core
        return _ids, _dE, toy_E - lr * _dE, None

    step_ids, step_grad, step_E, step_error = gradient_step(step_text.value)
    return step_E, step_error, step_grad, step_ids


@app.cell(hide_code=True)
def _(VOCAB, format_number, mo, np, step_E, step_error, step_grad, step_ids, toy_E):
    mo.stop(step_error is not None, mo.callout(mo.md(step_error or ""), kind="warn"))
    _used = step_ids[:-1]  # the last word predicts nothing, so its row gets no gradient
    _rows = []
    for _i, _w in enumerate(VOCAB):
        _rows.append(
            f"| {_w} | {_used.count(_i)} | {format_number(np.linalg.norm(step_grad[_i]), 3)} "
            f"| {format_number(np.abs(step_E[_i] - toy_E[_i]).max(), 3)} |"
        )
    _moved = [w for i, w in enumerate(VOCAB) if np.any(step_E[i] != toy_E[i])]
    _still = [w for w in VOCAB if w not in _moved]
    _twice = [VOCAB[i] for i in sorted(set(_used)) if _used.count(i) > 1]
    mo.vstack(
        [
            mo.md(
                "| word | times it is an input | size of its gradient row | largest change "
                "of its row |\n|:---|---:|---:|---:|\n" + "\n".join(_rows)
            ),
            mo.md(
                f"Rows moved: **{', '.join(_moved)}**. Rows left exactly as they were: "
                f"**{', '.join(_still) or 'none'}**"
                + (
                    " (their gradient is exactly 0: no position holds them, or only the "
                    "last one, which predicts nothing)."
                    if _still
                    else "."
                )
                + (
                    f" *{', '.join(_twice)}* is an input more than once, and its gradient row is "
                    "the **sum** of its positions' rows."
                    if _twice
                    else ""
                )
                + " A word's vector changes only when the word is in the batch; a word that is "
                "rare in the training text gets few updates, which is one reason rare tokens "
                "have poor embeddings."
            ),
        ]
    )
    return


@app.cell
def _():
    # the word embedding of section 3: its vocabulary, width, training steps, held-out share,
    # and how many nearest neighbours the table lists
    WORD_VOCAB, WORD_WIDTH, TRAIN_STEPS, HELD_OUT, NEIGHBOURS = 300, 16, 100, 0.1, 8
    return HELD_OUT, NEIGHBOURS, TRAIN_STEPS, WORD_VOCAB, WORD_WIDTH


@app.cell(hide_code=True)
def _(GPT2_POSITIONS, HELD_OUT, WORD_VOCAB, WORD_WIDTH, mo):
    mo.md(rf"""
    ## 3 · What training puts in the rows

    Random rows mean nothing. Train them, and words used alike end up with alike rows,
    because they have to make alike predictions. Below you train that same model, for real:
    the previous word's row of $E$, times $W$, gives logits for the next word, over the
    {WORD_VOCAB} commonest words of **Tiny Shakespeare** (the text lesson 11 pretrains on),
    with C = {WORD_WIDTH} numbers per word. The loss is the exact cross-entropy over every
    pair of neighbouring words in the first {100 - 100 * HELD_OUT:.0f}% of the text (the last
    {100 * HELD_OUT:.0f}% is held out), and each
    step is one step of Adam. A toy next to GPT-2 (one word of context, not {GPT2_POSITIONS:,} tokens),
    but an honest one.
    """)
    return


@app.cell
def _(TRAIN_STEPS, mo):
    train_button = mo.ui.run_button(label=f"Train the word embedding ({TRAIN_STEPS} steps)")
    train_button
    return (train_button,)


@app.cell
def _(
    DataUnavailableError,
    HELD_OUT,
    REGISTRY,
    TRAIN_STEPS,
    WORD_VOCAB,
    WORD_WIDTH,
    mo,
    prepare_pairs,
    read_text,
    time,
    train_button,
    train_word_embedding,
):
    _megabytes = f"{REGISTRY['tinyshakespeare'].size / 1e6:.1f} MB"
    mo.stop(
        not train_button.value,
        mo.md(f"*Press **Train** to load Tiny Shakespeare ({_megabytes}) and train on it.*"),
    )
    try:
        _text = read_text("tinyshakespeare")
        _missing = None
    except DataUnavailableError as err:
        _text, _missing = None, str(err)
    mo.stop(
        _missing is not None,
        mo.callout(
            mo.md(
                f"**This section needs Tiny Shakespeare** ({_megabytes}), and it could not be had: "
                f"{_missing}\n\nOn your machine, fetch it once with "
                "`python -m core.data fetch tinyshakespeare` (or put `tinyshakespeare.txt` in "
                "the folder `COURSE_DATA_DIR` names); on the site, the page downloads it and "
                "needs the network. The rest of the lesson works without it."
            ),
            kind="warn",
        ),
    )
    _start = time.perf_counter()
    pairs = prepare_pairs(_text, vocab_size=WORD_VOCAB, val_fraction=HELD_OUT)
    with mo.status.progress_bar(total=TRAIN_STEPS, title="Training the word embedding") as _bar:
        word_model = train_word_embedding(
            pairs.train_counts,
            pairs.vocabulary,
            width=WORD_WIDTH,
            steps=TRAIN_STEPS,
            val_counts=pairs.val_counts,
            on_step=lambda _step: _bar.update(),
        )
    train_seconds = time.perf_counter() - _start
    return pairs, train_seconds, word_model


@app.cell(hide_code=True)
def _(HELD_OUT, alt, pd, word_model):
    _history = pd.DataFrame(
        [
            {"step": s, "slice": name, "loss": loss}
            for name, losses in (
                (f"train ({100 - 100 * HELD_OUT:.0f}%)", word_model.train_losses),
                (f"held out ({100 * HELD_OUT:.0f}%)", word_model.val_losses),
            )
            for s, loss in enumerate(losses)
        ]
    )
    loss_chart = (
        alt.Chart(_history)
        .mark_line()
        .encode(
            x=alt.X("step:Q", title="Adam step"),
            y=alt.Y("loss:Q", title="cross-entropy (nats per word)", scale=alt.Scale(zero=False)),
            color=alt.Color("slice:N", title="pairs"),
        )
        .properties(width=360, height=200, title="Loss while training")
    )
    return (loss_chart,)


@app.cell(hide_code=True)
def _(count_loss, format_number, loss_chart, mo, np, pairs, train_seconds, word_model):
    _V = len(pairs.vocabulary)
    _table_train = count_loss(pairs.train_counts)
    _table_val = count_loss(pairs.val_counts, pairs.train_counts)
    _unseen = int(((pairs.val_counts > 0) & (pairs.train_counts == 0)).sum())
    mo.hstack(
        [
            loss_chart,
            mo.md(
                f"""
    Trained on **{int(pairs.train_counts.sum()):,}** pairs ({pairs.n_words:,} words in all;
    pairs with a word outside the {_V} are skipped), in {format_number(train_seconds, 1)} s
    here, counting and all. The loss started at
    {format_number(word_model.train_losses[0], 3)} (ln {_V} = {format_number(np.log(_V), 3)}:
    a uniform guess) and ended at **{format_number(word_model.train_losses[-1], 3)}**, and
    **{format_number(word_model.val_losses[-1], 3)}** on the held-out pairs.

    For comparison, lesson 1's way, a table of counts, p(next | prev) = count / row total:
    {format_number(_table_train, 3)} on the pairs it counted, but
    **{format_number(_table_val, 3)}** on the held-out ones: {_unseen:,} pairs there never
    occur in the training slice, and the table gives each probability 0. The embedding
    model has only {word_model.E.shape[1]} numbers per word, so it cannot memorise each pair, and a pair it never
    saw still gets the probability that words *like* it earned.
    """
            ),
        ],
        justify="start",
        gap=1.5,
        widths=[1, 1],
    )
    return


@app.cell(hide_code=True)
def _(mo, word_model):
    _common = word_model.vocabulary
    neighbour_dropdown = mo.ui.dropdown(
        options=_common,
        value="my",
        searchable=True,
        label=f"word (the {len(_common)}, commonest first)",
    )
    mo.vstack(
        [
            mo.md(
                "**Nearest neighbours.** Pick a word. Its neighbours are the words whose rows "
                "make the smallest angle with its row: cosine similarity "
                r"$\cos(a, b) = \frac{a \cdot b}{|a|\,|b|}$, 1 for the same direction, 0 "
                f"for perpendicular, computed in all {word_model.E.shape[1]} dimensions."
            ),
            neighbour_dropdown,
        ]
    )
    return (neighbour_dropdown,)


@app.cell
def _(NEIGHBOURS, cosine_similarities, nearest_neighbours, neighbour_dropdown, np, word_model):
    picked = word_model.index(neighbour_dropdown.value)
    neighbours = nearest_neighbours(word_model.E, picked, k=NEIGHBOURS)
    neighbours_before = nearest_neighbours(word_model.E_initial, picked, k=NEIGHBOURS)
    # by hand, for the nearest one: the dot product over the two lengths
    _a, _b = word_model.E[picked], word_model.E[neighbours[0][0]]
    top_cosine = float(_a @ _b / (np.linalg.norm(_a) * np.linalg.norm(_b)))
    assert np.isclose(top_cosine, cosine_similarities(word_model.E, picked)[neighbours[0][0]])
    return neighbours, neighbours_before, picked, top_cosine


@app.cell(hide_code=True)
def _(format_number, mo, neighbours, neighbours_before, picked, top_cosine, word_model):
    _vocab = word_model.vocabulary
    _rows = "\n".join(
        f"| {r + 1} | **{_vocab[a]}** | {format_number(sa)} | {_vocab[b]} | {format_number(sb)} |"
        for r, ((a, sa), (b, sb)) in enumerate(zip(neighbours, neighbours_before))
    )
    mo.md(
        f"""
    | rank | after training | cosine | before training (random rows) | cosine |
    |---:|:---|---:|:---|---:|
    {_rows}

    The nearest neighbour of *{_vocab[picked]}* is *{_vocab[neighbours[0][0]]}*: by hand,
    a · b / (|a| |b|) = {format_number(top_cosine, 4)}, the value core computed. Before
    training the neighbours are whatever the random numbers made them. Try *my* (its
    neighbours are the other possessives), *he*, *is*, *romeo*. This model saw only which
    word comes next, so its neighbours are words that are *followed* alike: roles in a
    sentence more than meanings.
    """
    )
    return


@app.cell
def _(pca_2d, word_model):
    pca_coords, pca_kept = pca_2d(word_model.E)  # (V, 2), share of the variance each axis keeps
    return pca_coords, pca_kept


@app.cell(hide_code=True)
def _(alt, format_number, mo, neighbours, pca_coords, pca_kept, pd, picked, word_model):
    _near = {i for i, _ in neighbours}
    _k = len(neighbours)
    _named = 30  # words labelled on the picture, commonest first
    _points = pd.DataFrame(
        {
            "word": word_model.vocabulary,
            "PC 1": pca_coords[:, 0],
            "PC 2": pca_coords[:, 1],
            "rank": range(1, len(word_model.vocabulary) + 1),
            "role": [
                "picked" if i == picked else f"nearest {_k}" if i in _near else "other"
                for i in range(len(word_model.vocabulary))
            ],
        }
    )
    _color = alt.Color(
        "role:N",
        title="word",
        scale=alt.Scale(
            domain=["picked", f"nearest {_k}", "other"], range=["#d1495b", "#2e86ab", "#bbbbbb"]
        ),
    )
    _x = alt.X("PC 1:Q", title=f"PC 1 ({format_number(100 * pca_kept[0], 1)}% of the variance)")
    _y = alt.Y("PC 2:Q", title=f"PC 2 ({format_number(100 * pca_kept[1], 1)}% of the variance)")
    _dots = (
        alt.Chart(_points)
        .mark_circle(size=40)
        .encode(x=_x, y=_y, color=_color, tooltip=["word", "rank"])
    )
    _label_color = alt.Color(
        "role:N",
        legend=None,
        scale=alt.Scale(
            domain=["picked", f"nearest {_k}", "other"], range=["#d1495b", "#2e86ab", "#555555"]
        ),
    )
    _labels = (
        alt.Chart(_points[(_points["role"] != "other") | (_points["rank"] <= _named)])
        .mark_text(align="left", dx=5, fontSize=11)
        .encode(x=_x, y=_y, text="word", color=_label_color)
    )
    _chart = (
        (_dots + _labels)
        .resolve_scale(color="independent")
        .properties(
            width=560,
            height=420,
            title=f"The {len(word_model.vocabulary)} word vectors, projected onto 2 of "
            f"{word_model.E.shape[1]} dimensions (PCA)",
        )
    )
    mo.vstack(
        [
            _chart,
            mo.md(
                f"A **principal component analysis** (PCA) finds the two directions along which "
                f"the {len(word_model.vocabulary)} rows vary most and projects every row onto them. Here they keep only "
                f"{format_number(100 * pca_kept.sum(), 1)}% of the variance, so two words close "
                f"on this picture may be far apart in {word_model.E.shape[1]} dimensions (the "
                "neighbours above are computed there, not here): the picked word and its "
                f"{_k} nearest are coloured, and the {_named} commonest words are named. "
                "Hover a dot for its word."
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 4 · Why position matters

    An embedding says **what** a token is, and nothing about **where** it is: *dog* gets the
    same row at position 1 and at position 4. Is that a problem? Lesson 4 builds attention,
    in its simplest form $\text{softmax}(XX^\top)\,X$: every token's new vector is a
    weighted mix of all the tokens' vectors, weighted by dot products. Run it on two
    sentences with the same words in another order (any six-word table will do; this is
    section 1's toy one, halved so that the words mix more), *the dog bit the man* and *the man bit the dog*.

    **Predict first:** does *dog* come out of attention with a different vector in the two
    sentences? It has different neighbours on each side.
    """)
    return


@app.cell
def _(mo):
    order_radio = mo.ui.radio(
        options=["yes, its place changed, so its output changes", "no, the same vector"],
        value=None,
        label="dog's output in the two sentences:",
    )
    order_radio
    return (order_radio,)


@app.cell
def _(mo):
    order_text = mo.ui.text(
        value="the man bit the dog",
        label="the same words as “the dog bit the man”, in another order",
        full_width=True,
    )
    return (order_text,)


@app.cell(hide_code=True)
def _(mo, order_radio, order_text):
    mo.stop(order_radio.value is None, mo.md("*The two runs appear once you have predicted.*"))
    mo.vstack([mo.md("Now run it. Type another order if you like; the tables follow."), order_text])
    return


@app.cell
def _(VOCAB, attention_stages, np, order_text, toy_E):
    ORDER_BASE = "the dog bit the man"

    def attend(words):
        """softmax(X Xᵀ) X on the toy rows of `words`, halved (no projections, no mask): (T, C).

        Halved so that each word mixes in others; at full length the softmax gives nearly all
        of each word's weight to itself."""
        _X = 0.5 * toy_E[[VOCAB.index(w) for w in words]]
        return attention_stages(_X, causal=False, scale=False)["output"]

    order_words = order_text.value.lower().split()
    if sorted(order_words) != sorted(ORDER_BASE.split()):
        order_error = (
            f"“{order_text.value}” is not a reordering of “{ORDER_BASE}”: use exactly the words "
            f"{', '.join(sorted(ORDER_BASE.split()))}, each as often as there."
        )
        order_gap = None
    else:
        order_error = None
        _base, _other = ORDER_BASE.split(), order_words
        _out_base, _out_other = attend(_base), attend(_other)
        # each word's row in the other sentence, lined up with its row in the first
        order_gap = float(
            max(
                np.abs(_out_other[_other.index(w)] - _out_base[_base.index(w)]).max()
                for w in set(_base)
            )
        )
    return ORDER_BASE, attend, order_error, order_gap, order_words


@app.cell(hide_code=True)
def _(
    ORDER_BASE,
    attend,
    format_number,
    markdown_matrix,
    mo,
    order_error,
    order_gap,
    order_radio,
    order_words,
):
    mo.stop(order_radio.value is None)
    mo.stop(order_error is not None, mo.callout(mo.md(order_error or ""), kind="warn"))
    _guessed = order_radio.value.startswith("no")
    _dims = [f"c{j}" for j in range(4)]
    _tables = [
        mo.vstack(
            [
                mo.md(f"**softmax(XXᵀ)X** for *{' '.join(_w)}*"),
                mo.md(
                    markdown_matrix(
                        attend(_w),
                        [f"{t}: {w}" for t, w in enumerate(_w)],
                        _dims,
                        corner="position: word",
                    )
                ),
            ],
            gap=0,
        )
        for _w in (ORDER_BASE.split(), order_words)
    ]
    mo.vstack(
        [
            mo.hstack(_tables, justify="start", gap=2),
            mo.callout(
                mo.md(
                    f"Each word gets **the same output row in both sentences**, only at another "
                    f"position (largest difference, word by word: {format_number(order_gap, 3)}). "
                    "Attention on its own sees a bag of words: *who bit whom* is lost. "
                    + (
                        "As you predicted. "
                        if _guessed
                        else "Not what you predicted: the neighbours changed places, but "
                        "attention never looks at places, only at dot products of vectors. "
                    )
                    + "Lesson 4 makes this argument in full. (This attention has no causal "
                    "mask. GPT's mask, lesson 9, lets each token see only itself and the tokens "
                    "before it, which leaks some order; but among the tokens it sees, one layer "
                    "still mixes a bag.)"
                ),
                kind="success" if _guessed else "warn",
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Images get their positions for free; sequences must be told.** In series 3 a
    convolution's 3 × 3 kernel has one weight for *the pixel to the left*, one for *the
    pixel above*, and so on: the grid is built into the operation, so a CNN always knows
    which neighbour is where. Attention has no such slots: it scores every pair of tokens
    with the same dot product, whatever their distance. So the order has to be written
    into the vectors themselves. The transformer **adds** a position vector to each token's
    embedding before the first layer,

    $$x_t = E[\text{id}_t] + P[t],$$

    and then the same word at two positions is two different vectors. (Lesson 4 appends two
    position columns instead of adding them, so that its tables can show the word's own
    features untouched; adding keeps the width C, and training learns to use the sum.) Where
    does $P$ come from? A formula (section 5) or a learned table (section 6).
    """)
    return


@app.cell(hide_code=True)
def _(frequencies, mo):
    _slowest = 1 / frequencies(64)[-1]
    mo.md(rf"""
    ## 5 · Sinusoidal encodings: a clock with many hands

    The original transformer (Vaswani et al. 2017) writes position $p$ as C numbers, pairs
    of a sine and a cosine, each pair turning at its own speed:

    $$PE[p, 2i] = \sin(p\,\omega_i), \qquad PE[p, 2i+1] = \cos(p\,\omega_i), \qquad
    \omega_i = 10000^{{-2i/C}}.$$

    Pair 0 turns one radian per position (the second hand); each next pair turns slower, the
    last one, with C = 64, {_slowest:,.0f} times slower (the hour hand). Like a clock, the hands together
    tell apart many more positions than any one of them.

    **Exercise 1.** Compute one value by hand, with C = 8: $PE[5, 2]$, the entry of position
    5 in column 2. (Which pair *i* is column 2? Is it a sine or a cosine? Angles are in
    radians.)
    """)
    return


@app.cell
def _(mo):
    pe_number = mo.ui.number(value=None, step=0.0001, label="PE[5, 2] with C = 8 =")
    pe_number
    return (pe_number,)


@app.cell(hide_code=True)
def _(format_number, mo, np, pe_number, sinusoidal_positions):
    _C, _p, _col = 8, 5, 2
    _answer = float(sinusoidal_positions(_p + 1, _C)[_p, _col])
    _i = _col // 2
    _omega = 10000 ** (-2 * _i / _C)
    _mistakes = {
        "cos": (
            np.cos(_p * _omega),
            "that is the cosine: even columns (0, 2, 4, …) hold the sines",
        ),
        "degrees": (
            np.sin(np.radians(_p * _omega)),
            "that is the sine of an angle in degrees; the formula's angles are radians",
        ),
        "column as i": (
            np.sin(_p * 10000 ** (-2 * _col / _C)),
            f"that uses i = {_col}, the column; column {_col} belongs to pair i = {_i}",
        ),
        "no 2": (
            np.sin(_p * 10000 ** (-_i / _C)),
            "that forgets the 2 in the exponent: ω_i = 10000^(−2i/C)",
        ),
    }
    _value = pe_number.value
    if _value is None:
        _kind, _text = "neutral", "Type your answer above (4 decimals)."
    elif np.isclose(_value, _answer, atol=6e-4):
        _kind, _text = (
            "success",
            f"Correct: column {_col} is the sine of pair i = {_i}, ω = 10000^(−{2 * _i}/{_C}) = "
            f"{format_number(_omega, 1)}, so PE[{_p}, {_col}] = sin({_p} × {format_number(_omega, 1)}) "
            f"= sin({format_number(_p * _omega, 1)}) = {format_number(_answer, 4)}.",
        )
    else:
        _why = next(
            (why for v, why in _mistakes.values() if np.isclose(_value, v, atol=6e-4)), None
        )
        _kind = "warn"
        _text = f"Not {format_number(_value, 4)}" + (
            f": {_why}." if _why else ". Hint: column 2i is sin(p·ω_i); find i, then ω_i."
        )
    mo.callout(mo.md(f"**Exercise 1.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Here is the whole encoding: one row per position, one column per dimension. (The
    notebook's code writes the formula out by hand with `np.sin` and `np.cos` and checks it
    equal to `core.mirrors.positions.sinusoidal_positions`, the torch-free version lesson 4
    imports, which draws the plots.) Change the width C and watch the slow pairs (the
    right-hand columns) stretch out.
    """)
    return


@app.cell
def _(mo):
    width_slider = mo.ui.slider(steps=[8, 16, 32, 64], value=64, label="width C", show_value=True)
    width_slider
    return (width_slider,)


@app.cell
def _(np, sinusoidal_positions, width_slider):
    # the formula by hand, at the slider's width: angles p·ω_i, sines in the even columns,
    # cosines in the odd ones; checked equal to core's, which the plots then use
    HEATMAP_POSITIONS = 64
    _C = width_slider.value
    _omega = 10000.0 ** (-np.arange(0, _C, 2) / _C)  # ω_i = 10000^(−2i/C), i = 0 … C/2 − 1
    _angles = np.arange(HEATMAP_POSITIONS)[:, None] * _omega[None, :]  # (positions, C/2)
    pe_by_hand = np.zeros((HEATMAP_POSITIONS, _C))
    pe_by_hand[:, 0::2], pe_by_hand[:, 1::2] = np.sin(_angles), np.cos(_angles)
    pe_matches_core = bool(
        np.allclose(pe_by_hand, sinusoidal_positions(HEATMAP_POSITIONS, _C), atol=1e-12)
    )
    assert pe_matches_core
    return HEATMAP_POSITIONS, pe_matches_core


@app.cell(hide_code=True)
def _(HEATMAP_POSITIONS, alt, pd, sinusoidal_positions, width_slider):
    ANNOTATED_C = 20
    _C = width_slider.value
    _pe = sinusoidal_positions(HEATMAP_POSITIONS, _C)
    _cells = pd.DataFrame(
        [
            {"position": p, "dimension": d, "value": float(_pe[p, d])}
            for p in range(HEATMAP_POSITIONS)
            for d in range(_C)
        ]
    )
    pe_heatmap = (
        alt.Chart(_cells)
        .mark_rect()
        .encode(
            x=alt.X(
                "dimension:O",
                title=f"dimension (0 … {_C - 1}): sin, cos, sin, cos, …",
                axis=alt.Axis(labelOverlap=True),
            ),
            y=alt.Y("position:O", title="position p", axis=alt.Axis(labelOverlap=True)),
            color=alt.Color(
                "value:Q", title="PE[p, d]", scale=alt.Scale(scheme="redblue", domain=[-1, 1])
            ),
            tooltip=["position", "dimension", alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(width=420, height=360, title=f"Sinusoidal encoding, C = {_C}")
    )
    _dims = [4, 5, 6, 7]
    _curve_positions = range(100)
    _pe_long = sinusoidal_positions(100, ANNOTATED_C)  # the Annotated Transformer's width
    _lines = pd.DataFrame(
        [
            {"position": p, "dimension": f"dim {d}", "value": float(_pe_long[p, d])}
            for d in _dims
            for p in _curve_positions
        ]
    )
    pe_lines = (
        alt.Chart(_lines)
        .mark_line()
        .encode(
            x=alt.X("position:Q", title="position p"),
            y=alt.Y("value:Q", title="PE[p, d]"),
            color=alt.Color("dimension:N", title="dimension"),
        )
        .properties(
            width=360, height=240, title=f"Dimensions 4–7 along 100 positions, C = {ANNOTATED_C}"
        )
    )
    return ANNOTATED_C, pe_heatmap, pe_lines


@app.cell(hide_code=True)
def _(ANNOTATED_C, format_number, frequencies, mo, np, pe_heatmap, pe_lines):
    _omega = frequencies(ANNOTATED_C)
    mo.hstack(
        [
            pe_heatmap,
            mo.vstack(
                [
                    pe_lines,
                    mo.md(
                        f"The Annotated Transformer's plot, at its width C = {ANNOTATED_C} "
                        "(the slider leaves it alone): dimensions 4 and 5 are pair 2 "
                        f"(ω = {format_number(_omega[2], 4)}, one turn every "
                        f"{format_number(2 * np.pi / _omega[2], 1)} positions), "
                        f"6 and 7 pair 3 (one turn every "
                        f"{format_number(2 * np.pi / _omega[3], 1)}). Each pair is a "
                        "sine and a cosine of the same angle: a point going round a circle."
                    ),
                ]
            ),
        ],
        justify="start",
        gap=1,
        wrap=True,
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ### How alike are two positions?

    How similar are two positions' encodings? Measure it by their dot product
    $PE(p) \cdot PE(q)$.

    **Exercise 2.** Predict first, with C = 64: which pair of positions has the larger dot
    product?
    """)
    return


@app.cell
def _(mo):
    PAIR_A, PAIR_B = (2, 9), (60, 63)
    pair_radio = mo.ui.radio(
        options=[
            f"positions {PAIR_A[0]} and {PAIR_A[1]}",
            f"positions {PAIR_B[0]} and {PAIR_B[1]}",
            "they are equal",
        ],
        value=None,
        label="larger PE(p) · PE(q):",
    )
    pair_radio
    return PAIR_A, PAIR_B, pair_radio


@app.cell(hide_code=True)
def _(PAIR_A, PAIR_B, format_number, mo, pair_radio, sinusoidal_positions):
    _pe = sinusoidal_positions(100, 64)
    pair_dots = {pair: float(_pe[pair[0]] @ _pe[pair[1]]) for pair in (PAIR_A, PAIR_B)}
    _best = max(pair_dots, key=pair_dots.get)
    _right = f"positions {_best[0]} and {_best[1]}"
    _said = (
        f"PE({PAIR_A[0]}) · PE({PAIR_A[1]}) = {format_number(pair_dots[PAIR_A])} and "
        f"PE({PAIR_B[0]}) · PE({PAIR_B[1]}) = {format_number(pair_dots[PAIR_B])}"
    )
    if pair_radio.value is None:
        _kind, _text = "neutral", "Pick an answer above."
    elif pair_radio.value == _right:
        _kind, _text = (
            "success",
            f"Correct: {_said}. Only the distance counts ({_best[1] - _best[0]} against "
            f"{max(PAIR_A[1] - PAIR_A[0], PAIR_B[1] - PAIR_B[0])}), not where the pair sits.",
        )
    elif pair_radio.value == "they are equal":
        _kind, _text = (
            "warn",
            f"Not equal: {_said}. The dot product depends only on the distance q − p, but "
            "the two distances differ.",
        )
    else:
        _kind, _text = (
            "warn",
            "Not that one. Positions near the start are not special: the dot product "
            "depends only on the distance q − p. Which pair is closer?",
        )
    mo.callout(mo.md(f"**Exercise 2.** {_text}"), kind=_kind)
    return (pair_dots,)


@app.cell(hide_code=True)
def _(PAIR_A, PAIR_B, alt, mo, pair_dots, pair_radio, pd, sinusoidal_positions):
    mo.stop(pair_radio.value is None, mo.md("*The measurement appears once you have answered.*"))
    _rows = []
    for _C in (16, 64):
        _pe = sinusoidal_positions(101, _C)
        _rows += [
            {"distance": k, "width": f"C = {_C}", "dot": float(_pe[0] @ _pe[k])} for k in range(101)
        ]
    _x = alt.X("distance:Q", title="distance k = q − p (positions)")
    _y = alt.Y("dot:Q", title="PE(p) · PE(p + k)")
    _lines = (
        alt.Chart(pd.DataFrame(_rows))
        .mark_line()
        .encode(x=_x, y=_y, color=alt.Color("width:N", title="width"))
    )
    # exercise 2's two pairs, on the C = 64 curve
    _pairs = pd.DataFrame(
        [
            {"distance": q - p, "dot": pair_dots[(p, q)], "pair": f"PE({p}) · PE({q})"}
            for p, q in (PAIR_A, PAIR_B)
        ]
    )
    _marks = alt.Chart(_pairs).mark_point(size=80, filled=True, color="black").encode(
        x=_x, y=_y, tooltip=["pair", alt.Tooltip("dot:Q", format=".2f")]
    ) + alt.Chart(_pairs).mark_text(align="left", dx=7, dy=-8, fontSize=11).encode(
        x=_x, y=_y, text="pair"
    )
    dot_chart = (_lines + _marks).properties(
        width=420, height=220, title="Dot product of two positions' encodings"
    )
    dot_chart
    return (dot_chart,)


@app.cell(hide_code=True)
def _(format_number, mo, pair_radio, sinusoidal_positions):
    mo.stop(pair_radio.value is None)
    _pe = sinusoidal_positions(200, 64)
    _same = [float(_pe[p] @ _pe[p + 3]) for p in (0, 50, 150)]
    mo.md(
        f"""
    At distance 0 the dot product is C / 2 (each pair is a point on the unit circle, and
    sin² + cos² = 1): {format_number(float(_pe[0] @ _pe[0]), 1)} for C = 64. Then it falls off
    with distance, with ripples, not strictly. And it is the same wherever the pair sits:
    distance 3 gives {", ".join(format_number(s, 3) for s in _same)} from positions 0, 50
    and 150. The reason is the next section's.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ### PE(p + k) is PE(p), rotated

    Going from position $p$ to $p + k$ adds $k\,\omega_i$ to the angle of pair $i$, and
    adding an angle is a rotation:

    $$\begin{pmatrix}\sin((p+k)\omega_i)\\ \cos((p+k)\omega_i)\end{pmatrix} =
    \begin{pmatrix}\cos k\omega_i & \sin k\omega_i\\ -\sin k\omega_i & \cos k\omega_i\end{pmatrix}
    \begin{pmatrix}\sin p\omega_i\\ \cos p\omega_i\end{pmatrix}.$$

    Stack one such 2 × 2 block per pair into a block-diagonal matrix $R(k)$, and
    $PE(p + k) = R(k)\,PE(p)$. The matrix has $k$ in it and **no $p$**: one fixed linear map
    moves *every* position $k$ steps along. Check it with C = 8 (four pairs); move both
    sliders.
    """)
    return


@app.cell
def _(mo):
    rotation_p = mo.ui.slider(0, 40, value=3, label="position p", show_value=True)
    rotation_k = mo.ui.slider(1, 20, value=2, label="shift k", show_value=True)
    mo.hstack([rotation_p, rotation_k], justify="start", gap=2)
    return rotation_k, rotation_p


@app.cell
def _(frequencies, np, rotation_k, rotation_p, shift_rotation, sinusoidal_positions):
    ROTATION_C = 8
    _p, _k = rotation_p.value, rotation_k.value
    _pe = sinusoidal_positions(_p + _k + 1, ROTATION_C)
    # by hand, pair by pair: the 2 × 2 block of angle k·ω_i
    rotation_blocks = []
    for _w in frequencies(ROTATION_C):
        _c, _s = np.cos(_k * _w), np.sin(_k * _w)
        rotation_blocks.append(np.array([[_c, _s], [-_s, _c]]))
    R_k = shift_rotation(_k, ROTATION_C)  # core's block-diagonal R(k)
    for _i, _block in enumerate(rotation_blocks):
        assert np.allclose(R_k[2 * _i : 2 * _i + 2, 2 * _i : 2 * _i + 2], _block)
    pe_p, pe_p_plus_k, rotated = _pe[_p], _pe[_p + _k], R_k @ _pe[_p]
    rotation_gap = float(np.abs(rotated - pe_p_plus_k).max())
    return R_k, ROTATION_C, pe_p, pe_p_plus_k, rotated, rotation_blocks, rotation_gap


@app.cell(hide_code=True)
def _(
    ROTATION_C,
    format_number,
    frequencies,
    mo,
    pe_p,
    pe_p_plus_k,
    rotated,
    rotation_blocks,
    rotation_gap,
    rotation_k,
    rotation_p,
):
    _p, _k = rotation_p.value, rotation_k.value

    def _pair(v, i):
        return f"({format_number(v[2 * i], 3)}, {format_number(v[2 * i + 1], 3)})"

    def _block(b):
        return (
            f"[[{format_number(b[0, 0], 3)}, {format_number(b[0, 1], 3)}], "
            f"[{format_number(b[1, 0], 3)}, {format_number(b[1, 1], 3)}]]"
        )

    _rows = "\n".join(
        f"| {i} | {format_number(w, 3)} | {format_number(_k * w, 3)} | {_block(rotation_blocks[i])} "
        f"| {_pair(pe_p, i)} | {_pair(rotated, i)} | {_pair(pe_p_plus_k, i)} |"
        for i, w in enumerate(frequencies(ROTATION_C))
    )
    mo.md(
        f"""
    | pair i | ω_i | angle k·ω_i | 2 × 2 block of R({_k}) | PE({_p}) | R({_k}) · PE({_p}) | PE({_p + _k}) |
    |---:|---:|---:|:---|:---|:---|:---|
    {_rows}

    Largest difference between R({_k}) · PE({_p}) and PE({_p + _k}):
    **{format_number(rotation_gap, 12)}** (rounding only). Move *p*: the blocks do not change.
    Move *k*: they do. That is why the dot product of the last section depends on the
    distance only, $PE(p)\\cdot PE(p+k) = PE(p)^\\top R(k)\\, PE(p)$ $=
    \\sum_i \\cos k\\omega_i$, and why Vaswani et al. hoped the model could "easily learn to
    attend by relative positions": attention works with dot products and linear maps, and a
    shift by *k* is a linear map.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 6 · Learned positions: GPT-2's wpe

    GPT-2 does not use the formula. It gives positions an embedding table of their own,
    `wpe`, one row per position, learned by gradient descent exactly like the token table
    (section 2: the rows of positions the batch used get the gradient, and the row of a
    position no training text reached keeps its random start). Its input is
    $x_t = \text{wte}[\text{id}_t] + \text{wpe}[t]$; `core.mirrors.positions.embed` is the
    NumPy twin of `core.model`'s `wte(idx) + wpe(pos)`, tested equal to it.
    """)
    return


@app.cell(hide_code=True)
def _(GPT2_PARAMETERS, GPT2_POSITIONS, GPT2_WIDTH, format_number, mo):
    _wpe = GPT2_POSITIONS * GPT2_WIDTH
    mo.md(
        f"""
    GPT-2 small's `wpe` is **{GPT2_POSITIONS:,} × {GPT2_WIDTH}**: {_wpe:,} parameters,
    {format_number(100 * _wpe / GPT2_PARAMETERS, 2)}% of its {GPT2_PARAMETERS:,} (sizes as
    OpenAI published them, Radford et al. 2019; lesson 13 loads that checkpoint). The
    original transformer paper tried both and found learned and sinusoidal positions gave
    "nearly identical results" (Vaswani et al. 2017, table 3, row E). What decides between
    them is what happens **past the length the model was trained on**. Below, a toy table
    learned for 8 positions (random numbers standing in for trained ones); make the text
    longer than that.
    """
    )
    return


@app.cell
def _(mo):
    length_slider = mo.ui.slider(1, 12, value=6, label="tokens in the text", show_value=True)
    length_slider
    return (length_slider,)


@app.cell
def _(embed, length_slider, np):
    TOY_BLOCK_SIZE = 8
    _rng = np.random.default_rng(8)
    toy_wte = _rng.normal(0.0, 1.0, (6, 4))  # 6 tokens, C = 4
    toy_wpe = _rng.normal(0.0, 0.3, (TOY_BLOCK_SIZE, 4))  # positions 0 … 7 only
    _ids = [int(i) for i in _rng.integers(0, 6, 12)][: length_slider.value]
    try:
        toy_input, toy_input_error = embed(_ids, toy_wte, toy_wpe), None
    except ValueError as err:
        toy_input, toy_input_error = None, str(err)
    return TOY_BLOCK_SIZE, toy_input, toy_input_error


@app.cell(hide_code=True)
def _(GPT2_POSITIONS, TOY_BLOCK_SIZE, length_slider, mo, toy_input, toy_input_error):
    if toy_input_error is None:
        _out = mo.callout(
            mo.md(
                f"{length_slider.value} tokens: the input is wte[ids] + wpe[0 … "
                f"{length_slider.value - 1}], shape {toy_input.shape}. Every position has its "
                f"row (the table has {TOY_BLOCK_SIZE})."
            ),
            kind="success",
        )
    else:
        _out = mo.callout(
            mo.md(
                f"**No row to look up.** core says: *{toy_input_error}*. A learned table "
                f"simply ends; GPT-2 has no row for position {GPT2_POSITIONS:,} (its "
                f"{GPT2_POSITIONS + 1:,}th token), so longer texts are cut into windows of "
                f"{GPT2_POSITIONS:,}."
            ),
            kind="danger",
        )
    _out
    return


@app.cell(hide_code=True)
def _(GPT2_POSITIONS, mo):
    mo.md(rf"""
    The formula never ends: $PE(p)$ exists for every $p$. But existing is not the same as
    working. A model trained on texts of {GPT2_POSITIONS:,} tokens has never seen the vectors
    of positions {GPT2_POSITIONS:,} and beyond, and nothing made its layers handle them. Press, Smith and
    Lewis (2022, *Train Short, Test Long*) measured it: a transformer with sinusoidal
    positions gets worse quickly once the text runs past the training length. So neither
    choice extrapolates for free; the learned table at least says so plainly.

    | | sinusoidal (2017 transformer) | learned (GPT-2's wpe) |
    |:---|:---|:---|
    | parameters | none | block_size × C |
    | a position past the trained length | has a vector, unseen in training | has no row: an error |
    | shift by k | a fixed rotation, the same for every p | whatever training made of it |
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 7 · Rotary embeddings: rotate q and k instead

    Llama (Touvron et al. 2023) and most open models after it (Mistral, Qwen, …) use
    neither table. They
    use **rotary position embeddings** (RoPE; Su et al. 2021, *RoFormer*): nothing is added to
    the embedding; instead, inside attention, each query and key (lesson 5) is **rotated**,
    pair by pair, by its position times the same speeds $\omega_i$. Rotating $q$ by $m\omega$
    and $k$ by $n\omega$ leaves, in their dot product, only the difference:

    $$\text{rot}(q, m)\cdot\text{rot}(k, n) = q\cdot\text{rot}(k, n - m).$$

    So the score sees only the **offset** $n - m$, by construction. Check it: a query at
    position $m$, a key at $n$, then both moved along by the same shift.
    """)
    return


@app.cell
def _(mo):
    rope_m = mo.ui.slider(0, 30, value=2, label="query position m", show_value=True)
    rope_n = mo.ui.slider(0, 30, value=5, label="key position n", show_value=True)
    rope_shift = mo.ui.slider(0, 500, value=100, step=10, label="move both by", show_value=True)
    mo.hstack([rope_m, rope_n, rope_shift], justify="start", gap=2, wrap=True)
    return rope_m, rope_n, rope_shift


@app.cell
def _(np, rope_m, rope_n, rope_shift, rotate):
    _rng = np.random.default_rng(7)
    rope_q, rope_k = _rng.normal(0.0, 1.0, (2, 8))  # a toy query and key, D = 8
    _m, _n, _s = rope_m.value, rope_n.value, rope_shift.value
    # by hand, the first pair of q: a 2 × 2 rotation by m·ω_0 = m (ω_0 = 1)
    _c, _si = np.cos(_m), np.sin(_m)
    _first = np.array([[_c, -_si], [_si, _c]]) @ rope_q[:2]
    assert np.allclose(_first, rotate(rope_q, _m)[:2])  # = core's rotate
    rope_scores = {
        "plain": float(rope_q @ rope_k),
        "here": float(rotate(rope_q, _m) @ rotate(rope_k, _n)),
        "moved": float(rotate(rope_q, _m + _s) @ rotate(rope_k, _n + _s)),
        "offset only": float(rope_q @ rotate(rope_k, _n - _m)),
    }
    return rope_k, rope_q, rope_scores


@app.cell(hide_code=True)
def _(alt, format_number, mo, pd, rope_k, rope_m, rope_n, rope_q, rope_scores, rope_shift, rotate):
    _m, _n, _s = rope_m.value, rope_n.value, rope_shift.value
    _table = mo.md(
        f"""
    | | score |
    |:---|---:|
    | q · k, no positions | {format_number(rope_scores["plain"], 4)} |
    | rot(q, {_m}) · rot(k, {_n}) | **{format_number(rope_scores["here"], 4)}** |
    | rot(q, {_m + _s}) · rot(k, {_n + _s}), both moved by {_s} | **{format_number(rope_scores["moved"], 4)}** |
    | q · rot(k, {_n - _m}), the offset alone | {format_number(rope_scores["offset only"], 4)} |
    """
    )
    # the key slid along every offset from the query, for the query at m and at m + shift
    _curves = pd.DataFrame(
        [
            {
                "offset": d,
                "query at": f"m = {m}",
                "score": float(rotate(rope_q, m) @ rotate(rope_k, m + d)),
            }
            for m in (_m, _m + _s)
            for d in range(-30, 31)
        ]
    )
    _x = alt.X("offset:Q", title="offset n − m (positions)")
    _y = alt.Y("score:Q", title="rot(q, m) · rot(k, n)")
    _color = alt.Color(
        "query at:N",
        title="query at",
        scale=alt.Scale(domain=[f"m = {_m}", f"m = {_m + _s}"], range=["#9ecae1", "#d1495b"]),
    )
    _wide = (
        alt.Chart(_curves[_curves["query at"] == f"m = {_m}"])
        .mark_line(strokeWidth=6)
        .encode(x=_x, y=_y, color=_color)
    )
    _dashed = (
        alt.Chart(_curves[_curves["query at"] == f"m = {_m + _s}"])
        .mark_line(strokeWidth=2, strokeDash=[6, 4])
        .encode(x=_x, y=_y, color=_color)
    )
    _chart = (_wide + _dashed).properties(
        width=360, height=200, title="Score against offset: two queries, one curve"
    )
    mo.vstack(
        [
            mo.hstack([_table, _chart], justify="start", gap=2, wrap=True),
            mo.md(
                "Move the query or the key and the score changes; move both together and it "
                f"stays. On the right, the query at m = {_m} and at m = {_m + _s} give the same "
                "curve (the dashed one runs exactly along the wide one): the score is a function of the "
                "offset alone. The same rotation idea as section 5, now applied where the model "
                "compares tokens. Position 0 is left unrotated, and lengths never change, so "
                "nothing about *what* the token says is lost."
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(GPT2_POSITIONS, GPT2_WIDTH, mo):
    mo.md(rf"""
    ## Recap

    - A token's embedding is a row of a table $E$ (V, C): a one-hot row times $E$ is that
      row, so models index instead of multiplying. $E$ is an ordinary weight matrix;
      a gradient step changes only the rows of the tokens in the batch, and sums the
      gradient of a token that appears twice.
    - Trained, the rows of words used alike point alike: nearest neighbours by cosine
      similarity, and a 2-D PCA view that keeps only part of the picture.
    - Attention on its own (no causal mask) treats a sentence as a bag: reorder the words and
      the outputs are only reordered. Position must be put into the vectors, by adding $P[t]$.
    - Sinusoidal encodings: pairs of sin and cos at speeds $10000^{{-2i/C}}$;
      $PE(p + k) = R(k)\,PE(p)$ with $R(k)$ independent of $p$, so their dot product depends
      on the distance only and, with ripples, falls off with it.
    - Learned positions (GPT-2's {GPT2_POSITIONS:,} × {GPT2_WIDTH} `wpe`) cost parameters and stop at the trained
      length; sinusoids continue but were never trained there either. RoPE rotates q and k,
      so scores depend on the offset alone.

    You can now turn token ids into the vectors a transformer reads, say what each choice of
    position costs, and predict how two positions' encodings compare. Lesson 4 lets those
    vectors look at each other.
    """)
    return


@app.cell(hide_code=True)
def _(mo, next_lesson_markdown):
    mo.md(next_lesson_markdown(3, mo))
    return


if __name__ == "__main__":
    app.run()

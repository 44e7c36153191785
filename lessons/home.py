# /// script
# requires-python = ">=3.11"
# dependencies = ["marimo>=0.25.2"]
# ///
"""The course home: the four modules and their lessons, from `core.course.catalog`.

It is shown three ways, and its links follow:
- the app (`just run`, tools/serve.py): the home at `/`, lesson N at `/lessons/<stem>/`;
- the static site (`just site`, tools/site.py exports this notebook to `site/index.html`, lesson
  N at `site/lessons/<stem>/`); the builder passes `-- --published <stem>,<stem>,…` so that
  only lessons that are on the site become links;
- the editor (`just edit`, `marimo edit lessons/`): links open each notebook with `?file=`.

A lesson whose notebook does not exist yet (or is not on the site) is listed as "coming soon",
never as a link.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="LLMs & Transformers")


@app.cell(hide_code=True)
def _():
    import html

    import marimo as mo

    from core.course.catalog import LESSONS, MODULES, SERIES

    return LESSONS, MODULES, SERIES, html, mo


@app.cell(hide_code=True)
def _(LESSONS, mo):
    # Where is this page shown? tools/site.py passes the lessons it publishes; otherwise a
    # lesson is available when its notebook sits beside this one.
    _published = mo.cli_args().get("published")
    on_site = _published is not None
    # (`marimo export html`, which builds the site's home, also reports "edit")
    in_editor = not on_site and mo.app_meta().mode == "edit"
    if on_site:
        available = {stem for stem in str(_published).split(",") if stem}
    else:
        _here = mo.notebook_dir()
        available = {lesson.stem for lesson in LESSONS if lesson.exists(_here)}

    def lesson_href(lesson):
        """The link that opens `lesson`, relative to this page (None: not available)."""
        if lesson.stem not in available:
            return None
        if in_editor:
            return f"?file={lesson.filename}"
        return f"lessons/{lesson.stem}/"

    return available, lesson_href, on_site


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # LLMs & Transformers

    Build a GPT from scratch and understand every line of it. You start from what a language
    model predicts, build attention piece by piece until queries, keys and values feel
    inevitable, assemble the transformer, pretrain your own GPT on Shakespeare, load GPT-2's
    real weights into it, and finish with finetuning, alignment, LoRA and quantization.

    Every lesson is a live notebook: move a slider or edit a matrix and the numbers, the
    attention maps and the generated text change with it.
    """)
    return


@app.cell(hide_code=True)
def _(mo, on_site):
    _where = (
        "Lessons marked **runs in the browser** are interactive right here, in two views: "
        "the lesson to read, and its **edit** view, where you change the code and do the "
        "exercises (each view links to the other). The first one "
        "takes a while to open, because your browser downloads Python and NumPy (a few tens "
        "of megabytes, cached afterwards). Lessons marked **needs PyTorch** show the outputs computed when this "
        "site was built; to change their inputs and train models yourself, run the course "
        "on your own machine."
        if on_site
        else "Everything runs on your machine. Lessons marked **runs in the browser** are "
        "also published as interactive web pages; lessons marked **needs PyTorch** train "
        "and run models locally."
    )
    mo.md(f"""
    {_where} To install it: clone the repository and run `just run` (the README explains
    the three ways to use the course).
    """)
    return


@app.cell(hide_code=True)
def _(LESSONS, MODULES, SERIES, available, html, lesson_href, mo, on_site):
    def _badge(kind, text):
        return f'<span class="ch-badge ch-{kind}">{html.escape(text)}</span>'

    def _lesson(lesson):
        href = lesson_href(lesson)
        title = html.escape(lesson.title)
        number = f"{SERIES}.{lesson.module}.{lesson.number}"
        badges = [
            _badge("browser", "runs in the browser")
            if lesson.browser
            else _badge("torch", "needs PyTorch · local install")
        ]
        if href is None:
            head = f'<span class="ch-title">{title}</span>'
            badges.append(_badge("soon", "coming soon"))
        else:
            head = f'<a class="ch-title" href="{html.escape(href)}">{title}</a>'
            if on_site and not lesson.browser:
                badges.append(_badge("static", "outputs precomputed"))
            elif on_site:  # its edit view, where the exercises are done (tools/site.py)
                badges.append(
                    f'<a class="ch-edit" href="{html.escape(href)}edit/" '
                    'title="Edit this lesson and do its exercises">edit &amp; do the exercises</a>'
                )
        return (
            f'<li class="ch-lesson{"" if href else " ch-soon"}" data-lesson="{lesson.number}">'
            f'<span class="ch-number">{number}</span>'
            f'<div class="ch-body"><div class="ch-head">{head} {"".join(badges)}</div>'
            f'<p class="ch-desc">{html.escape(lesson.description)}</p></div></li>'
        )

    def _module(module):
        items = "".join(_lesson(x) for x in LESSONS if x.module == module.number)
        return (
            f'<section class="ch-module" data-module="{module.number}">'
            f"<h2>Module {SERIES}.{module.number} · {html.escape(module.title)}</h2>"
            f'<p class="ch-summary">{html.escape(module.summary)}</p>'
            f'<ol class="ch-lessons">{items}</ol></section>'
        )

    _style = """
    <style>
    .course-home { --ch-muted: var(--muted-foreground, #64748b); --ch-line: var(--border, #e2e8f0);
      --ch-browser: #1a7f37; --ch-torch: #bc4c00; }
    .dark .course-home, .dark-theme .course-home { --ch-browser: #57c06b; --ch-torch: #f0883e; }
    .course-home h2 { font-size: 1.3rem; margin: 1.6rem 0 0.2rem; }
    .course-home .ch-summary { color: var(--ch-muted); margin: 0 0 0.6rem; }
    .course-home .ch-lessons { list-style: none; padding: 0; margin: 0; }
    .course-home .ch-lesson { display: flex; gap: 0.9rem; padding: 0.65rem 0.2rem;
      border-top: 1px solid var(--ch-line); }
    .course-home .ch-number { flex: 0 0 3.2rem; font-variant-numeric: tabular-nums;
      color: var(--ch-muted); padding-top: 0.1rem; }
    .course-home .ch-body { flex: 1; min-width: 0; }
    .course-home .ch-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.35rem 0.5rem; }
    .course-home .ch-title { font-weight: 600; font-size: 1.05rem; }
    .course-home a.ch-title { color: var(--link, #0b68cb); text-decoration: none; }
    .course-home a.ch-title:hover { text-decoration: underline; }
    .course-home .ch-desc { margin: 0.2rem 0 0; color: var(--ch-muted); line-height: 1.45; }
    .course-home .ch-badge { font-size: 0.75rem; line-height: 1.2; padding: 0.1rem 0.5rem;
      border-radius: 999px; border: 1px solid; white-space: nowrap; color: var(--ch-muted);
      border-color: var(--ch-line); }
    .course-home .ch-browser { color: var(--ch-browser); border-color: currentColor; }
    .course-home .ch-torch { color: var(--ch-torch); border-color: currentColor; }
    .course-home a.ch-edit { font-size: 0.8rem; color: var(--link, #0b68cb); }
    .course-home .ch-soon .ch-title { font-weight: 500; color: var(--ch-muted); }
    .course-home .ch-soon .ch-badge { color: var(--ch-muted); border-color: var(--ch-line); }
    </style>
    """
    _count = sum(lesson.stem in available for lesson in LESSONS)
    mo.Html(
        _style
        + '<div class="course-home">'
        + "".join(_module(m) for m in MODULES)
        + f'<p class="ch-summary" style="margin-top:1.2rem">{_count} of {len(LESSONS)} '
        "lessons are ready; the others are being written.</p></div>"
    )
    return


if __name__ == "__main__":
    app.run()

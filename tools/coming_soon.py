"""The page a lesson's address shows before its notebook exists, in the app and on the site.

Every lesson of core.course.catalog has an address from the start, `lessons/<stem>/` (relative to
the course home), so a lesson may link to the next one before it is written: the link opens
this page ("coming soon", what the lesson will teach, a way back) instead of an error. The
home itself never links to it; it marks the lesson "coming soon".

Example:
    >>> "coming soon" in coming_soon_html(catalog.lesson(7))
    True
"""

from __future__ import annotations

import html

from core.course import catalog


def coming_soon_html(lesson: catalog.Lesson, home_href: str = "../../") -> str:
    """A self-contained HTML page (no script, no external file) for a lesson not written yet.

    `home_href` is the course home relative to the page (`../../` from `lessons/<stem>/`).
    """
    module = next(m for m in catalog.MODULES if m.number == lesson.module)
    title = html.escape(lesson.title)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · coming soon · LLMs &amp; Transformers</title>
<style>
  :root {{ color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff;
    --line: #d1d9e0; --link: #0b68cb; }}
  @media (prefers-color-scheme: dark) {{
    :root {{ --fg: #e6edf3; --muted: #9198a1; --bg: #181c1a; --line: #3b403e; --link: #479bf5; }}
  }}
  body {{ margin: 0; background: var(--bg); color: var(--fg);
    font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }}
  main {{ max-width: 40rem; margin: 12vh auto 0; padding: 0 1.5rem; }}
  .where {{ color: var(--muted); margin: 0; }}
  h1 {{ font-size: 1.8rem; line-height: 1.25; margin: 0.3rem 0 0.8rem; }}
  .badge {{ display: inline-block; font-size: 0.8rem; padding: 0.1rem 0.6rem;
    border: 1px solid var(--line); border-radius: 999px; color: var(--muted); }}
  p.what {{ color: var(--muted); }}
  a {{ color: var(--link); }}
</style>
</head>
<body>
<main>
  <p class="where">Module {catalog.SERIES}.{module.number} · {html.escape(module.title)} ·
    Lesson {lesson.number} of {len(catalog.LESSONS)}</p>
  <h1>{title}</h1>
  <span class="badge">coming soon</span>
  <p class="what">{html.escape(lesson.description)}</p>
  <p>This lesson is being written. <a href="{html.escape(home_href)}">Back to the course</a>
    to pick another one.</p>
</main>
</body>
</html>
"""

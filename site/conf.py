"""Sphinx configuration of the course website. Not run from here: site/build.py copies it,
with the pages it stages (README, notebooks, docs), into build/site-src/ and builds that.

Notebooks are rendered from their committed outputs (MyST-NB, nb_execution_mode = "off"):
the build never runs a kernel. Maths is rendered to HTML + MathML at build time by KaTeX
(sphinxcontrib-katex, prerender), so pages need no maths JavaScript and work offline.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "focal-teach"
author = "focal-teach maintainers"
copyright = "focal-teach maintainers, MIT License"
language = "en"

extensions = ["myst_nb", "sphinxcontrib.katex", "focal_site"]
root_doc = "index"
exclude_patterns = ["_build", "node_modules", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# The committed notebooks' saved outputs, as they are: never executed here.
nb_execution_mode = "off"
# No ipywidgets JavaScript from a CDN: the frozen widgets are replaced at staging (site/build.py).
nb_ipywidgets_js = {}
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

# Maths: KaTeX at build time (Node runs KaTeX once per build), CSS and fonts served locally.
katex_prerender = True
katex_css_path = "vendor/katex/katex.min.css"

html_theme = "furo"
html_title = "focal-teach: the focal loss, step by step"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "source_repository": "https://github.com/focal-teach/focal-teach/",
    "source_branch": "main",
    "source_directory": "",
    "navigation_with_keys": False,
}
pygments_style = "default"        # contrast ≥ 4.5:1 on white (WCAG 1.4.3)
pygments_dark_style = "monokai"
html_favicon = "_static/favicon.svg"  # also spares every page a 404 for /favicon.ico

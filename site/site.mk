# The course website (issue 14), included by the Makefile.
#   make site        build it into build/site/ from the committed notebooks and docs (no kernel)
#   make site-serve  serve build/site/ on http://127.0.0.1:8000 (python -m http.server)

SITE_OUT   ?= build/site
SITE_STAMP := $(VENV)/.site-installed-stamp
SITE_NODE  := site/node_modules/.package-lock.json

.PHONY: site site-serve

# The publishing tools, into the repo's venv, when site/requirements.txt changes.
$(SITE_STAMP): site/requirements.txt | $(STAMP)
	$(BIN)/python -m pip install --quiet -r site/requirements.txt
	touch $@

# uPlot, KaTeX's CSS and fonts, axe-core: exactly the lock file's versions, from the npm registry.
$(SITE_NODE): site/package.json site/package-lock.json
	npm ci --prefix site --no-audit --no-fund --loglevel=error
	touch $@

site: $(SITE_STAMP) $(SITE_NODE)
	$(BIN)/python site/build.py --out $(SITE_OUT)

site-serve: site
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory $(SITE_OUT) 8000

"""Static files (the style sheet and a few small scripts) gzipped, under content-hashed names.

Every collected file is also stored under a name with a hash of its content
(`egenkontroll.4f1c….css`, Django's manifest storage) and the pages link to that name, so WhiteNoise
(and nginx, deploy/nginx) can let browsers keep it for a year without asking again: a new version
of a file is a new name (issue 19; before, every file was cached for 60 s only). The storage
compresses with gzip only: Brotli at its highest level costs time at every start for little gain.

Nothing is fetched from a CDN: municipal networks often block them, and a page about children's
cases must not call out to third parties. The charts need no library at all: the server draws
them as SVG (svg.py).
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class GzipManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed storage with content-hashed names, without Brotli (see the module
    docstring). The unhashed copies are kept too, so a page cached before an upgrade still finds
    its files; `{% static %}` links the hashed ones, which WhiteNoise serves as immutable.

    Where collectstatic has not run (a command that renders a page outside `demo`/`serve`), a
    file missing from the manifest is linked by its plain name instead of failing the page."""

    manifest_strict = False

    def create_compressor(self, **kwargs):
        return super().create_compressor(**{**kwargs, "use_brotli": False})

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:  # not collected: neither in the manifest nor in STATIC_ROOT
            return name

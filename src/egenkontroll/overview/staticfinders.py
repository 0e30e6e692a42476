"""Static files: Plotly's JavaScript from the installed `plotly` package (not a CDN), gzipped,
under content-hashed names.

Why it exists: municipal networks often block CDNs and a page about children's cases must not
call out to third parties, so the charting library ships with the app. The 4.6 MB file is not
committed: this static-files finder hands Django the copy inside the installed Python package,
so `collectstatic` (run by `egenkontroll demo` and `serve`) copies it into the static root and
WhiteNoise serves it, and the version always matches the `plotly` package that built the figures.
The storage compresses with gzip only: Brotli at its highest level takes half a minute on the
4.6 MB file at every start, gzip a fraction of a second for nearly the same transfer size.

Every collected file is also stored under a name with a hash of its content
(`plotly.min.4f1c….js`, Django's manifest storage) and the pages link to that name, so WhiteNoise
(and nginx, deploy/nginx) can let browsers keep it for a year without asking again: a new
version of a file is a new name (issue 19; before, every file was cached for 60 s only and a
page with a chart waited for Plotly's 1.5 MB transfer again after a minute).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage, CompressedStaticFilesStorage

PREFIX = "overview/vendor"
FILE = "plotly.min.js"
STATIC_PATH = f"{PREFIX}/{FILE}"


def plotly_dir() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data"


class PlotlyFinder(BaseFinder):
    """Finds `overview/vendor/plotly.min.js` in the installed plotly package."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(plotly_dir()))
        self.storage.prefix = PREFIX

    def check(self, **kwargs):
        if not (plotly_dir() / FILE).is_file():
            return [Error(f"{FILE} saknas i plotly-paketet ({plotly_dir()}): installera om plotly", id="overview.E001")]
        return []

    def find(self, path, find_all=False, **kwargs):
        find_all = find_all or kwargs.get("all", False)
        match = str(plotly_dir() / FILE) if path == STATIC_PATH and (plotly_dir() / FILE).is_file() else None
        if find_all:
            return [match] if match else []
        return match

    def list(self, ignore_patterns):
        if (plotly_dir() / FILE).is_file():
            yield FILE, self.storage


class GzipStaticFilesStorage(CompressedStaticFilesStorage):
    """WhiteNoise's compressed storage without Brotli (see the module docstring)."""

    def create_compressor(self, **kwargs):
        return super().create_compressor(**{**kwargs, "use_brotli": False})


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

"""Static files: Plotly's JavaScript from the installed `plotly` package (not a CDN), gzipped.

Why it exists: municipal networks often block CDNs and a page about children's cases must not
call out to third parties, so the charting library ships with the app. The 4.6 MB file is not
committed: this static-files finder hands Django the copy inside the installed Python package,
so `collectstatic` (run by `egenkontroll demo` and `serve`) copies it into the static root and
WhiteNoise serves it, and the version always matches the `plotly` package that built the figures.
The storage compresses with gzip only: Brotli at its highest level takes half a minute on the
4.6 MB file at every start, gzip a fraction of a second for nearly the same transfer size.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedStaticFilesStorage

PREFIX = "pages/vendor"
FILE = "plotly.min.js"
STATIC_PATH = f"{PREFIX}/{FILE}"


def plotly_dir() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data"


class PlotlyFinder(BaseFinder):
    """Finds `pages/vendor/plotly.min.js` in the installed plotly package."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(plotly_dir()))
        self.storage.prefix = PREFIX

    def check(self, **kwargs):
        if not (plotly_dir() / FILE).is_file():
            return [Error(f"{FILE} saknas i plotly-paketet ({plotly_dir()}): installera om plotly", id="pages.E001")]
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

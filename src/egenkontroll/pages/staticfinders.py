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

PREFIX = "pages/vendor"
FILE = "plotly.min.js"
STATIC_PATH = f"{PREFIX}/{FILE}"
# The partial bundle with only the cartesian trace types (scatter, bar, box among them): every
# chart but Flöde's Sankey diagram. 1.5 MB instead of 4.8 MB for the browser to load and compile
# (issue 19). npm's `plotly.js-cartesian-dist-min`, the same plotly.js version as the plotly
# package's bundle, packed by `run.py` (`npm pack`) into NPM_DIR, which git ignores; where it is
# missing (no npm on the machine) the full bundle is served under its name, so charts still draw.
CARTESIAN_PACKAGE = "plotly.js-cartesian-dist-min"
CARTESIAN_VERSION = "4.1.1"
CARTESIAN_FILE = "plotly-cartesian.min.js"
CARTESIAN_PATH = f"{PREFIX}/{CARTESIAN_FILE}"
CARTESIAN_TRACES = ("bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour", "image",
                    "pie", "scatter", "scatterternary", "violin")  # the package's README
NPM_DIR = Path(__file__).parent / "npm"


def plotly_dir() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data"


def cartesian_bundle() -> Path | None:
    """The packed partial bundle, or None when run.py could not fetch it (no npm)."""
    path = NPM_DIR / CARTESIAN_FILE
    return path if path.is_file() else None


def _files() -> dict[str, Path]:
    """name under PREFIX → the file served under it."""
    full = plotly_dir() / FILE
    if not full.is_file():
        return {}
    return {FILE: full, CARTESIAN_FILE: cartesian_bundle() or full}


class _NamedFiles(FileSystemStorage):
    """A storage for collectstatic that maps each listed name to its file (one file may serve two names)."""

    def __init__(self, files: dict[str, Path]):
        super().__init__(location=str(plotly_dir()))
        self.files = files
        self.prefix = PREFIX

    def path(self, name):
        return str(self.files[name])


class PlotlyFinder(BaseFinder):
    """Finds `pages/vendor/plotly.min.js` in the installed plotly package and
    `pages/vendor/plotly-cartesian.min.js` in NPM_DIR (else the full bundle under that name)."""

    def check(self, **kwargs):
        if not (plotly_dir() / FILE).is_file():
            return [Error(f"{FILE} saknas i plotly-paketet ({plotly_dir()}): installera om plotly", id="pages.E001")]
        return []

    def find(self, path, find_all=False, **kwargs):
        find_all = find_all or kwargs.get("all", False)
        files = _files()
        name = path[len(PREFIX) + 1:] if path.startswith(PREFIX + "/") else None
        match = str(files[name]) if name in files else None
        if find_all:
            return [match] if match else []
        return match

    def list(self, ignore_patterns):
        files = _files()
        storage = _NamedFiles(files)
        for name in files:
            yield name, storage


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

"""gwaskit: genome-wide association studies and their meta-analysis, in one tool."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gwaskit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

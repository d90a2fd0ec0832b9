"""gwaskit: genome-wide association studies and their meta-analysis, in one tool."""

from importlib.metadata import PackageNotFoundError, version

#: The distribution name on the package index (``pip install gwaskit-suite``); the import name
#: and the command are ``gwaskit``. (``gwaskit`` on the index is an unrelated empty package.)
DISTRIBUTION = "gwaskit-suite"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

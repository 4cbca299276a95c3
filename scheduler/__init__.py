"""lobby-agenda: the lobby agenda service of a municipality's public-affairs team."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lobby-agenda")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

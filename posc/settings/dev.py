"""The default mode: `make run` on a laptop."""

from .base import *  # noqa: F403

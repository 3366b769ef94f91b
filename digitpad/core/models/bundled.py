"""The optional line models bundled with the app, loaded once; None where one is
missing or unusable (the reading then goes on without it)."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from digitpad.core.io import paths

if TYPE_CHECKING:
    from digitpad.core.models.open_reader import OpenReader
    from digitpad.core.models.sequence import SequenceModel

log = logging.getLogger(__name__)


def _bundled(file_name: str, load: Any, error: type[Exception], what: str, without: str) -> Any:
    """A bundled optional model, or None (logged) when it is missing or unusable."""
    if not (paths.resources_dir() / file_name).is_file():
        log.info("no bundled %s: %s", what, without)
        return None
    try:
        return load()
    except error as exc:
        log.warning("ignoring the %s: %s", what, exc)
    return None


@functools.lru_cache(maxsize=1)
def bundled_strings() -> SequenceModel | None:
    """The bundled sequence recogniser (the same for every digit model); None when it is
    missing or unusable: lines are then split by segmentation alone."""
    from digitpad.core.models import sequence

    return _bundled(
        sequence.FILE_NAME,
        sequence.SequenceModel.load,
        sequence.SequenceModelError,
        "strings model",
        "lines are read by segmentation alone",
    )


@functools.lru_cache(maxsize=1)
def bundled_open_reader() -> OpenReader | None:
    """The bundled open line recogniser; None when it is missing or unusable: lines are
    then read by our own networks alone."""
    from digitpad.core.models import open_reader

    return _bundled(
        open_reader.FILE_NAME,
        open_reader.OpenReader.load,
        open_reader.OpenReaderError,
        "open line recogniser",
        "lines are read by our own networks",
    )

"""The files under ``/static``, read from ``static/``. A path that cannot name a file
there is simply not found (404): one with a NUL byte (``/static/css/app.css%00.js``),
one that goes on below a file (``/static/css/app.css/x``), one too long for the OS."""

from __future__ import annotations

import errno
from typing import Any, Final

from litestar.file_system import BaseLocalFileSystem
from litestar.types import PathType
from litestar.types.file_types import FileInfo

NOT_A_FILE: Final = frozenset({errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP, errno.EINVAL})
"""What the OS says of a path that cannot name a file (Litestar would answer them 500)."""


class StaticFiles(BaseLocalFileSystem):
    """The local file system, where a path that cannot name a file finds nothing."""

    async def info(self, path: PathType, **kwargs: Any) -> FileInfo:
        if "\x00" in str(path):  # the OS refuses it with ValueError
            raise FileNotFoundError(errno.ENOENT, "not found", str(path))
        try:
            return await super().info(path, **kwargs)
        except OSError as e:
            if e.errno in NOT_A_FILE:
                raise FileNotFoundError(errno.ENOENT, "not found", str(path)) from None
            raise

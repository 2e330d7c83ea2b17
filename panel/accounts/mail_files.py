"""Mail written as files when there is no SMTP server: the folder 0700, each file 0600.

    EMAIL_BACKEND = "panel.accounts.mail_files.PrivateFileBackend"   # settings, without EMAIL_HOST

The files hold verification, reset and invitation links, so only Lantern's user may read them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.mail.backends.filebased import EmailBackend

from analytics.datadir import make_private_dir, private_opener


class PrivateFileBackend(EmailBackend):
    """Django's file backend with private modes, whatever the process's umask."""

    file_path: str  # set by the base class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        make_private_dir(Path(self.file_path))

    def open(self) -> bool:
        if self.stream is None:
            self.stream = open(self._get_filename(), "ab", opener=private_opener)  # noqa: SIM115
            return True
        return False

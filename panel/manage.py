"""``python -m panel.manage <command>``: Django's management commands (``./dev manage`` calls this).

Every command but ``collectstatic`` (public files another user may serve) creates its files private
(umask 077). ``migrate``, the start-up step of both modes, makes the embedded data directory (0700)
and takes group and other bits off everything already in it (``analytics.datadir``).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
    from django.core.management import execute_from_command_line

    from analytics.config import data_dir, env_str
    from analytics.datadir import make_private_dir, private_umask, secure_data_dir

    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command != "collectstatic":
        private_umask()
    if command == "migrate":
        if not env_str("DATABASE_URL"):  # embedded mode: SQLite goes in the data directory
            make_private_dir(data_dir())
        for path in secure_data_dir(data_dir()):
            print(f"manage: made {path} private (it was readable by other users)", file=sys.stderr)

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

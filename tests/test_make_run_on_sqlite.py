"""`make run` serves the demo on SQLite (README): every migration must apply there, the demo load and
the findings compute.

The suite itself runs on PostgreSQL, so a PostgreSQL-only statement in a migration (an
`UPDATE ... FROM`, once) would break a newcomer's first command without this test noticing.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_migrations_and_the_demo_run_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "posc.settings.dev",
    }
    env.pop("REDIS_URL", None)
    # The nightly compliance scan runs every finding rule's query (window functions, EXISTS) there too.
    scan = ["shell", "-c", "from audit.compliance.tasks import compliance_scan; compliance_scan()"]
    for command in (["migrate", "--no-input", "-v", "0"], ["seed_demo"], scan, ["migrate", "audit", "0012", "-v", "0"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{' '.join(command)} failed on SQLite:\n{done.stderr[-3000:]}"

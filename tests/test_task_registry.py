"""Every task a web process asks for by name (posc.queue.task_send) is registered there, without a
worker's autodiscovery: otherwise each notification would wait for the beat sweep."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASKED_BY_NAME = {"providers.tasks.notifications_deliver", "audit.reviews.tasks.report_build_task"}


def test_a_fresh_process_knows_every_task_it_asks_for():
    code = (
        "import django, json; django.setup(); from posc.celery import app; "
        "print(json.dumps(sorted(n for n in app.tasks if not n.startswith('celery.'))))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "posc.settings.test"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    registered = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert registered >= ASKED_BY_NAME


def test_the_names_asked_for_are_the_names_in_the_code():
    sources = "".join(p.read_text() for p in (ROOT / "providers/notifications.py", ROOT / "audit/reviews/reports.py"))
    for name in ASKED_BY_NAME:
        assert f'"{name}"' in sources

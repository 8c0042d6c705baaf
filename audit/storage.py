"""Where report files and evidence packages live: Django's named storage "reports" (STORAGES).

Web and worker may run on different machines: the worker builds a file, the web process serves
it. Both reach the files only through this storage, by the name the Report or EvidencePackage row
keeps, never by a local path: a folder both mount (the default, POSC_REPORTS_DIR; docker-compose
gives web and worker one volume) or an S3-compatible object store (django-storages, when
POSC_REPORTS_S3_BUCKET is set; README "Report files"). Every download re-hashes what it reads
against the chain (audit/sealed.py), so a store that changed a file is caught there.
"""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages


class ReportFileStorage(FileSystemStorage):
    """The filesystem store. Its folder follows POSC_REPORTS_DIR even when a test changes it, and
    its files are readable by the portal's own user only (they hold people's names and access)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o640)
        kwargs.setdefault("directory_permissions_mode", 0o750)
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.POSC_REPORTS_DIR)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def reports_storage():
    return storages["reports"]


def work_dir() -> Path:
    """This machine's scratch folder for files being built; only a finished file goes to the store."""
    path = Path(settings.POSC_REPORTS_WORK_DIR or Path(tempfile.gettempdir()) / "posc-reports-work")
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(local: Path, name: str) -> str:
    """Put a finished local file into the store under ``name``; the name it was stored under."""
    with local.open("rb") as handle:
        return reports_storage().save(name, File(handle, name=name))


def local_path(name: str) -> Path:
    """The file's path on this machine, for a filesystem store only (tests read files directly)."""
    return Path(reports_storage().path(name))

"""Refresh the vendored U.S. Web Design System under static/uswds/ (`make design-system`).

Only this step needs npm: it packs the pinned release, and copies its compiled CSS and JavaScript,
then only the fonts and images the CSS names (about 0.5 MB of the release's 19 MB) and the few the
portal's templates use. So `make run` and CI serve committed files, and collectstatic's hashed
storage finds every file the CSS points at. docs/decisions.md, "The design system".
"""

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "3.14.0"
TARGET = Path(__file__).resolve().parent.parent / "static" / "uswds"
# Used by the templates beside what the CSS names: the banner's icons, the icon sprite, the favicon.
EXTRA = ("img/icon-dot-gov.svg", "img/icon-https.svg", "img/lock.svg", "img/sprite.svg", "img/favicons/favicon.ico")


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        # The arguments are this file's constants; npm is whichever the PATH holds, as for any make target.
        subprocess.run(  # noqa: S603
            ["npm", "pack", f"@uswds/uswds@{VERSION}", "--silent", "--pack-destination", scratch],  # noqa: S607
            check=True,
        )
        (tarball,) = Path(scratch).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            archive.extractall(scratch, filter="data")
        dist = Path(scratch) / "package" / "dist"
        css = (dist / "css" / "uswds.min.css").read_text()
        named = {m for m in re.findall(r"url\(\"?\.\./([^)\"]+)\"?\)", css)}
        if TARGET.exists():
            shutil.rmtree(TARGET)
        for relative in ["css/uswds.min.css", "js/uswds.min.js", *sorted(named), *EXTRA]:
            (TARGET / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(dist / relative, TARGET / relative)
        # The source maps are not shipped: drop the comments naming them, which collectstatic's
        # hashed storage would otherwise refuse as missing files.
        for built in ("css/uswds.min.css", "js/uswds.min.js"):
            path = TARGET / built
            path.write_text(re.sub(r"\n?/[*/]# sourceMappingURL=[^\n]*", "", path.read_text()))
        shutil.copy2(Path(scratch) / "package" / "LICENSE.md", TARGET / "LICENSE.md")
        (TARGET / "VERSION").write_text(f"@uswds/uswds {VERSION}\n")
    print(f"static/uswds: USWDS {VERSION}, {sum(1 for p in TARGET.rglob('*') if p.is_file())} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())

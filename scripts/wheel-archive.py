#!/usr/bin/env python3
"""Makes a platform's plain `grade` archive from its wheel, for those who install without pip.

    python scripts/wheel-archive.py DIST OUT TARGET

DIST holds one netgrade wheel; the archive is written to OUT as grade-VERSION-TARGET.tar.gz
(grade-VERSION-TARGET.zip for Windows) with grade (grade.exe) and the README in a folder of
that name. The binary is taken from the wheel, so the archive is the very build pip installs.
Standard library only: it runs on every release runner.
"""

import io
import os
import re
import sys
import tarfile
import zipfile

MEMBER = re.compile(r"^netgrade-[^/]+\.data/scripts/(grade(?:\.exe)?)$")


def main(dist: str, out: str, target: str) -> str:
    wheels = sorted(f for f in os.listdir(dist) if f.startswith("netgrade-") and f.endswith(".whl"))
    if len(wheels) != 1:
        sys.exit(f"wheel-archive: expected one netgrade wheel in {dist}, found {wheels}")
    version = wheels[0].split("-")[1]
    with zipfile.ZipFile(os.path.join(dist, wheels[0])) as wheel:
        found = [(m, MEMBER.match(m.filename)) for m in wheel.infolist()]
        found = [(m, match.group(1)) for m, match in found if match]
        if len(found) != 1:
            sys.exit(f"wheel-archive: no single grade binary in {wheels[0]}")
        member, exe = found[0]
        binary = wheel.read(member)
    readme_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")
    with open(readme_path, "rb") as f:
        readme = f.read()
    name = f"grade-{version}-{target}"
    os.makedirs(out, exist_ok=True)
    if exe.endswith(".exe"):
        path = os.path.join(out, name + ".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{name}/{exe}", binary)
            z.writestr(f"{name}/README.md", readme)
    else:
        path = os.path.join(out, name + ".tar.gz")
        with tarfile.open(path, "w:gz") as t:
            for file, data, mode in ((exe, binary, 0o755), ("README.md", readme, 0o644)):
                info = tarfile.TarInfo(f"{name}/{file}")
                info.size = len(data)
                info.mode = mode
                t.addfile(info, io.BytesIO(data))
    print(path)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])

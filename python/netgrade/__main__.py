"""`python -m netgrade ARGS...` runs `grade ARGS...` and exits with its code."""

import os
import sys

from netgrade import find_grade


def main() -> None:
    grade = find_grade()
    if sys.platform == "win32":
        # Windows has no exec: run it as a child and pass its exit code on.
        import subprocess

        sys.exit(subprocess.run([grade, *sys.argv[1:]]).returncode)
    os.execv(grade, [grade, *sys.argv[1:]])


if __name__ == "__main__":
    main()

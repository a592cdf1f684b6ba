"""netgrade: the `grade` command of the network-programming course.

The grader is a compiled program installed next to Python's own scripts (the same folder as
`pip`); this package only finds it, so that `python -m netgrade` works wherever `grade` does.
"""

import os
import sys
import sysconfig

__all__ = ["find_grade"]


def find_grade() -> str:
    """Return the path of the installed `grade` program, or raise FileNotFoundError."""
    name = "grade" + (sysconfig.get_config_var("EXE") or "")
    places = [sysconfig.get_path("scripts")]
    # `pip install --user` puts scripts in the user scheme's folder instead.
    if sys.version_info >= (3, 10):
        user = sysconfig.get_preferred_scheme("user")
    elif os.name == "nt":
        user = "nt_user"
    elif sys.platform == "darwin" and getattr(sys, "_framework", None):
        user = "osx_framework_user"
    else:
        user = "posix_user"
    places.append(sysconfig.get_path("scripts", scheme=user))
    # A venv's interpreter sits beside its scripts (bin/ or Scripts\).
    places.append(os.path.dirname(sys.executable))
    for place in places:
        path = os.path.join(place, name)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        "the grade program was not found in " + ", ".join(places) + "; reinstall netgrade"
    )

#!/usr/bin/env bash
# Set-up of netgrade's Gradescope autograder for {{LAB}} (grade {{VERSION}}), written by
# `grade package gradescope {{LAB}}`. Gradescope runs it once, as root, while it builds the
# autograder's image, with this bundle unpacked in /autograder/source. It installs Python 3,
# the grade program, and the user the submissions run as (see README.md).
#
# Settings, for trying the bundle outside Gradescope (the defaults are Gradescope's):
#   AUTOGRADER_ROOT        /autograder
#   NETGRADE_PREFIX        /usr/local: grade goes to $NETGRADE_PREFIX/bin/grade, the
#                          environments made here to $NETGRADE_PREFIX/lib/netgrade/
#   NETGRADE_SETUP_PYTHON  /usr/bin/python3: the Python that makes those environments
set -eu

bundle=$(cd "$(dirname "$0")" && pwd)
root=${AUTOGRADER_ROOT:-/autograder}
prefix=${NETGRADE_PREFIX:-/usr/local}
python3=${NETGRADE_SETUP_PYTHON:-/usr/bin/python3}
version='{{VERSION}}'
student=netgrade-student

# Python 3 runs the students' programs (the system's /usr/bin/python3, which the unprivileged
# user can run); python3-venv makes the environments below.
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv ca-certificates

mkdir -p "$prefix/bin" "$prefix/lib/netgrade"

# The bundled binary runs when it is a Linux x86_64 build of this very version and this
# image's C library is at least as new as the one it was built against.
bundled_grade_runs() {
  [ -f "$bundle/bin/grade" ] || return 1
  install -m 0755 "$bundle/bin/grade" "$prefix/bin/grade" || return 1
  said=$("$prefix/bin/grade" --version) || return 1
  if [ "$said" != "grade $version" ]; then
    echo "setup.sh: the bundled grade says \"$said\", not \"grade $version\"" >&2
    return 1
  fi
}

if bundled_grade_runs; then
  echo "setup.sh: installed the bundled grade $version"
else
  # Otherwise the wheel of exactly this version from PyPI, in an environment of its own
  # (Ubuntu's own Python refuses `pip install` outside one).
  echo "setup.sh: installing netgrade==$version from PyPI"
  rm -f "$prefix/bin/grade"
  "$python3" -m venv "$prefix/lib/netgrade/grade"
  "$prefix/lib/netgrade/grade/bin/python" -m pip install --disable-pip-version-check \
    --no-cache-dir "netgrade==$version"
  ln -s "$prefix/lib/netgrade/grade/bin/grade" "$prefix/bin/grade"
  "$prefix/bin/grade" --version
fi

# Packages the students' programs may import (requirements.txt, when the bundle has one):
# an environment that the submissions' user can read and run.
if [ -s "$bundle/requirements.txt" ]; then
  "$python3" -m venv "$prefix/lib/netgrade/python"
  "$prefix/lib/netgrade/python/bin/python" -m pip install --disable-pip-version-check \
    --no-cache-dir -r "$bundle/requirements.txt"
  chmod -R a+rX "$prefix/lib/netgrade/python"
fi

# The submissions run as this user: no home, no login shell, a group of its own.
if ! id -u "$student" >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$student"
fi

# Only root may read the bundle: staff's grader definitions are in it.
chmod 0700 "$bundle"
for script in "$bundle/run_autograder" "$root/run_autograder"; do
  if [ -f "$script" ]; then
    chmod 0755 "$script"
  fi
done
echo "setup.sh: ready to grade {{LAB}}"

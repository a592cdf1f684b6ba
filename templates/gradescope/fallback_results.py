"""Leaves a valid Gradescope results.json, whatever happened to grade.

run_autograder calls it as root once grade has exited (or a step before it failed):

    python3 fallback_results.py RESULTS CODE STDERR_FILE LANG SECONDS LAB FILES

grade's own results.json is kept when grade finished (exit 0: passed, 1: a check failed,
3: a check ended in error, which its report already explains) and wrote a valid one. Anything
else (2: the submission could not be graded, such as a missing file; a crash; a time-out;
CODE "none": grade never ran) gets a results.json with a score of 0 and an output that says
what happened, without blaming the student for the grader's failure. Only the standard
library: this runs with the students' Python, which has nothing else.
"""

import json
import os
import sys

# Gradescope shows `output` as text; a long message is cut from the front, keeping its end.
MAX_SAID = 4000

MESSAGES = {
    "ko": {
        "setup": "제출물을 채점하지 못했습니다. 채점기의 메시지:",
        "files": "이 실습에서 채점하는 파일 (제출물 최상위 폴더 기준): {files}",
        "setup_fix": (
            "파일이 빠졌거나 경로가 다르면 위 경로에 맞춰 다시 제출하세요. "
            "그 밖의 문제라면 조교에게 알려 주세요."
        ),
        "grader": (
            "채점기 자체에 문제가 생겨 채점하지 못했습니다 ({what}). "
            "제출물의 잘못이 아니니 조교에게 알려 주세요. "
            "지금은 0점으로 기록되지만, 문제를 고친 뒤 다시 채점합니다."
        ),
        "exit": "종료 코드 {code}",
        "before": "grade를 실행하기 전 단계에서 실패",
    },
    "en": {
        "setup": "This submission could not be graded. The grader said:",
        "files": "This lab grades (paths from the top of your submission): {files}",
        "setup_fix": (
            "If a file is missing or in another place, submit it again at the path above. "
            "Otherwise, please tell the course staff."
        ),
        "grader": (
            "The grader itself failed ({what}), so this submission was not graded. "
            "This is not a problem with your submission: please tell the course staff. "
            "The score of 0 stands until they grade it again."
        ),
        "exit": "exit code {code}",
        "before": "before grade could run",
    },
}


def is_valid(path):
    """Whether `path` holds a results.json Gradescope can read: a score and a test list."""
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except (OSError, ValueError):
        return False
    return (
        isinstance(value, dict)
        and isinstance(value.get("score"), (int, float))
        and isinstance(value.get("tests"), list)
    )


def read_said(path):
    """What grade wrote on stderr, its last MAX_SAID characters."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            said = f.read().strip()
    except OSError:
        return ""
    if len(said) > MAX_SAID:
        said = "..." + said[-MAX_SAID:]
    return said


def message(code, said, lang, files):
    text = MESSAGES.get(lang, MESSAGES["en"])
    if code == "2":
        # grade's own explanation, written for students (a missing file names the path).
        lines = [text["setup"], said, "", text["files"].format(files=", ".join(files))]
        lines.append(text["setup_fix"])
        return "\n".join(lines)
    # grade's stderr stays in the log for staff: it may name staff's files.
    what = text["before"] if code == "none" else text["exit"].format(code=code)
    return text["grader"].format(what=what)


def main(argv):
    results, code, stderr_path, lang, seconds, lab, files = argv[1:8]
    if code in ("0", "1", "3") and is_valid(results):
        return 0
    data = {
        "score": 0,
        "execution_time": int(seconds) if seconds.isdigit() else 0,
        "output": message(code, read_said(stderr_path), lang, files.split()),
        "output_format": "text",
        "tests": [],
        "extra_data": {"lab": lab, "grade_exit": code},
    }
    # Written whole, then moved into place: Gradescope never reads half a file.
    partial = results + ".partial"
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.write("\n")
    os.replace(partial, results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

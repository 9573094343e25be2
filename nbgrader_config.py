"""nbgrader configuration for the Small Yeses course.

The repository is the course directory. Instructors edit ``solutions/<assignment>/`` (the nbgrader
source format: solutions between ``### BEGIN SOLUTION`` / ``### END SOLUTION``, hidden tests between
``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``); ``nbgrader generate_assignment <assignment>``
writes the student version to ``exercises/<assignment>/``, which is committed so learners can open it.
Submissions, the gradebook and feedback (``submitted/``, ``autograded/``, ``feedback/``,
``gradebook.db``) stay out of git.
"""

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "small-yeses"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# A cell that runs longer than this (seconds) is stopped and counts as failed.
c.ExecutePreprocessor.timeout = 60
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Learners may run the exercises in any order; keep the checksums strict.
c.ClearOutput.enabled = True

# nbgrader runs the `alembic` command (installed beside Python) when it creates a gradebook;
# make sure the interpreter's own bin/ folder is on PATH even when .venv is not activated.
import os  # noqa: E402
import sys  # noqa: E402

_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

# A test cell a student deleted is put back (and run) when grading, instead of costing the points silently.
c.OverwriteCells.add_missing_cells = True

# Feedback never shows the hidden tests, nor the traceback lines that quote them: only the test's
# own message (see funnel_lib/grading/_feedback.py).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "funnel_lib.grading._feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

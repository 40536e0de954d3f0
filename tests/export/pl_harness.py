"""Runs one exported PrairieLearn question the way PrairieLearn does, outside PrairieLearn:
question code imported with the course's serverFilesCourse/ on the path, generate and prepare
on a fresh data dictionary, then grade on each submission. Prints the dictionaries as JSON.

Usage: python -I pl_harness.py COURSE QUESTION_FOLDER SUBMISSIONS_JSON (-I: no PYTHONPATH, so
derive can only come from serverFilesCourse/)."""
import copy
import importlib.util
import json
import sys
from pathlib import Path

course, folder, submissions = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
sys.path.insert(0, str(course / "serverFilesCourse"))
spec = importlib.util.spec_from_file_location("server", folder / "server.py")
server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(server)

import derive  # noqa: E402  (only now on the path)

data = {"params": {}, "correct_answers": {}, "variant_seed": 1234567, "options": {}}
server.generate(data)
server.prepare(data)
graded = []
for text in submissions:
    submission = copy.deepcopy(data)
    submission.update({"submitted_answers": {"answer": text}, "raw_submitted_answers": {"answer": text},
                       "format_errors": {}, "partial_scores": {}, "score": 0, "feedback": {}})
    server.grade(submission)
    graded.append(submission)
print(json.dumps({"derive": derive.__file__, "generated": data, "graded": graded}, default=str))

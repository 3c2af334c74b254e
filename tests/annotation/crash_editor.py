"""Helper process of test_crash.py: edits a store in a loop until it is killed.

``python -m tests.annotation.crash_editor STORE RUN`` opens STORE (creating patient P1 and pair
E1 if needed) and repeats three kinds of edit, printing ``ack SEQ KIND KEY VALUE`` after each
commit returns (i.e. once the edit is acknowledged):

* ``mark``: a new count mark ``RUN-i``;
* ``lesion``: a new lesion measured on DWI in one batch (VALUE: its p2 row);
* ``age``: the patient's age set to VALUE (an overwrite: the last acknowledged value must stay).
"""

from __future__ import annotations

import sys

from annotation.records import Measurement
from annotation.store import open_reading

PAIR = ("P1", "E1")


def main(path: str, run: str) -> None:
    store, reading = open_reading(path, "crash")
    seqs: list[int | None] = []
    reading.subscribe(lambda event: seqs.append(event.edit_seq))
    if "P1" not in reading.project.patients:
        with reading.batch("setup"):
            reading.add_patient("P1", "Crash^Test")
            reading.add_exam_pair("P1", "E1")
    i = 0
    while True:
        i += 1
        kind = ("mark", "lesion", "age")[i % 3]
        if kind == "mark":
            key = reading.add_count_mark(PAIR, "mr_dwi", "right" if i % 2 else "left", row=i, col=1,
                                         mark_id=f"{run}-{i}")
            value = i
        elif kind == "lesion":
            with reading.batch("lesion"):
                key = reading.add_lesion(PAIR, "left")
                reading.set_observation(PAIR, key, "mr_dwi", Measurement("k", "1.2", 0, (0, 0), (i, 3), 0.8, 0.8))
            value = i
        else:
            key, value = "P1", i % 120
            reading.edit_patient("P1", age_at_diagnosis_years=value)
        print(f"ack {seqs[-1]} {kind} {key} {value}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""`import-sr` of a large SR: lesionlab's T2 FS SR of the sample pair LLSYN002, its first length group copied
N times (each its own lesion: new tracking UID, id L1..LN), imported into one read (CPU seconds, the machine is
shared): reading the file (``sr_read``: its own walk of the content tree, viewer/interop/sr_tree.py; against it
pydicom's items, which it replaced: 2.5 ms a group) and the import after it, with the bulk
batch (the project's draft changed in place) and, against it, the copying batch it replaced (each edit copied the
tables it changed: quadratic in the groups). The two imports must leave the same records."""

from __future__ import annotations

import copy
import shutil
import tempfile
import time
from pathlib import Path

N_GROUPS = 5000
ROOT = Path(__file__).resolve().parents[1]


def big_sr(out: Path, n: int) -> Path:
    """The sample reading's SR of LLSYN002's T2 FS with its first length group copied ``n`` times."""
    import pydicom  # noqa: PLC0415
    from pydicom.sequence import Sequence  # noqa: PLC0415
    from pydicom.uid import generate_uid  # noqa: PLC0415

    from app.cli import main  # noqa: PLC0415

    store = out / "reading.lesionlab"
    shutil.copy(ROOT / "sample_dicom" / "reading.lesionlab", store)
    assert main(["export", str(store), "--sr", str(out / "sr"), "--dicom", str(ROOT / "sample_dicom")]) == 0
    ds = pydicom.dcmread(out / "sr" / "LLSYN002" / "E1" / "sample" / "mr_t2fs.dcm")
    container = next(i for i in ds.ContentSequence if i.ValueType == "CONTAINER"
                     and i.ConceptNameCodeSequence[0].CodeValue == "126010")
    first = next(g for g in container.ContentSequence if any(c.ValueType == "NUM" for c in g.ContentSequence))
    groups = []
    for k in range(1, n + 1):
        g = copy.deepcopy(first)
        for c in g.ContentSequence:
            code = c.ConceptNameCodeSequence[0].CodeValue
            if code == "112039":  # tracking identifier
                c.TextValue = f"{c.TextValue.rsplit(':', 1)[0]}:L{k}"
            elif code == "112040":  # tracking UID
                c.UID = generate_uid()
        groups.append(g)
    container.ContentSequence = Sequence(groups)
    path = out / f"big{n}.dcm"
    ds.save_as(path)
    return path


def run() -> dict:
    from annotation import sr_import  # noqa: PLC0415
    from annotation.reading import Reading  # noqa: PLC0415
    from annotation.store import ReadingStore  # noqa: PLC0415
    from viewer.index import index_path  # noqa: PLC0415
    from viewer.interop.sr_read import read_sr  # noqa: PLC0415

    figures: dict[str, float | int | bool] = {"groups": N_GROUPS}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        path = big_sr(out, N_GROUPS)
        t0 = time.process_time()
        parsed = read_sr(path)
        figures["read_cpu_s"] = round(time.process_time() - t0, 2)
        figures["read_ms_per_group"] = round(1000 * figures["read_cpu_s"] / N_GROUPS, 3)
        import viewer.interop.sr_read as sr_read  # noqa: PLC0415
        walk = sr_read.content_items
        sr_read.content_items = lambda buf: None  # type: ignore[assignment]  # pydicom's items, as before
        try:
            t0 = time.process_time()
            figures["read_pydicom_items_same"] = read_sr(path) == parsed
            figures["read_pydicom_items_cpu_s"] = round(time.process_time() - t0, 2)
        finally:
            sr_read.content_items = walk
        images = sr_import._Images(list(index_path(ROOT / "sample_dicom" / "LLSYN002", workers=1).stacks))
        bulk_batch = Reading.batch
        states = {}
        for label in ("import_copying", "import"):
            if label == "import_copying":  # the batch before: each edit copies the tables it changes
                Reading.batch = lambda self, description, *, bulk=False: bulk_batch(self, description)  # type: ignore[method-assign]
            target = out / f"{label}.lesionlab"
            shutil.copy(out / "reading.lesionlab", target)
            try:
                with ReadingStore.open(target) as st:
                    result = sr_import.SrImportResult()
                    importer = sr_import._Importer(lambda who: Reading(st.load(), reader=who, sink=st), images, result)
                    t0 = time.process_time()
                    importer.import_file(parsed, "bench")
                    figures[f"{label}_cpu_s"] = round(time.process_time() - t0, 2)
                    assert (result.lesions_added, result.measurements, result.refused) == (N_GROUPS, N_GROUPS, [])
                    states[label] = st.load()
            finally:
                Reading.batch = bulk_batch  # type: ignore[method-assign]
        figures["same_records"] = all(dict(getattr(states["import"], t)) == dict(getattr(states["import_copying"], t))
                                      for t in ("lesions", "count_marks", "series_flags"))
    print(f"SR of {N_GROUPS} length groups: read {figures['read_cpu_s']} s CPU ({figures['read_ms_per_group']} ms a "
          f"group; through pydicom's items {figures['read_pydicom_items_cpu_s']} s, same: "
          f"{figures['read_pydicom_items_same']}); import {figures['import_cpu_s']} s CPU (the copying batch: {figures['import_copying_cpu_s']} s); "
          f"same records: {figures['same_records']}")
    return figures


if __name__ == "__main__":
    run()

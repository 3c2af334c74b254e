"""ReadingStore.close lets go of its connection and lock even when looking for an edit in doubt is interrupted."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.store import ReadingStore, _Doubt


def test_an_interrupted_look_for_an_edit_in_doubt_still_closes_the_store(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A review: Ctrl+C while close() looked for the edit in doubt skipped closing the connection, so the store's
    file lock stayed held by a process that was going on (a second open for writing was refused)."""
    path = tmp_path / "s.lesionlab"
    store = ReadingStore.open(path)
    store._doubt = _Doubt(store.load(), None, (None, "add lesion L1"))  # type: ignore[arg-type]

    def interrupted(*, closing: bool = False) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_settle", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.close()
    with ReadingStore.open(path) as again:  # the lock was let go
        assert again.load() is not None

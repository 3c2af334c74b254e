"""Writing output files and folders safely: whole or not at all, with normal permissions, and a
full disk said in words.

* :func:`atomic_write` — one file: written to a temporary file beside it, fsynced, renamed over it.
* :func:`replace_folder` — a folder of outputs (analysis, agreement): filled as a hidden temporary
  folder beside it and moved into place only when complete; an existing folder is replaced only
  when empty or a previous output of the same command.

Permissions are those of any file the user makes (``0o666 & ~umask``, folders ``0o777 & ~umask``),
not the 0600/0700 of :mod:`tempfile`: the temporary names are created with ``O_EXCL`` and the mode
left to the umask. Any OSError (also one a writer wrapped, as pydicom does) becomes a
:class:`~viewer.errors.OutputWriteError` naming the output the user asked for, never the hidden
temporary name it was being written under (an error raised inside :func:`replace_folder`'s
temporary folder is renamed to the final folder's path); ENOSPC/EDQUOT say "the disk is full",
and nothing partial is left behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Callable

from viewer.errors import DISK_FULL_ADVICE, NOT_WRITABLE_ADVICE, LesionlabError, OutputWriteError, os_error_of
from viewer.tempfiles import create_locked, remove_stale, temporary_name

__all__ = ["DISK_FULL_ADVICE", "WRITE_ADVICE", "atomic_write", "check_out_folder", "replace_folder", "write_error"]

WRITE_ADVICE = NOT_WRITABLE_ADVICE


def write_error(exc: BaseException, where: str | os.PathLike[str], advice: str = WRITE_ADVICE) -> OutputWriteError:
    """The error to show for an OSError while writing outputs (a full disk named as such), naming ``where``."""
    return OutputWriteError.from_os_error(exc, where, advice)


def _final_name(name: str | os.PathLike[str] | None, tmp: Path, out: Path) -> Path:
    """``name`` inside the temporary folder ``tmp`` as it is called once in place under ``out``; ``out`` for
    anything else (the folder itself, a name outside it, none)."""
    if name is None:
        return out
    path = Path(os.fsdecode(name))
    return out / path.relative_to(tmp) if path.is_relative_to(tmp) else out


def _named_final(exc: LesionlabError, tmp: Path, out: Path) -> None:
    """``exc`` (raised while filling ``tmp``) naming the output the user asked for, ``out/...``, not the hidden
    temporary folder (a full disk said ".ex.partial-a45a6b933988/patients/P1.xlsx: cannot be written")."""
    exc.where = exc.where.replace(str(tmp), str(out)) if exc.where else exc.where
    exc.message = exc.message.replace(str(tmp), str(out))
    exc.args = (str(exc),)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a new empty file beside ``path``, fsync it, then rename it over ``path``.

    A folder that cannot be made or written (a file in the way, no permission, a full disk) raises
    :class:`LesionlabError` naming the file; ``path`` is then unchanged and no temporary is left.
    The temporary is held under a ``flock`` until renamed, and the temporaries a killed write left in
    the folder (no process holds them) are removed first (:func:`viewer.tempfiles.remove_stale`): a
    killed SR export's ``.ct_portal.dcm.tmp-…`` goes at the next export there.
    """
    path = Path(path)
    tmp: Path | None = None
    held: int | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path.parent)
        tmp = temporary_name(path, "tmp")
        held = create_locked(tmp)  # mode: 0o666 & ~umask
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(path.parent)
    except OSError as exc:
        raise write_error(exc, path) from exc
    except LesionlabError:
        raise
    except Exception as exc:  # a writer that wraps the OSError (pydicom: "With tag (0040,A730) got exception")
        if os_error_of(exc) is None:
            raise
        raise write_error(exc, path) from exc
    finally:
        if tmp is not None:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:  # a read-only file system refuses even that: the error above is the one said
                pass
        if held is not None:
            os.close(held)  # the lock goes with it, once the temporary is renamed or removed


def check_out_folder(out_dir: str | os.PathLike[str], is_previous: Callable[[Path], bool]) -> Path:
    """``out_dir`` as an absolute path if it may be written: absent, empty or a previous output."""
    out = Path(out_dir).absolute()
    if out.is_symlink():  # replacing the link left the folder it points to as it was, "written" all the same
        raise LesionlabError("is a symbolic link", where=str(out), advice=f"give the folder itself ({out.resolve()})")
    if out.exists():
        if not out.is_dir():
            raise LesionlabError("exists and is not a folder", where=str(out), advice="choose another --out")
        if any(out.iterdir()) and not is_previous(out):
            raise LesionlabError("exists and holds other files", where=str(out),
                                 advice="choose an empty or new --out folder")
    return out


def replace_folder(out_dir: str | os.PathLike[str], is_previous: Callable[[Path], bool],
                   fill: Callable[[Path], None]) -> Path:
    """Fill a temporary folder beside ``out_dir`` and move it into place only when complete.

    An existing ``out_dir`` is replaced only if it is empty or ``is_previous(out_dir)``. On any
    failure (a full disk included) the temporary folder goes and ``out_dir`` is as it was.
    """
    out = check_out_folder(out_dir, is_previous)
    if out.is_dir() and os.path.ismount(out):
        return _replace_mount_contents(out, is_previous, fill)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_name(out, "partial")
        os.mkdir(tmp, 0o777)  # mode: 0o777 & ~umask
    except OSError as exc:
        raise write_error(exc, out, advice="choose an --out folder in a place you can write to") from exc
    try:
        fill(tmp)
        check_out_folder(out, is_previous)  # again: a file saved there while filling is not replaced unasked
        if out.exists():
            old = temporary_name(out, "old")
            os.mkdir(old, 0o700)
            os.replace(out, old / "previous")
            try:
                os.replace(tmp, out)
            except BaseException:
                os.replace(old / "previous", out)  # the previous output stays where it was
                shutil.rmtree(old, ignore_errors=True)  # and no empty ".old-" folder beside it
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_error(exc, _final_name(exc.filename, tmp, out)) from exc
    except LesionlabError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _named_final(exc, tmp, out)
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _replace_mount_contents(out: Path, is_previous: Callable[[Path], bool], fill: Callable[[Path], None]) -> Path:
    """:func:`replace_folder` for a folder that is a mount point (a USB stick's root), which cannot be renamed: the
    new output is filled in a hidden folder inside it, then the previous output's entries are set aside and the
    new ones renamed into place one by one (each rename atomic, on the one file system); on a failure the previous
    output is put back (an audit: export to a stick's root was refused, "Device or resource busy")."""
    before = {e.name for e in out.iterdir()}  # empty, or a previous output (check_out_folder said so)
    tmp = out / f".lesionlab.partial-{secrets.token_hex(6)}"
    try:
        os.mkdir(tmp, 0o777)
    except OSError as exc:
        raise write_error(exc, out, advice="choose an --out folder in a place you can write to") from exc
    old = out / f".lesionlab.old-{secrets.token_hex(6)}"
    moved: list[str] = []
    placed: list[Path] = []
    try:
        fill(tmp)
        if {e.name for e in out.iterdir()} - {tmp.name} != before:  # a file saved there meanwhile: not replaced
            raise LesionlabError("changed while the output was written", where=str(out),
                                 advice="run again, or choose an empty or new --out folder")
        os.mkdir(old, 0o700)
        try:
            for name in sorted(before):
                os.replace(out / name, old / name)
                moved.append(name)
            for entry in list(tmp.iterdir()):
                os.replace(entry, out / entry.name)
                placed.append(out / entry.name)
        except BaseException:
            for entry in placed:  # the new entries go, the previous ones come back
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            for name in moved:
                os.replace(old / name, out / name)
            raise
    except OSError as exc:
        raise write_error(exc, _final_name(exc.filename, tmp, out)) from exc
    except LesionlabError as exc:
        _named_final(exc, tmp, out)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return out

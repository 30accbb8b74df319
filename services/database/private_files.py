"""Files only the service account may read (docs/decisions.md#first-start): the database, backups,
uploads and the key files are created 0600 in 0700 folders, whatever the umask; a key file is
written once, atomically, by whichever worker gets there first."""
import os
import secrets
import tempfile

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: str) -> str:
    """Create `path` (and its parents) if missing; the folder itself is made 0700."""
    os.makedirs(path, mode=DIR_MODE, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def write_private(path: str, data: bytes) -> None:
    """Write a new file that only the owner can read (an upload, a photo)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def touch_private(path: str) -> None:
    """Create an empty 0600 file unless it exists (an SQLite database before SQLite creates it)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass


class EmptyKey(RuntimeError):
    """A key file exists but holds nothing: never run with an empty key."""


def key_file(path: str) -> str:
    """The key stored at `path`, generated on first use. Two workers starting together both get the
    same complete key: the new key is written and synced to a temporary file first, then linked to
    `path` (a link fails if the name exists, so exactly one worker's key wins); a reader never sees a
    half-written file. An empty file is refused, not used."""
    if not os.path.exists(path):
        folder = os.path.dirname(path) or "."
        fd, temporary = tempfile.mkstemp(prefix=".key-", dir=folder)
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another worker's key won; read it below
        finally:
            os.unlink(temporary)
    with open(path) as handle:
        key = handle.read().strip()
    if not key:
        raise EmptyKey(f"{path} is empty: restore the key from the backup (never start with an empty key)")
    return key

"""First start: keys written once and atomically (two workers racing agree), an empty key refused,
and the database, backups and uploads created for the owner only (docs/decisions.md#first-start)."""
import os
import stat
import threading

import pytest

from app import create_app
from services.database import private_files
from tests.conftest import test_settings as settings_for


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # the usual default: without care, files would be world-readable
    yield
    os.umask(old)


def test_racing_workers_all_read_the_same_complete_key(tmp_path):
    for attempt in range(20):
        path = str(tmp_path / f"ledger_key_{attempt}")
        barrier, keys = threading.Barrier(8), []

        def start(barrier=barrier, keys=keys, path=path):
            barrier.wait()
            keys.append(private_files.key_file(path))

        threads = [threading.Thread(target=start) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 64
        assert mode(path) == 0o600
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".key-")]  # no temporary left


def test_an_empty_key_file_is_refused(tmp_path):
    (tmp_path / "ledger_key").write_text("  \n")
    with pytest.raises(private_files.EmptyKey):
        private_files.key_file(str(tmp_path / "ledger_key"))
    with pytest.raises(private_files.EmptyKey):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"}, instance_path=str(tmp_path))


def test_first_start_makes_private_files(tmp_path, loose_umask):
    instance = tmp_path / "instance"
    create_app({"SQLALCHEMY_DATABASE_URI": None, "SECRET_KEY": None, "LEDGER_KEY": None},
               instance_path=str(instance))
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == mode(instance / "ledger_key") == 0o600
    assert mode(instance / "jifen.db") == 0o600
    again = create_app({"SQLALCHEMY_DATABASE_URI": None, "SECRET_KEY": None, "LEDGER_KEY": None},
                       instance_path=str(instance))
    assert again.config["LEDGER_KEY"] == (instance / "ledger_key").read_text().strip()


def test_backups_and_uploads_are_private(app, tmp_path, loose_umask):
    from services.database.backup import backup, default_backup_path
    from services.support.responsibility import store_file

    target = default_backup_path(str(tmp_path / "backups"))
    backup(target)
    assert mode(tmp_path / "backups") == 0o700 and mode(target) == 0o600
    app.config["SUPPORT_UPLOAD_DIR"] = str(tmp_path / "uploads" / "support")
    name = store_file(b"\xff\xd8\xff photo", ".jpg")
    assert mode(tmp_path / "uploads" / "support") == 0o700
    assert mode(tmp_path / "uploads" / "support" / name) == 0o600


def test_evidence_uploads_are_private(app, loose_umask):
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from admin.earning.rules import _save_evidence, evidence_dir

    with app.test_request_context():
        name = _save_evidence(FileStorage(BytesIO(b"\x89PNG\r\n\x1a\n rest"), "e.png"))
        assert mode(evidence_dir()) == 0o700 and mode(os.path.join(evidence_dir(), name)) == 0o600


def test_settings_still_take_keys_from_config(tmp_path):
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'y.db'}"), instance_path=str(tmp_path / "i"))
    assert app.config["LEDGER_KEY"] == "test-ledger-key"
    assert not os.path.exists(tmp_path / "i" / "ledger_key")

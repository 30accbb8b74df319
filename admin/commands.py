"""Flask CLI: init-db, demo-data, create-user, ledger verify/seal/prove, serve-demo, kiosk-audio, pdf-fonts, backup, restore."""
import os
import sys

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import func, select

from extensions import db
from models import Household, StaffUser
from models.staff import ROLES


def register(app) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(demo_data)
    app.cli.add_command(create_user)
    app.cli.add_command(ledger)
    app.cli.add_command(serve_demo)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(kiosk_audio)
    app.cli.add_command(pdf_fonts_command)


def migrate_to_head() -> None:
    upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")


@click.command("init-db")
def init_db():
    """Create or upgrade the database schema (Alembic, to head)."""
    migrate_to_head()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("demo-data")
@click.option("--households", default=300, show_default=True)
@click.option("--seed", default=2026, show_default=True)
def demo_data(households, seed):
    """Fill an empty database with a realistic demo county."""
    from services.demo.county import build_demo

    if db.session.execute(select(func.count(Household.id))).scalar_one():
        click.echo("demo data skipped: the database already has households")
        return
    summary = build_demo(households=households, seed=seed)
    db.session.commit()
    click.echo(summary)


@click.command("create-user")
@click.argument("username")
@click.option("--name", "display_name", default=None, help="display name")
@click.option("--role", "roles", multiple=True, type=click.Choice(sorted(ROLES)), required=True)
@click.password_option()
def create_user(username, display_name, roles, password):
    """Create a staff user (county-wide scope for admin/auditor; others get scopes in the UI)."""
    if db.session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none():
        raise click.ClickException(f"用户 {username} 已存在")
    if len(password) < 8:
        raise click.ClickException("密码至少 8 位")
    user = StaffUser(username=username, display_name=display_name or username)
    user.roles = roles
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {username} ({', '.join(ROLES[r] for r in roles)})")


@click.group("ledger")
def ledger():
    """Points ledger tools."""


@ledger.command("verify")
@click.option("--seal", "seal_path", default=None, metavar="FILE",
              help="also check that the ledger extends this seal file (docs/decisions.md#ledger-seals)")
def ledger_verify(seal_path):
    """Recompute every hash chain and balance; exit 1 on any mismatch. Reads a snapshot: no write lock."""
    from services.database import READ, WRITE, expect
    from services.integrity.fund_verify import (
        fund_verify,  # per-site points/stock/fund identities (docs/decisions.md#fund)
    )
    from services.ledger.seals import SealRefused, load_seal
    from services.ledger.verify import format_report, verify

    expect(READ)  # SQLite: a deferred BEGIN reads a WAL snapshot; kiosks keep writing meanwhile
    try:
        seal = load_seal(seal_path) if seal_path else None
        report = verify(seal=seal)
        click.echo(format_report(report))
        fund = fund_verify()
        click.echo(fund.text())
        ok = report.ok and fund.ok
    except SealRefused as refused:
        click.echo(f"REFUSED: {refused.message}")
        ok = False
    finally:
        db.session.rollback()
        expect(WRITE)  # what comes next in this process writes again
    sys.exit(0 if ok else 1)


@ledger.command("seal")
def ledger_seal():
    """Seal every household's signed chain head: a row in ledger_seal and a JSON file outside the database."""
    from services.ledger.seals import SealRefused, make_seal, seal_folder

    try:
        seal = make_seal()
    except SealRefused as refused:
        click.echo(f"REFUSED: {refused.message}")
        sys.exit(1)
    db.session.commit()
    click.echo(f"sealed: {seal.code} ({seal.households} households, {seal.entries} entries) -> {seal_folder()}")


@ledger.command("prove")
@click.argument("household_id", type=int)
@click.option("--seal", "seal_path", default=None, metavar="FILE", help="seal file (default: the newest)")
def ledger_prove(household_id, seal_path):
    """Print a household's Merkle proof in the newest seal (what its passbook can carry)."""
    from services.database import READ, WRITE, expect
    from services.ledger.seals import SealRefused, check_proof, format_proof, latest_seal_file, load_seal, prove

    expect(READ)
    try:
        path = seal_path or latest_seal_file()
        if path is None:
            raise SealRefused("还没有封存文件,请先运行 flask ledger seal")
        proof = prove(household_id, load_seal(path))
    except SealRefused as refused:
        click.echo(f"REFUSED: {refused.message}")
        sys.exit(1)
    finally:
        db.session.rollback()
        expect(WRITE)
    click.echo("\n".join(format_proof(proof)))
    click.echo("proof OK" if check_proof(proof) else "proof FAILED")


@click.command("serve-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--check", is_flag=True, help="set up and exit without serving")
def serve_demo(host, port, check):
    """Migrate, load demo data on first run, print the URLs and logins, then serve."""
    from services.demo.county import DEMO_LOGINS, ensure_demo

    migrate_to_head()
    ensure_demo()
    db.session.commit()
    base = f"http://{host}:{port}"
    click.echo(f"\n  管理后台 admin:  {base}/admin/\n  超市终端 kiosk:  {base}/kiosk/\n")
    for username, password, label in DEMO_LOGINS:
        click.echo(f"  {label:<10} {username} / {password}")
    click.echo("")
    from services.demo.supermarket import serve_lines

    for line in serve_lines(base):
        click.echo(line)
    db.session.commit()
    click.echo("")
    if check:
        return
    app = current_app._get_current_object()
    _prepare_in_background(app)
    serve_with_gunicorn(app, host, port)


#: how the demo is served: the README's production settings (gunicorn, gthread, 4 workers of one
#: thread), with a longer timeout for the first PDF while the font subset is still being made
DEMO_SERVER = {"workers": 4, "worker_class": "gthread", "threads": 1, "timeout": 120, "accesslog": None,
               "errorlog": "-", "loglevel": "info"}


def serve_with_gunicorn(app, host: str, port: int) -> None:
    """Serve `app` with gunicorn as production does (docs/operations.md), in this process: the
    database connections made while setting up are closed before the workers fork."""
    from gunicorn.app.base import BaseApplication

    def post_fork(_server, _worker):
        with app.app_context():
            db.engine.dispose(close=False)

    class DemoServer(BaseApplication):
        def load_config(self):
            for key, value in {**DEMO_SERVER, "bind": f"{host}:{port}", "post_fork": post_fork}.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    DemoServer().run()


@click.command("kiosk-audio")
def kiosk_audio():
    """Pre-generate the kiosk's fixed spoken phrases (espeak-ng, cmn-latn-pinyin) into the cache."""
    if not _kiosk_audio_setup():
        sys.exit(1)


def _kiosk_audio_setup() -> bool:
    from kiosk.speech import audio_dir, generate_fixed

    count, found = generate_fixed()
    if not found:
        click.echo("  超市终端语音:未安装 espeak-ng,终端将不发声。安装:sudo apt-get install -y espeak-ng sox")
        return False
    click.echo(f"  超市终端语音:已生成 {count} 句固定提示语 ({audio_dir()})")
    return True


def _prepare_in_background(app) -> None:
    """serve-demo: render the kiosk's fixed phrases (~5 s) and make the common-character PDF font
    (~15 s) while the server already answers. A separate program, not a thread: the server forks its
    workers meanwhile, and a forked worker that exits would remove a thread's temporary files."""
    import subprocess

    code = "from app import create_app; from admin.commands import prepare; prepare(create_app())"
    subprocess.Popen([sys.executable, "-c", code], cwd=app.root_path)


def prepare(app) -> None:
    with app.app_context():
        _kiosk_audio_setup()
        _pdf_fonts_setup()


@click.command("pdf-fonts")
def pdf_fonts_command():
    """Make the common-character subset of the PDF font into the font cache (once per machine)."""
    if not _pdf_fonts_setup():
        sys.exit(1)


def _pdf_fonts_setup() -> bool:
    from services import pdf_fonts

    face = pdf_fonts.common_face(pdf_fonts.find_font())
    if face is None:
        click.echo("  PDF 字体:常用字子集没能生成,打印仍用完整字体(较慢)")
        return False
    click.echo(f"  PDF 字体:常用字子集已就绪 ({os.path.dirname(face.path)})")
    return True


@click.command("backup")
@click.argument("target", required=False)
def backup_command(target):
    """Copy the live database to TARGET (default: instance/backups/jifen-<time>)."""
    from services.database.backup import backup, default_backup_path
    from services.ledger.seals import make_seal

    seal = make_seal()  # every backup is newer than a seal: restoring an older one is caught
    db.session.commit()
    click.echo(f"sealed: {seal.code}")
    path = backup(target or default_backup_path(os.path.join(current_app.instance_path, "backups")))
    click.echo(f"backup written: {path}")


@click.command("restore")
@click.argument("source")
@click.option("--yes", is_flag=True, help="confirm replacing the current data")
def restore_command(source, yes):
    """Replace the database with the backup SOURCE, then verify the ledger."""
    from services.database.backup import restore
    from services.ledger.seals import SealRefused, latest_seal_file, load_seal
    from services.ledger.verify import format_report, verify

    if not yes:
        raise click.ClickException("恢复会覆盖当前全部数据;确认请加 --yes")
    restore(source)
    path = latest_seal_file()  # the seal files live outside the database: a stale backup is caught
    try:
        seal = load_seal(path) if path else None
    except SealRefused as refused:
        click.echo(f"REFUSED: {refused.message}")
        sys.exit(1)
    report = verify(seal=seal)
    click.echo(format_report(report))
    sys.exit(0 if report.ok else 1)

"""CLI: demo data, create-user, ledger verify exit codes, serve-demo --check."""
from sqlalchemy import func, select, text

from extensions import db
from models import Card, Household, StaffUser
from models.household import mask_id_number, mask_name


def test_demo_data_builds_a_county_whose_ledger_verifies(runner):
    result = runner.invoke(args=["demo-data", "--households", "60"])
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(func.count(Household.id))).scalar_one() == 60
    assert db.session.execute(select(func.count(Card.id))).scalar_one() == 60
    roles = set()
    for user in db.session.execute(select(StaffUser)).scalars():
        roles |= user.roles
    assert roles == {"admin", "cadre", "committee", "shopkeeper", "auditor"}
    verify = runner.invoke(args=["ledger", "verify"])
    assert verify.exit_code == 0 and "OK" in verify.output
    # a second run leaves an existing database alone
    again = runner.invoke(args=["demo-data"])
    assert "skipped" in again.output


def test_demo_names_include_rare_characters(runner):
    runner.invoke(args=["demo-data"])
    names = "".join(db.session.execute(select(Household.head_name)).scalars())
    assert set("堃喆赟昇彧") <= set(names)
    assert any(ch in names for ch in "䶮㛃𠮷𬌗")


def test_ledger_verify_exits_nonzero_on_drift(runner):
    runner.invoke(args=["demo-data", "--households", "12"])
    db.session.execute(text("UPDATE household SET balance = balance + 7 WHERE id = 3"))
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "balance drift" in result.output and "household 3" in result.output


def test_create_user(runner):
    result = runner.invoke(args=["create-user", "lisi", "--role", "cadre", "--role", "committee"],
                           input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(StaffUser).where(StaffUser.username == "lisi")).scalar_one()
    assert user.roles == {"cadre", "committee"} and user.check_password("s3cret-pass")
    assert user.password_hash.startswith("scrypt:")
    dup = runner.invoke(args=["create-user", "lisi", "--role", "cadre"], input="s3cret-pass\ns3cret-pass\n")
    assert dup.exit_code != 0 and "已存在" in dup.output


def test_serve_demo_check_sets_up_and_prints_logins(runner):
    result = runner.invoke(args=["serve-demo", "--check"])
    assert result.exit_code == 0, result.output
    assert "/admin/" in result.output and "/kiosk/" in result.output
    assert "admin / admin12345" in result.output


def test_masking():
    assert mask_name("张三") == "张*" and mask_name("张小三") == "张*三" and mask_name("欧阳小明") == "欧**明"
    assert mask_id_number("510123199001011234") == "5101**********1234"

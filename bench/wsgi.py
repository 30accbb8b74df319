"""The app as the benchmark serves it under gunicorn: the real app plus ONE bare reference route.

    BENCH_DATABASE_URL=... gunicorn --preload -w 2 bench.wsgi:app

GET /bench/bare/<household_id> is the scan's reference (docs/performance.md, measure 1): one indexed SELECT
by primary key through the same Flask app, engine and pool, answered as JSON. It exists only here."""
import os

from flask import jsonify
from sqlalchemy import text

from bench.generate import make_app
from extensions import db

app = make_app(os.environ["BENCH_DATABASE_URL"])
with app.app_context():
    db.engine.dispose()  # served with --preload: no connection may cross the fork
_BARE_SQL = text("SELECT id, head_name, balance FROM household WHERE id = :id")


@app.get("/bench/bare/<int:household_id>")
def bench_bare(household_id: int):
    row = db.session.execute(_BARE_SQL, {"id": household_id}).one()
    return jsonify({"id": row.id, "name": row.head_name, "balance": row.balance})

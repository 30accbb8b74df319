"""the redemption's work under the lock as ONE PostgreSQL function, jifen_redeem; an index on
ledger_entry.created_at (both databases)

On PostgreSQL a kiosk redemption is one call of jifen_redeem (one round trip) followed by the
ledger entry's INSERT and the COMMIT in one pipelined send: the household row stays locked for one
round trip plus the COMMIT. The function checks the device credential, the kiosk session and the
goods, inserts the redemption (ON CONFLICT on request_id: a replay) and its lines, takes the stock
conditionally in goods-id order, checks the purchase limits, moves the balance conditionally and
writes the stock movements. It refuses with a code in r_code (nothing raised: the caller rolls
back); the ledger entry's HMAC is computed in Python with the key the database never sees, from
what the function returns. The rules are those of services/supermarket/redemption.py; see
docs/performance.md and docs/decisions.md#redeem-function.

The index on ledger_entry(created_at): the anomaly checks read one period's entries by time, which
on PostgreSQL was a scan of the whole ledger (6.8 s at county scale).

Revision ID: 0014_redeem_function
Revises: 0010_ledger_seals
Create Date: 2026-12-07 14:00:00

"""
from alembic import op

revision = '0014_redeem_function'
down_revision = '0010_ledger_seals'
branch_labels = None
depends_on = None

FUNCTION = r"""
CREATE OR REPLACE FUNCTION jifen_redeem(
    p_token_hash text, p_session_id text, p_request_id text, p_goods integer[], p_qty integer[],
    p_expected integer, p_now timestamp, p_today date, p_seen_before timestamp,
    p_day timestamp, p_week timestamp, p_month timestamp, p_year timestamp,
    OUT r_code text, OUT r_goods_id integer, OUT r_amount integer,
    OUT r_device_id integer, OUT r_device_site_id integer, OUT r_device_site_code text,
    OUT r_device_site_name text, OUT r_card_id integer, OUT r_household_id integer,
    OUT r_household_status text, OUT r_head_name text, OUT r_household_site_id integer,
    OUT r_household_site_code text, OUT r_household_site_name text,
    OUT r_redemption_id integer, OUT r_total integer, OUT r_balance integer, OUT r_seq integer,
    OUT r_prev_hash text, OUT r_entry_site_id integer,
    OUT r_line_ids integer[], OUT r_names text[], OUT r_units text[], OUT r_prices integer[],
    OUT r_limit_qtys integer[], OUT r_limit_periods text[])
LANGUAGE plpgsql AS $fn$
DECLARE
    v_session_device integer;
    v_card_status text;
    v_goods record;
    v_stock integer;
    v_limit integer;
    v_period text;
    v_used integer;
    v_line integer;
    v_count integer := coalesce(array_length(p_goods, 1), 0);
BEGIN
    r_code := 'ok';
    r_line_ids := '{}'; r_names := '{}'; r_units := '{}'; r_prices := '{}';
    r_limit_qtys := '{}'; r_limit_periods := '{}';
    -- the device credential
    SELECT d.id, d.site_id, s.code, s.name
      INTO r_device_id, r_device_site_id, r_device_site_code, r_device_site_name
      FROM kiosk_device d JOIN site s ON s.id = d.site_id
     WHERE d.token_hash = p_token_hash AND d.status = 'active';
    IF NOT FOUND THEN
        r_code := 'device_unauthorized'; RETURN;
    END IF;
    -- the live session of this device: its card, household and the household's site
    SELECT ks.device_id, c.id, c.status, h.id, h.status, h.head_name, st.id, st.code, st.name
      INTO v_session_device, r_card_id, v_card_status, r_household_id, r_household_status, r_head_name,
           r_household_site_id, r_household_site_code, r_household_site_name
      FROM kiosk_session ks JOIN card c ON c.id = ks.card_id
      JOIN household h ON h.id = ks.household_id JOIN site st ON st.id = h.site_id
     WHERE ks.id = p_session_id AND ks.ended_at IS NULL AND ks.expires_at >= p_now;
    IF NOT FOUND OR v_session_device <> r_device_id THEN
        -- a retry that arrives after its session ended still gets its receipt
        r_code := CASE WHEN EXISTS (SELECT 1 FROM redemption WHERE request_id = p_request_id)
                       THEN 'replay' ELSE 'session_expired' END;
        RETURN;
    END IF;
    IF v_card_status <> 'active' OR r_household_status <> 'active' THEN
        r_code := 'card_disabled'; RETURN;
    END IF;
    -- the goods, in goods-id order (the caller sorts): each must exist, be the kiosk site's and on sale
    r_total := 0;
    FOR i IN 1 .. v_count LOOP
        SELECT g.site_id, g.name, g.unit, g.price, g.active, g.limit_qty, g.limit_period INTO v_goods
          FROM goods g WHERE g.id = p_goods[i];
        IF NOT FOUND THEN
            r_code := 'not_found'; r_goods_id := p_goods[i]; RETURN;
        END IF;
        r_names := r_names || v_goods.name; r_units := r_units || v_goods.unit;
        r_prices := r_prices || v_goods.price;
        r_limit_qtys := r_limit_qtys || v_goods.limit_qty; r_limit_periods := r_limit_periods || v_goods.limit_period;
        IF v_goods.site_id <> r_device_site_id THEN
            r_code := 'foreign_goods'; r_goods_id := p_goods[i]; RETURN;
        END IF;
        IF NOT v_goods.active THEN
            r_code := 'goods_unavailable'; r_goods_id := p_goods[i]; RETURN;
        END IF;
        r_total := r_total + v_goods.price * p_qty[i];
    END LOOP;
    IF p_expected IS NOT NULL AND p_expected <> r_total THEN
        r_code := 'price_changed'; r_amount := r_total; RETURN;
    END IF;
    IF r_total <= 0 OR r_total > 1000000 THEN
        r_code := 'bad_points'; r_amount := r_total; RETURN;
    END IF;
    -- the writes; first the device's visit (at most once a minute) and the redemption row, whose
    -- request_id is unique: a concurrent copy waits here for the first one's COMMIT, then replays it
    UPDATE kiosk_device SET last_seen_at = p_now
     WHERE id = r_device_id AND (last_seen_at IS NULL OR last_seen_at < p_seen_before);
    INSERT INTO redemption (request_id, household_id, site_id, device_id, card_id, total_points,
                            balance_after, status, created_at)
    VALUES (p_request_id, r_household_id, r_device_site_id, r_device_id, r_card_id, r_total, 0, 'done', p_now)
    ON CONFLICT (request_id) DO NOTHING RETURNING id INTO r_redemption_id;
    IF r_redemption_id IS NULL THEN
        r_code := 'replay'; RETURN;
    END IF;
    FOR i IN 1 .. v_count LOOP
        INSERT INTO redemption_line (redemption_id, goods_id, name, unit, price, quantity, points)
        VALUES (r_redemption_id, p_goods[i], r_names[i], r_units[i], r_prices[i], p_qty[i], r_prices[i] * p_qty[i])
        RETURNING id INTO v_line;
        r_line_ids := r_line_ids || v_line;
    END LOOP;
    -- the stock, conditionally, in goods-id order; each goods row stays locked to the COMMIT
    FOR i IN 1 .. v_count LOOP
        UPDATE goods SET stock = stock - p_qty[i] WHERE id = p_goods[i] AND stock >= p_qty[i]
        RETURNING stock, limit_qty, limit_period INTO v_stock, v_limit, v_period;
        IF NOT FOUND THEN
            r_code := 'out_of_stock'; r_goods_id := p_goods[i]; RETURN;
        END IF;
        r_limit_qtys[i] := v_limit; r_limit_periods[i] := v_period;
        INSERT INTO stock_movement (goods_id, site_id, kind, quantity, stock_after, movement_date,
                                    redemption_id, created_at)
        VALUES (p_goods[i], r_device_site_id, 'redeem', -p_qty[i], v_stock, p_today, r_redemption_id, p_now);
    END LOOP;
    -- the purchase limits, this redemption's lines counted; the goods row's lock orders two kiosks
    FOR i IN 1 .. v_count LOOP
        IF r_limit_qtys[i] > 0 THEN
            SELECT coalesce(sum(line.quantity), 0) INTO v_used
              FROM redemption_line line JOIN redemption r ON r.id = line.redemption_id
             WHERE line.goods_id = p_goods[i] AND r.household_id = r_household_id AND r.status = 'done'
               AND r.created_at >= CASE r_limit_periods[i] WHEN 'day' THEN p_day WHEN 'week' THEN p_week
                                                           WHEN 'month' THEN p_month ELSE p_year END;
            IF v_used > r_limit_qtys[i] THEN
                r_code := 'limit_exceeded'; r_goods_id := p_goods[i]; RETURN;
            END IF;
        END IF;
    END LOOP;
    -- the balance, conditionally; the household row stays locked to the COMMIT
    UPDATE household SET balance = balance - r_total, ledger_seq = ledger_seq + 1
     WHERE id = r_household_id AND balance >= r_total
    RETURNING balance, ledger_seq, ledger_hash, site_id INTO r_balance, r_seq, r_prev_hash, r_entry_site_id;
    IF NOT FOUND THEN
        r_code := 'insufficient_points'; r_amount := r_total; RETURN;
    END IF;
END
$fn$
"""


def upgrade():
    op.create_index('ix_ledger_entry_created_at', 'ledger_entry', ['created_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(FUNCTION)


def downgrade():
    op.drop_index('ix_ledger_entry_created_at', table_name='ledger_entry')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS jifen_redeem(text, text, text, integer[], integer[], integer, '
                   'timestamp, date, timestamp, timestamp, timestamp, timestamp, timestamp)')
